"""What a person's next typed text answers (person.awaiting): one enum, parsed in one place.

The stored strings are the ones earlier versions wrote ("timezone", "checkin:12", "note:7",
"sched:3:5:time", ...), so rows in existing databases keep their meaning.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Awaiting(enum.StrEnum):
    """The question a person was asked; members with a colon carry an argument after it."""

    # Onboarding and settings.
    LANGUAGE = "language"
    TIMEZONE = "timezone"
    TIMES_CONFIRM = "times_confirm"
    CHECKIN_TIME = "checkin_time"
    MORNING_TIME = "morning_time"
    QUIET_HOURS = "quiet_hours"
    # A blood calcium result after /calcium or the test reminder's button.
    CALCIUM = "calcium_value"
    # A check-in's next answer: "checkin:<check-in id>".
    CHECKIN = "checkin:"
    # Coordinators: a resolution note "note:<alert id>", a broadcast "broadcast:<audience>",
    # a schedule value "sched:<patient>:<schedule>:<field>".
    NOTE = "note:"
    BROADCAST = "broadcast:"
    SCHEDULE = "sched:"

    @property
    def takes_argument(self) -> bool:
        """Whether the stored value continues after the name."""
        return self.value.endswith(":")


COORDINATOR_TEXT = frozenset({Awaiting.NOTE, Awaiting.BROADCAST, Awaiting.SCHEDULE})


@dataclass(frozen=True)
class Awaited:
    """A parsed person.awaiting: the question, and its argument ("" for plain ones)."""

    kind: Awaiting
    argument: str = ""


def stored(kind: Awaiting, argument: object = "") -> str:
    """The string to keep in person.awaiting for a question (and its argument)."""
    return f"{kind.value}{argument}" if kind.takes_argument else kind.value


def parse(value: str | None) -> Awaited | None:
    """Read person.awaiting; None when nothing (or nothing this version knows) is awaited."""
    if not value:
        return None
    for kind in Awaiting:
        if kind.takes_argument and value.startswith(kind.value):
            return Awaited(kind, value.removeprefix(kind.value))
        if not kind.takes_argument and value == kind.value:
            return Awaited(kind)
    return None


def is_coordinator_text(value: str | None) -> bool:
    """Whether the awaited text is one a coordinator types (note, broadcast, schedule value)."""
    found = parse(value)
    return found is not None and found.kind in COORDINATOR_TEXT
