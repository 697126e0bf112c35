"""Liveness and readiness: what this process has seen lately, and the checks behind /readyz."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any, Protocol

from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from reminderbot.delivery.stats import DispatchStats
from reminderbot.ops.facts import QUERY_TIMEOUT, bounded
from reminderbot.store.database import SQLITE_BUSY_TIMEOUT_MS
from reminderbot.store.migrations import head_revision

log = logging.getLogger(__name__)

# A dispatcher loop cycles at least every second (its idle poll); this long without a cycle
# means it is stuck.
DISPATCH_STALL_SECONDS = 30.0
# The Bot API is asked (getMe) when it has not answered for this long; it must have
# answered within three of these for the process to be ready.
API_HEARTBEAT_SECONDS = 30.0


@dataclass
class Activity:
    """What this process has seen lately, in monotonic seconds (time.monotonic)."""

    tick_seconds: float
    started_at: float = field(default_factory=time.monotonic)
    ticks: int = 0
    tick_total_seconds: float = 0.0
    last_tick_at: float | None = None
    tick_running_since: float | None = None
    last_api_answer_at: float | None = None
    # The dispatcher's cycle count when last looked at, and when it last changed.
    cycles_seen: int = 0
    cycles_changed_at: float | None = None

    def note_cycles(self, cycles: int, now: float | None = None) -> None:
        """Look at the dispatcher's cycle count (a running loop keeps counting)."""
        if cycles != self.cycles_seen:
            self.cycles_seen = cycles
            self.cycles_changed_at = time.monotonic() if now is None else now

    def tick_started(self) -> float:
        """Note that a tick starts; return its start instant."""
        self.tick_running_since = time.monotonic()
        return self.tick_running_since

    def tick_finished(self, started: float) -> None:
        """Note that the tick begun at `started` has finished (well or not)."""
        now = time.monotonic()
        self.ticks += 1
        self.tick_total_seconds += now - started
        self.last_tick_at = now
        self.tick_running_since = None


class Ticking(Protocol):
    """The delivery object of a process: its tick is what the scheduler calls."""

    def tick(self) -> Awaitable[Any]:
        """Plan what is due now."""
        ...


def observe_ticks(delivery: Ticking, activity: Activity) -> None:
    """Time every tick of `delivery` from now on (the scheduler's jobs call `delivery.tick`)."""
    tick = delivery.tick

    async def timed_tick() -> Any:
        started = activity.tick_started()
        try:
            return await tick()
        finally:
            activity.tick_finished(started)

    # An attribute on the instance, found before the class's method by every caller (the
    # scheduler's jobs call `self.tick()`), so the delivery code needs no hook of its own.
    delivery.tick = timed_tick  # type: ignore[method-assign]


@dataclass(frozen=True)
class Check:
    """One readiness check's verdict."""

    name: str
    ok: bool
    detail: str


async def check_database(engine: AsyncEngine, timeout: float = QUERY_TIMEOUT) -> Check:  # noqa: ASYNC109
    """The database answers and takes a write lock (the bot's every step writes) in time."""
    try:
        async with bounded(engine, timeout) as conn:
            if conn.dialect.name == "sqlite":
                # WAL lets reads pass a lock that stops every write; ask for the write lock,
                # waiting no longer than the check may take.
                # (Half the check's time, so the lock wait ends before the check is cut off.)
                await conn.exec_driver_sql(f"PRAGMA busy_timeout={int(timeout * 500)}")
                try:
                    await conn.exec_driver_sql("BEGIN IMMEDIATE")
                    await conn.exec_driver_sql("ROLLBACK")
                finally:
                    await conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            else:
                await conn.execute(text("SELECT 1"))
    except TimeoutError:
        return Check("database", False, f"no answer within {timeout:g}s")
    except Exception as exc:  # any driver error means not ready; its first line says why
        return Check("database", False, _first_line(exc))
    return Check("database", True, "reachable")


async def check_migrations(engine: AsyncEngine, timeout: float = QUERY_TIMEOUT) -> Check:  # noqa: ASYNC109
    """The database is at the newest migration this version ships."""
    try:
        async with bounded(engine, timeout) as conn:
            current = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
    except TimeoutError:
        return Check("migrations", False, f"no answer within {timeout:g}s")
    except Exception as exc:  # reported, not raised: a readiness probe must answer
        return Check("migrations", False, _first_line(exc))
    head = head_revision()
    if current != head:
        return Check("migrations", False, f"database at {current or 'none'}, code needs {head}")
    return Check("migrations", True, f"at {head}")


def check_tick(activity: Activity, now: float | None = None) -> Check:
    """The tick ran (or is running) within three of its intervals."""
    now = time.monotonic() if now is None else now
    limit = 3 * activity.tick_seconds
    if activity.tick_running_since is not None:
        return Check("tick", True, f"running for {now - activity.tick_running_since:.1f}s")
    last = activity.last_tick_at
    if last is None:
        if now - activity.started_at <= limit:
            return Check("tick", True, "starting")
        return Check("tick", False, f"no tick since start {now - activity.started_at:.0f}s ago")
    if now - last > limit:
        return Check("tick", False, f"last tick {now - last:.0f}s ago (limit {limit:g}s)")
    return Check("tick", True, f"last tick {now - last:.1f}s ago")


def check_dispatcher(stats: DispatchStats, activity: Activity, now: float | None = None) -> Check:
    """The dispatcher's loop went on cycling lately."""
    now = time.monotonic() if now is None else now
    activity.note_cycles(stats.cycles, now)
    last = activity.cycles_changed_at
    since = now - (last if last is not None else activity.started_at)
    if since > DISPATCH_STALL_SECONDS:
        return Check("dispatcher", False, f"no cycle for {since:.0f}s (stalled)")
    return Check("dispatcher", True, f"cycling ({stats.cycles} cycles since start)")


def check_bot_api(activity: Activity, now: float | None = None) -> Check:
    """The Bot API answered this process lately (a send, or the heartbeat's getMe)."""
    now = time.monotonic() if now is None else now
    limit = 3 * API_HEARTBEAT_SECONDS
    last = activity.last_api_answer_at
    if last is None:
        if now - activity.started_at <= limit:
            return Check("bot_api", True, "starting")
        return Check("bot_api", False, "no answer from the Bot API since start")
    if now - last > limit:
        return Check("bot_api", False, f"last answer {now - last:.0f}s ago (limit {limit:g}s)")
    return Check("bot_api", True, f"last answer {now - last:.1f}s ago")


async def readiness(engine: AsyncEngine, activity: Activity, stats: DispatchStats) -> list[Check]:
    """Every readiness check, the database ones run side by side."""
    database, migrations = await asyncio.gather(check_database(engine), check_migrations(engine))
    return [
        database,
        migrations,
        check_tick(activity),
        check_dispatcher(stats, activity),
        check_bot_api(activity),
    ]


def answered_sends(stats: DispatchStats) -> int:
    """Sends Telegram answered (delivered, refused for good, or rate limited), replies too."""
    return (
        stats.sent
        + stats.unreachable
        + stats.rate_limited
        + stats.replies_sent
        + stats.replies_rate_limited
    )


def _first_line(exc: BaseException) -> str:
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    # Only the driver's message: SQLAlchemy adds the statement and its parameters below it.
    return (lines[0] if lines else type(original).__name__)[:200]
