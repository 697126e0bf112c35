"""Engines: SQLite pragmas, URL handling, and clear failures for unusable databases."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from reminderbot.store.database import (
    DatabaseError,
    async_url,
    check_database,
    create_engine,
    safe_url,
    session_factory,
    sync_url,
)
from reminderbot.store.migrations import upgrade
from reminderbot.store.models import Person, Role


async def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
            assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 5000
            assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    finally:
        await engine.dispose()


async def test_foreign_keys_are_enforced(db_url: str) -> None:
    upgrade(db_url)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            with pytest.raises(Exception, match=r"(?i)foreign key"):
                await conn.execute(
                    text(
                        "INSERT INTO caregiver_link (patient_id, caregiver_id, receives_alerts, "
                        "receives_copies, receives_weekly) VALUES (999, 999, true, false, false)"
                    )
                )
    finally:
        await engine.dispose()


async def test_instants_come_back_in_utc_and_naive_ones_are_refused(db_url: str) -> None:
    upgrade(db_url)
    engine = create_engine(db_url)
    sessions = session_factory(engine)
    evening = datetime(2026, 3, 27, 18, 0, tzinfo=UTC)
    try:
        async with sessions.begin() as session:
            session.add(
                Person(
                    telegram_user_id=1,
                    chat_id=1,
                    language="en",
                    timezone="Europe/Berlin",
                    role=Role.PATIENT,
                    created_at=evening,
                    updated_at=evening,
                )
            )
        async with sessions() as session:
            person = await session.get(Person, 1)
            assert person is not None
            assert person.created_at == evening
            assert person.created_at.tzinfo is not None
        with pytest.raises(Exception, match="naive datetime"):
            async with sessions.begin() as session:
                session.add(
                    Person(
                        telegram_user_id=2,
                        chat_id=2,
                        language="en",
                        timezone="UTC",
                        created_at=datetime(2026, 1, 1),
                        updated_at=datetime(2026, 1, 1),
                    )
                )
    finally:
        await engine.dispose()


def test_urls_get_the_project_drivers() -> None:
    assert async_url("sqlite:///x.db").drivername == "sqlite+aiosqlite"
    assert sync_url("sqlite+aiosqlite:///x.db").drivername == "sqlite+pysqlite"
    assert async_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert safe_url("postgresql://nurse:secret@h/db") == "postgresql://nurse:***@h/db"


async def test_unreachable_postgres_is_one_clear_line() -> None:
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/none")
    try:
        with pytest.raises(DatabaseError) as caught:
            await check_database(engine)
    finally:
        await engine.dispose()
    message = str(caught.value)
    assert message.startswith("REMINDERBOT_DATABASE_URL: cannot use postgresql+psycopg://")
    assert "\n" not in message


def test_sqlite_folder_that_cannot_exist_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(DatabaseError, match="cannot create the folder"):
        create_engine(f"sqlite:///{blocker / 'bot.sqlite3'}")
