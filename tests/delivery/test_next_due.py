"""The planner remembers when the next schedule falls due, and forgets it whenever it must."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, update
from sqlalchemy.ext.asyncio import AsyncEngine

from reminderbot.clock import FakeClock
from reminderbot.content import Catalog
from reminderbot.content.tips import load_tips
from reminderbot.delivery.planner import Planner
from reminderbot.store.bulk_seed import SeedSchedule, seed_patients
from reminderbot.store.database import create_engine, session_factory
from reminderbot.store.migrations import upgrade
from reminderbot.store.models import PatientProfile, PatientStatus, Schedule

RECHECK = timedelta(seconds=15)
DAILY: dict[str, Any] = {"type": "daily"}


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """A migrated database's engine."""
    upgrade(db_url)
    engine = create_engine(db_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def content() -> tuple[Catalog, Any]:
    """The shipped catalog and tip library."""
    return Catalog.load(), load_tips()


def planner_for(engine: AsyncEngine, content: tuple[Catalog, Any]) -> Planner:
    catalog, tips = content
    common = {"emergency_number": "112", "care_team_contact": "the care team"}
    return Planner(
        session_factory(engine), catalog, tips, common, timedelta(hours=3), recheck=RECHECK
    )


async def seed(engine: AsyncEngine, first_user: int, due: datetime, now: datetime) -> int:
    """One patient with a daily 09:00 schedule next due at `due`; returns the person id."""
    (person,) = await seed_patients(
        session_factory(engine),
        1,
        now,
        [SeedSchedule("tip", DAILY, ["09:00"], due)],
        first_user_id=first_user,
    )
    return person


def new_schedule(person: int, due: datetime, now: datetime) -> Any:
    return insert(Schedule).values(
        patient_id=person,
        kind="checkin",
        rule=DAILY,
        local_times=["18:00"],
        next_fire_at=due,
        active=True,
        created_at=now,
        updated_at=now,
    )


def count_statements(engine: AsyncEngine) -> list[str]:
    statements: list[str] = []
    event.listen(
        engine.sync_engine,
        "before_cursor_execute",
        lambda _conn, _cursor, statement, *_rest: statements.append(statement),
    )
    return statements


async def test_idle_ticks_ask_the_database_once(
    engine: AsyncEngine, content: tuple[Catalog, Any], clock: FakeClock
) -> None:
    now = clock.now()
    await seed(engine, 1, now + timedelta(hours=1), now)
    planner = planner_for(engine, content)
    statements = count_statements(engine)
    assert (await planner.tick(now)).queued == 0
    asked = len(statements)
    assert asked >= 1
    for second in range(1, 10):
        assert (await planner.tick(now + timedelta(seconds=second))).queued == 0
    assert len(statements) == asked
    assert (await planner.tick(now + timedelta(hours=1))).queued == 1


async def test_changes_in_this_process_are_seen_by_the_next_tick(
    engine: AsyncEngine, content: tuple[Catalog, Any], clock: FakeClock
) -> None:
    now = clock.now()
    ada = await seed(engine, 1, now + timedelta(days=1), now)
    bob = await seed(engine, 2, now - timedelta(minutes=1), now)
    async with engine.begin() as conn:
        await conn.execute(
            update(PatientProfile)
            .where(PatientProfile.person_id == bob)
            .values(status=PatientStatus.PAUSED)
        )
    planner = planner_for(engine, content)
    assert (await planner.tick(now)).queued == 0  # Bob is paused; Ada's tip is tomorrow
    assert (await planner.tick(now)).queued == 0
    # A follow-up due now, created by a handler of this process (any session or connection).
    async with engine.begin() as conn:
        await conn.execute(new_schedule(ada, now, now))
    assert (await planner.tick(now)).queued == 1
    # Bob resumes: his due schedule is planned at once.
    async with engine.begin() as conn:
        await conn.execute(
            update(PatientProfile)
            .where(PatientProfile.person_id == bob)
            .values(status=PatientStatus.ACTIVE)
        )
    assert (await planner.tick(now)).queued == 1


async def test_an_answer_read_while_a_write_is_open_is_not_kept(
    engine: AsyncEngine, content: tuple[Catalog, Any], clock: FakeClock
) -> None:
    now = clock.now()
    ada = await seed(engine, 1, now + timedelta(days=1), now)
    planner = planner_for(engine, content)
    async with engine.connect() as conn:
        await conn.execute(new_schedule(ada, now, now))
        assert (await planner.tick(now)).queued == 0  # not committed: not seen yet
        await conn.commit()  # the connection is still held, so nothing has told the planner
        assert (await planner.tick(now)).queued == 1


async def test_changes_in_another_process_are_seen_within_the_recheck(
    engine: AsyncEngine, db_url: str, content: tuple[Catalog, Any], clock: FakeClock
) -> None:
    now = clock.now()
    ada = await seed(engine, 1, now + timedelta(days=1), now)
    planner = planner_for(engine, content)
    assert (await planner.tick(now)).queued == 0
    other = create_engine(db_url)  # another process, as far as this engine can tell
    try:
        async with other.begin() as conn:
            await conn.execute(new_schedule(ada, now, now))
        assert (await planner.tick(now + RECHECK / 2)).queued == 0
        assert (await planner.tick(now + RECHECK)).queued == 1
        async with other.begin() as conn:
            await conn.execute(new_schedule(ada, now + RECHECK, now))
        assert (await planner.tick(now + RECHECK)).queued == 0
        planner.forget_next_due()
        assert (await planner.tick(now + RECHECK)).queued == 1
    finally:
        await other.dispose()
