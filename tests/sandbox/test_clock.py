"""The injected clock: what message dates and flood windows read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reminderbot.sandbox import BotApiSandbox, ManualClock
from reminderbot.sandbox.clock import as_time_source

INSTANT = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)


class NowClock:
    """Shaped like the bot's own clocks: an object with now() -> aware datetime."""

    def __init__(self) -> None:
        self.instant = INSTANT

    def now(self) -> datetime:
        return self.instant


def test_clock_shapes_are_adapted() -> None:
    assert as_time_source(NowClock())() == INSTANT.timestamp()
    assert as_time_source(lambda: INSTANT)() == INSTANT.timestamp()
    assert as_time_source(lambda: 12.5)() == 12.5
    manual = ManualClock(INSTANT)
    manual.advance(90)
    assert as_time_source(manual)() == INSTANT.timestamp() + 90
    assert manual.now() == INSTANT + timedelta(seconds=90)
    with pytest.raises(TypeError):
        as_time_source(object())
    with pytest.raises(ValueError, match="forward"):
        manual.advance(-1)


async def test_user_message_dates_follow_the_clock() -> None:
    clock = NowClock()
    sandbox = BotApiSandbox(clock=clock)
    ada = sandbox.user(1001)
    first = await ada.send("hi")
    clock.instant += timedelta(hours=2)
    second = await ada.send("again")
    assert first["date"] == int(INSTANT.timestamp())
    assert second["date"] - first["date"] == 7200
    assert ada.log[1].date == second["date"]
