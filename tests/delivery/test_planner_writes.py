"""What one tick writes back: each schedule advanced (or ended), each tip rotation saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from reminderbot.clock import FakeClock
from reminderbot.content import Catalog
from reminderbot.content.tips import load_tips
from reminderbot.delivery.planner import Planner
from reminderbot.store.bulk_seed import SeedSchedule, seed_patients
from reminderbot.store.database import create_engine, session_factory
from reminderbot.store.migrations import upgrade
from reminderbot.store.models import OutboxDelivery, PatientProfile, Schedule


async def test_a_tick_advances_ends_and_rotates(db_url: str, clock: FakeClock) -> None:
    upgrade(db_url)
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    now = clock.now()  # Friday 27 March 2026, 10:00 UTC
    due = now - timedelta(minutes=5)
    once: dict[str, Any] = {"type": "once", "at": due.isoformat()}
    try:
        tips = await seed_patients(
            sessions, 3, now, [SeedSchedule("tip", {"type": "daily"}, ["09:55"], due)]
        )
        (followup,) = await seed_patients(
            sessions, 1, now, [SeedSchedule("followup", once, ["00:00"], due)], 20_000_000
        )
        common = {"emergency_number": "112", "care_team_contact": "the care team"}
        # Batches of two: the writes of several transactions, each with a few rows.
        planner = Planner(
            sessions, Catalog.load(), load_tips(), common, timedelta(hours=3), batch=2
        )
        report = await planner.tick(now)
        assert (report.schedules, report.queued, report.missed) == (4, 4, 0)
        async with sessions() as session:
            schedules = {s.patient_id: s for s in (await session.scalars(select(Schedule))).all()}
            found = await session.execute(
                select(PatientProfile.person_id, PatientProfile.tip_rotation)
            )
            rotations = {person: state for person, state in found.all()}
            rows = (await session.scalars(select(OutboxDelivery))).all()
        tomorrow = datetime(2026, 3, 28, 9, 55, tzinfo=UTC)
        assert {schedules[p].next_fire_at for p in tips} == {tomorrow}
        assert schedules[followup].next_fire_at is None
        assert all(rotations[p]["last_topic"] == "protein" for p in tips)
        assert rotations[followup] == {}
        assert sorted(r.kind for r in rows) == ["followup", "tip", "tip", "tip"]
        assert {r.not_before for r in rows} == {due}
        # Nothing is planned twice: the next tick finds nothing due until tomorrow.
        assert (await planner.tick(now + timedelta(hours=1))).queued == 0
        assert (await planner.tick(tomorrow)).queued == 3
    finally:
        await engine.dispose()
