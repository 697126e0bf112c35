"""Shared fixtures: databases (SQLite files, throwaway PostgreSQL databases) and the clock."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from reminderbot.clock import FakeClock

POSTGRES_ADMIN_URL = os.environ.get(
    "REMINDERBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """A reachable PostgreSQL server; skipped when there is none, except under CI (fails)."""
    try:
        with psycopg.connect(_libpq(POSTGRES_ADMIN_URL), connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL not reachable at {make_url(POSTGRES_ADMIN_URL).host}: {exc}"
        if IN_CI:
            pytest.fail(f"{reason} (under CI the PostgreSQL tests must run)")
        pytest.skip(reason)
    return POSTGRES_ADMIN_URL


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"rb_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(postgres_admin_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(postgres_admin_url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file in the test's own folder."""
    return f"sqlite:///{tmp_path / 'reminderbot.sqlite3'}"


@pytest.fixture
def db_url(request: pytest.FixtureRequest) -> str:
    """The suite's database: SQLite, or PostgreSQL when REMINDERBOT_TEST_BACKEND=postgres."""
    backend = os.environ.get("REMINDERBOT_TEST_BACKEND", "sqlite")
    if backend == "postgres":
        return request.getfixturevalue("postgres_url")
    if backend != "sqlite":
        pytest.fail(f"REMINDERBOT_TEST_BACKEND={backend!r}: use sqlite or postgres")
    return request.getfixturevalue("sqlite_url")


@pytest.fixture
def clock() -> FakeClock:
    """A clock at a fixed instant: Friday 27 March 2026, 10:00 UTC (Berlin DST starts Sunday)."""
    return FakeClock(datetime(2026, 3, 27, 10, 0, tzinfo=UTC))
