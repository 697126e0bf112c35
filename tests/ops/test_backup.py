"""`reminderbot db backup` while the bot sends, and `db restore` into an empty database."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from reminderbot.sandbox import BotApiSandbox
from reminderbot.store.database import create_engine, session_factory
from reminderbot.store.models import Base, DeliveryState, OutboxDelivery
from tests.cli.helpers import VALID_TOKEN, clean_env, run_cli
from tests.ops.helpers import deliver_process, free_port
from tests.ops.test_endpoint import _seed_tip_wave, _stop

WAVE = 600


async def _counts(db_url: str) -> tuple[dict[str, int], int]:
    """Rows per table, and outbox rows sent."""
    engine = create_engine(db_url)
    try:
        async with session_factory(engine)() as session:
            counts = {
                table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
                for table in Base.metadata.sorted_tables
            }
            sent = await session.scalar(
                select(func.count())
                .select_from(OutboxDelivery)
                .where(OutboxDelivery.state == DeliveryState.SENT)
            )
    finally:
        await engine.dispose()
    return counts, int(sent or 0)


async def _cli(tmp_path: Path, db_url: str, *args: str, **settings: str) -> tuple[int, str, str]:
    """Run the real command without blocking the event loop (the emulator lives in it)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "reminderbot",
        *args,
        cwd=tmp_path,
        env=clean_env(tmp_path, REMINDERBOT_DATABASE_URL=db_url, **settings),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same backend as the test's."""
    if request.node.callspec.params["backend"] == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    admin = request.getfixturevalue("postgres_admin_url")
    name = f"rb_test_{uuid.uuid4().hex[:12]}"
    libpq = make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(libpq, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(libpq, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_backup_while_sending_restores_the_same_rows(
    request: pytest.FixtureRequest, tmp_path: Path, backend: str, empty_database: str
) -> None:
    db_url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "postgres_url")
    await _seed_tip_wave(db_url, WAVE)
    backup_file = tmp_path / "reminderbot.backup"
    async with (
        BotApiSandbox(token=VALID_TOKEN, auto_create_chats=True) as sandbox,
        deliver_process(
            tmp_path, db_url, sandbox.api_root, free_port(), REMINDERBOT_RATE_PER_SECOND="30"
        ) as process,
    ):
        await sandbox.wait_for(lambda s: s.sent_count() >= 60, timeout=60)
        _, sent_before = await _counts(db_url)
        code, out, err = await _cli(tmp_path, db_url, "db", "backup", str(backup_file))
        assert code == 0, err
        assert f"written to {backup_file}" in out
        counts, sent_after = await _counts(db_url)
        assert sent_after < WAVE, "the backup was taken while the wave was still being sent"
        await _stop(process)

    code, out, err = await _cli(tmp_path, empty_database, "db", "restore", str(backup_file))
    assert code == 0, err
    restored, sent_restored = await _counts(empty_database)
    assert restored == counts
    assert counts["outbox_delivery"] == WAVE and counts["person"] == WAVE
    # One consistent snapshot from the middle of the wave.
    assert sent_before <= sent_restored <= sent_after

    # A second restore finds tables there and refuses, changing nothing.
    code, out, err = await _cli(tmp_path, empty_database, "db", "restore", str(backup_file))
    assert code == 2
    assert err.strip().count("\n") == 0 and "is not empty" in err and "empty database" in err
    assert (await _counts(empty_database))[0] == counts


def test_backup_refuses_to_overwrite_and_restore_checks_the_file(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    assert run_cli(tmp_path, "db", "upgrade", REMINDERBOT_DATABASE_URL=db).returncode == 0
    existing = tmp_path / "exists.backup"
    existing.write_text("keep me")
    taken = run_cli(tmp_path, "db", "backup", str(existing), REMINDERBOT_DATABASE_URL=db)
    assert taken.returncode == 2 and "exists" in taken.stderr
    assert existing.read_text() == "keep me"
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    wrong = run_cli(tmp_path, "db", "restore", str(existing), REMINDERBOT_DATABASE_URL=empty)
    assert wrong.returncode == 2 and "not a reminderbot backup" in wrong.stderr
    assert not (tmp_path / "empty.sqlite3").exists()


def test_postgres_backup_without_pg_dump_points_at_the_readme(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "db",
        "backup",
        str(tmp_path / "x.backup"),
        REMINDERBOT_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:5432/none",
        PATH=str(tmp_path),  # no pg_dump on this PATH
    )
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line and "pg_dump is not installed" in line and "README" in line
