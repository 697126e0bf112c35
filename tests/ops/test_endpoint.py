"""The ops endpoint of a real `reminderbot deliver` process against the emulator."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import psycopg
from sqlalchemy.engine import make_url

from reminderbot.sandbox import BotApiSandbox
from reminderbot.store.bulk_seed import SeedSchedule, seed_patients
from reminderbot.store.database import create_engine, session_factory
from reminderbot.store.migrations import upgrade
from tests.cli.helpers import VALID_TOKEN, cli_process
from tests.conftest import POSTGRES_ADMIN_URL
from tests.ops.helpers import (
    deliver_process,
    eventually,
    free_port,
    ready,
    scrape,
    total,
    value,
)

WAVE = 300
RATE = 30


async def _seed_tip_wave(db_url: str, count: int) -> None:
    upgrade(db_url)
    engine = create_engine(db_url)
    try:
        now = datetime.now(UTC)
        await seed_patients(
            session_factory(engine),
            count,
            now,
            [SeedSchedule("tip", {"type": "daily"}, ["09:00"], now - timedelta(seconds=5))],
        )
    finally:
        await engine.dispose()


async def _stop(process: asyncio.subprocess.Process) -> str:
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    return stderr.decode()


async def test_metrics_during_a_wave(tmp_path: Path, db_url: str) -> None:
    await _seed_tip_wave(db_url, WAVE)
    port = free_port()
    async with (
        BotApiSandbox(token=VALID_TOKEN, auto_create_chats=True) as sandbox,
        deliver_process(
            tmp_path, db_url, sandbox.api_root, port, REMINDERBOT_RATE_PER_SECOND=str(RATE)
        ) as process,
        aiohttp.ClientSession() as http,
    ):
        # Scrape while the wave is sent: from the first queued row until the last is out.
        pages = []

        async def wave_started() -> bool:
            pages.append(await scrape(http, port))
            return total(pages[-1], "reminderbot_outbox_depth") > 0

        await eventually(wave_started, timeout=60, what="the wave queued")
        while (seen := sandbox.sent_count()) < WAVE:
            # A scrape every RATE sends (about a second at the configured rate).
            await sandbox.wait_for(lambda s, n=seen: s.sent_count() >= min(WAVE, n + RATE), 30)
            pages.append(await scrape(http, port))
        pages.append(
            await eventually(
                lambda: _settled(http, port), timeout=30, what="the last outcome recorded"
            )
        )
        stderr = await _stop(process)

    during = [p for p in pages if total(p, "reminderbot_outbox_depth") > 0]
    depths = [total(p, "reminderbot_outbox_depth") for p in during]
    sent = [value(p, "reminderbot_sends_total", outcome="sent") for p in during]
    assert len(during) >= 4, f"too few scrapes during the wave: {depths}"
    # The depth only falls and the sent counter only rises, and both moved a lot.
    assert depths == sorted(depths, reverse=True) and depths[0] - depths[-1] >= WAVE / 3
    assert sent == sorted(sent) and sent[-1] - sent[0] >= WAVE / 3
    assert depths[0] <= WAVE and total(during[0], "reminderbot_outbox_depth", kind="tip") > 0
    # The worker leases what it sends; the wave's oldest row waits while the rest go out.
    assert max(value(p, "reminderbot_workers_live") for p in during) == 1
    assert max(value(p, "reminderbot_outbox_oldest_due_seconds") for p in during) > 1
    last = pages[-1]
    assert value(last, "reminderbot_sends_total", outcome="sent") == WAVE
    assert value(last, "reminderbot_workers_live") == 0
    assert value(last, "reminderbot_outbox_oldest_due_seconds") == 0
    assert total(last, "reminderbot_outbox_depth") == 0
    assert value(last, "reminderbot_database_up") == 1
    assert value(last, "reminderbot_tick_seconds_count") >= 1
    assert value(last, "reminderbot_dispatch_cycle_seconds_count") >= 1
    assert value(last, "reminderbot_rate_limited_total") == 0
    assert value(last, "reminderbot_process_resident_memory_bytes") > 0
    assert "ops endpoint listening on 127.0.0.1:" in stderr


async def _settled(http: aiohttp.ClientSession, port: int) -> object:
    page = await scrape(http, port)
    done = value(page, "reminderbot_sends_total", outcome="sent") == WAVE
    return page if done else None


@contextmanager
def blocked_database(db_url: str) -> Iterator[None]:
    """Make the database unusable for the bot until the block ends.

    SQLite: another connection holds the write lock. PostgreSQL: the database refuses new
    connections and the bot's are ended.
    """
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        conn = sqlite3.connect(url.database or "", isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            conn.execute("ROLLBACK")
            conn.close()
        return
    name = url.database
    # From the suite's admin database: a database cannot refuse its own connections.
    admin = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        try:
            yield
        finally:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')


async def test_readyz_is_503_while_the_database_is_blocked(tmp_path: Path, db_url: str) -> None:
    await _seed_tip_wave(db_url, 0)
    port = free_port()
    async with (
        BotApiSandbox(token=VALID_TOKEN, auto_create_chats=True) as sandbox,
        deliver_process(tmp_path, db_url, sandbox.api_root, port) as process,
        aiohttp.ClientSession() as http,
    ):

        async def status_is(code: int) -> dict[str, object] | None:
            status, body = await ready(http, port)
            return body if status == code else None

        body = await eventually(lambda: status_is(200), timeout=60, what="ready")
        assert body["ready"] is True and body["failing"] == {}
        assert set(body["checks"]) == {"database", "migrations", "tick", "dispatcher", "bot_api"}
        async with http.get(f"http://127.0.0.1:{port}/healthz") as health:
            assert health.status == 200
        assert sandbox.counters["getMe"] >= 1, "the heartbeat asked the Bot API"

        with blocked_database(db_url):
            body = await eventually(lambda: status_is(503), timeout=30, what="not ready")
            assert body["ready"] is False
            assert "database" in body["failing"], body
            page = await scrape(http, port)
            if make_url(db_url).get_backend_name() == "postgresql":
                # (SQLite's readers pass a write lock: the scrape's reads still succeed.)
                assert value(page, "reminderbot_database_up") == 0
        body = await eventually(lambda: status_is(200), timeout=60, what="ready again")
        assert body["failing"] == {}
        await _stop(process)


async def test_run_serves_the_endpoint_and_a_taken_port_is_one_line(tmp_path: Path) -> None:
    port = free_port()
    db = f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    async with (
        BotApiSandbox(token=VALID_TOKEN, bot_username="reminder_test_bot") as sandbox,
        cli_process(
            tmp_path,
            "run",
            TELEGRAM_BOT_TOKEN=VALID_TOKEN,
            REMINDERBOT_TELEGRAM_API_URL=sandbox.api_root,
            REMINDERBOT_DATABASE_URL=db,
            REMINDERBOT_OPS_PORT=str(port),
        ) as process,
        aiohttp.ClientSession() as http,
    ):

        async def is_ready() -> bool:
            status, _ = await ready(http, port)
            return status == 200

        await eventually(is_ready, timeout=60, what="`run` ready")

        async def ticked() -> bool:
            return value(await scrape(http, port), "reminderbot_tick_seconds_count") >= 2

        await eventually(ticked, timeout=30, what="ticks observed in `run`")
        # A second process on the same port stops at once with one line, exit 2.
        async with deliver_process(tmp_path, db, sandbox.api_root, port) as second:
            _, stderr = await asyncio.wait_for(second.communicate(), timeout=60)
        assert second.returncode == 2, stderr.decode()
        line = stderr.decode().strip()
        assert "\n" not in line and line.startswith("reminderbot: REMINDERBOT_OPS_PORT: cannot")
        await _stop(process)
