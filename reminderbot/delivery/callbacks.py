"""Callback data on the buttons of scheduled messages (Telegram allows 64 bytes).

The data only says which prompt and which answer; handlers check who is tapping.
"""

from __future__ import annotations

from dataclasses import dataclass

CHECKIN = "ci"
CALCIUM_DONE = "ca:done"
CALCIUM_TOMORROW = "ca:tmrw"
CALCIUM_LOG = "ca:log"
SNOOZE_HOUR = "sz:1h"


@dataclass(frozen=True)
class ButtonData:
    """Parsed callback data: an action, the occurrence key it refers to, and a value."""

    action: str
    key: str
    value: str = ""


def build(action: str, key: str, value: str = "") -> str:
    """Encode callback data as `action|key|value`."""
    return f"{action}|{key}|{value}"


def parse(data: str) -> ButtonData | None:
    """Decode callback data built by `build`; None for anything else."""
    parts = data.split("|")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return None
    return ButtonData(parts[0], parts[1], parts[2])
