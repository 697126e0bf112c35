"""Fixtures for the coordinator services: a seeded database, its sessions, the catalog."""

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

from reminderbot.bootstrap import open_runtime
from reminderbot.clock import FakeClock
from reminderbot.config import Settings
from reminderbot.content import Catalog
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


# A coordinator granted only by the deployment's setting (no person row in the seed).
SETTING_COORDINATOR = 7001


@pytest.fixture
async def rt(world: World, db_url: str) -> AsyncIterator[Runtime]:
    """The Runtime the bot would run on, over the seeded database and the fixed clock."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token="123456:TEST-services-token-000000000000",
        database_url=db_url,
        default_timezone="Europe/London",
        emergency_number="999",
        care_team_contact="the nurses",
        coordinator_ids=(SETTING_COORDINATOR,),
        auto_migrate=False,
    )
    async with open_runtime(settings, world.clock) as runtime:
        yield runtime
