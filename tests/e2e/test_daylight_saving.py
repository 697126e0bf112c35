"""Daily schedules across the clock changes of Europe/Berlin and America/New_York: exactly one
message a day, at the right wall time — including times inside the skipped or repeated hour."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from reminderbot.sandbox import SimulatedUser
from reminderbot.store.models import DeliveryState, OutboxDelivery
from tests.e2e.conftest import Harness

STEP = timedelta(minutes=15)


async def _onboard_at(harness: Harness, user: SimulatedUser, zone: str, checkin: str) -> None:
    await harness.consent(user)
    await harness.say(user, zone)
    await harness.until(user, "I'll ask about your pain")
    await harness.tap(user, "Change times")
    await harness.say(user, checkin)
    summary = await harness.say(user, "09:00")
    assert summary.text.startswith("You're all set")


async def _checkins(harness: Harness, user: SimulatedUser) -> list[OutboxDelivery]:
    person = await harness.person(user)
    assert person is not None
    async with harness.rt.sessions() as session:
        stmt = (
            select(OutboxDelivery)
            .where(OutboxDelivery.recipient_id == person.id, OutboxDelivery.kind == "checkin")
            .order_by(OutboxDelivery.not_before)
        )
        return list((await session.scalars(stmt)).all())


@pytest.mark.parametrize(
    ("zone", "start", "days", "cases"),
    [
        # Berlin springs forward on 29 March 2026: 02:00–03:00 does not exist.
        (
            "Europe/Berlin",
            datetime(2026, 3, 27, 12, tzinfo=UTC),
            [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)],
            {"02:30": ["02:30", "03:00", "02:30"], "18:00": ["18:00", "18:00", "18:00"]},
        ),
        # Berlin falls back on 25 October 2026: 02:00–03:00 happens twice.
        (
            "Europe/Berlin",
            datetime(2026, 10, 23, 12, tzinfo=UTC),
            [date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)],
            {"02:30": ["02:30", "02:30", "02:30"], "18:00": ["18:00", "18:00", "18:00"]},
        ),
        # New York springs forward on 8 March 2026 (02:00–03:00 skipped) ...
        (
            "America/New_York",
            datetime(2026, 3, 6, 18, tzinfo=UTC),
            [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)],
            {"02:30": ["02:30", "03:00", "02:30"], "18:00": ["18:00", "18:00", "18:00"]},
        ),
        # ... and falls back on 1 November 2026 (01:00–02:00 repeated).
        (
            "America/New_York",
            datetime(2026, 10, 30, 18, tzinfo=UTC),
            [date(2026, 10, 31), date(2026, 11, 1), date(2026, 11, 2)],
            {"01:30": ["01:30", "01:30", "01:30"], "18:00": ["18:00", "18:00", "18:00"]},
        ),
    ],
    ids=["berlin-spring", "berlin-fall", "new-york-spring", "new-york-fall"],
)
async def test_one_message_a_day_at_the_right_wall_time(
    harness: Harness,
    zone: str,
    start: datetime,
    days: list[date],
    cases: dict[str, list[str]],
) -> None:
    tz = ZoneInfo(zone)
    harness.clock.set(start)
    users = {}
    for index, checkin in enumerate(cases):
        users[checkin] = harness.user(user_id=3000 + index, first_name=f"P{index}")
        await _onboard_at(harness, users[checkin], zone, checkin)

    end = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tz)
    await harness.run_until(end.astimezone(UTC), STEP)

    for checkin, expected_walls in cases.items():
        user = users[checkin]
        rows = [
            r for r in await _checkins(harness, user) if r.not_before.astimezone(tz).date() in days
        ]
        assert all(r.state == DeliveryState.SENT for r in rows), checkin
        per_day = Counter(r.not_before.astimezone(tz).date() for r in rows)
        assert per_day == dict.fromkeys(days, 1), f"{checkin}: {per_day}"
        walls = [r.not_before.astimezone(tz).strftime("%H:%M") for r in rows]
        assert walls == expected_walls, checkin
        for row in rows:
            assert row.sent_at is not None
            assert timedelta(0) <= row.sent_at - row.not_before <= STEP
        prompts = [m for m in user.messages if m.text.startswith("How is your pain")]
        assert len(prompts) == len(
            [r for r in await _checkins(harness, user) if r.state == DeliveryState.SENT]
        )
