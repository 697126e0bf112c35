"""Fixtures shared by the delivery tests: a migrated database and its sessions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminderbot.store.database import create_engine, session_factory
from reminderbot.store.migrations import upgrade


@pytest.fixture
async def migrated(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a migrated database (the suite's backend)."""
    upgrade(db_url)
    engine = create_engine(db_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB 22's timedelta durations (RetryAfter.retry_after) to avoid its warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
