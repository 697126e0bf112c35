"""Fixtures for the service tests: a seeded database, its sessions, the catalog, a Runtime."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminderbot.clock import FakeClock
from reminderbot.config import Settings
from reminderbot.content import Catalog
from reminderbot.content.calcium_rules import load_calcium_ranges
from reminderbot.content.escalation_rules import load_escalation_rules
from reminderbot.content.programs import (
    load_programs,
    load_suggested_timezones,
    load_timezone_names,
)
from reminderbot.content.tips import load_tips
from reminderbot.runtime import Runtime
from reminderbot.store.database import create_engine, session_factory
from tests.services.seed import Seeded, seed

# The instant of the shared `clock` fixture (tests/conftest.py); the template is seeded there.
SEED_NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)


@dataclass
class World:
    """The seeded deployment, sessions on it, and the clock the seed was built around."""

    ids: Seeded
    sessions: async_sessionmaker[AsyncSession]
    clock: FakeClock


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    """The shipped catalog."""
    return Catalog.load()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    """Migrating and seeding takes a second: do it once, and copy the file for each test."""
    path = tmp_path_factory.mktemp("seed") / "template.sqlite3"
    # Its own thread: it may be first asked for from inside a running test's event loop.
    with ThreadPoolExecutor(1) as pool:
        ids = pool.submit(asyncio.run, seed(f"sqlite:///{path}", SEED_NOW)).result()
    return path, ids


@pytest.fixture
async def world(
    db_url: str, clock: FakeClock, request: pytest.FixtureRequest
) -> AsyncIterator[World]:
    """A seeded database around the fixed test instant (a fresh copy for every test)."""
    assert clock.now() == SEED_NOW
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        template, ids = request.getfixturevalue("sqlite_template")
        with sqlite3.connect(template) as source, sqlite3.connect(str(url.database)) as copy:
            source.backup(copy)
    else:
        ids = await seed(db_url, clock.now())
    engine = create_engine(db_url)
    try:
        yield World(ids=ids, sessions=session_factory(engine), clock=clock)
    finally:
        await engine.dispose()


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The Runtime the use cases take, on the seeded database and the fixed clock."""
    return Runtime(
        settings=Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url="sqlite://",  # unused: the sessions below are the world's
            default_timezone="Europe/Berlin",
            emergency_number="112",
            care_team_contact="+49 30 1234",
        ),
        sessions=world.sessions,
        catalog=catalog,
        clock=world.clock,
        programs=load_programs(),
        suggested_timezones=load_suggested_timezones(),
        timezone_names=load_timezone_names(),
        tips=load_tips(),
        calcium_ranges=load_calcium_ranges(),
        escalation=load_escalation_rules(),
    )
