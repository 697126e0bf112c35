"""person.awaiting: one enum, read in one place, compatible with the strings stored before."""

from __future__ import annotations

import pytest

from reminderbot.services import awaiting
from reminderbot.services.awaiting import Awaited, Awaiting


@pytest.mark.parametrize(
    ("stored", "parsed"),
    [
        # The exact strings earlier versions wrote.
        ("language", Awaited(Awaiting.LANGUAGE)),
        ("timezone", Awaited(Awaiting.TIMEZONE)),
        ("times_confirm", Awaited(Awaiting.TIMES_CONFIRM)),
        ("checkin_time", Awaited(Awaiting.CHECKIN_TIME)),
        ("morning_time", Awaited(Awaiting.MORNING_TIME)),
        ("quiet_hours", Awaited(Awaiting.QUIET_HOURS)),
        ("calcium_value", Awaited(Awaiting.CALCIUM)),
        ("checkin:12", Awaited(Awaiting.CHECKIN, "12")),
        ("note:7", Awaited(Awaiting.NOTE, "7")),
        ("broadcast:*", Awaited(Awaiting.BROADCAST, "*")),
        ("sched:3:5:times", Awaited(Awaiting.SCHEDULE, "3:5:times")),
    ],
)
def test_stored_strings_keep_their_meaning(stored: str, parsed: Awaited) -> None:
    assert awaiting.parse(stored) == parsed
    assert awaiting.stored(parsed.kind, parsed.argument) == stored


@pytest.mark.parametrize("stored", [None, "", "languages", "something:else", "Timezone"])
def test_unknown_values_await_nothing(stored: str | None) -> None:
    assert awaiting.parse(stored) is None


def test_only_notes_broadcasts_and_schedule_values_are_coordinator_text() -> None:
    assert [k for k in Awaiting if awaiting.is_coordinator_text(awaiting.stored(k, "1"))] == [
        Awaiting.NOTE,
        Awaiting.BROADCAST,
        Awaiting.SCHEDULE,
    ]
