"""Callback data on the buttons of scheduled messages (Telegram allows 64 bytes).

The codes are declared in delivery/buttons, the registry of every button action; this module
names the scheduled-message ones for the payload builders.
The data only says which prompt and which answer; handlers check who is tapping.
"""

from __future__ import annotations

from reminderbot.delivery.buttons import (
    CALCIUM_DONE,
    CALCIUM_LOG,
    CALCIUM_TOMORROW,
    CHECKIN,
    SNOOZE_HOUR,
    ButtonData,
    build,
    parse,
)

__all__ = [
    "CALCIUM_DONE",
    "CALCIUM_LOG",
    "CALCIUM_TOMORROW",
    "CHECKIN",
    "SNOOZE_HOUR",
    "ButtonData",
    "build",
    "parse",
]
