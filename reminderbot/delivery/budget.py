"""Several workers on PostgreSQL share Telegram's overall rate: each takes 1 / (live workers).

A worker is live while it holds a session-level advisory lock on its own connection: it takes
the first free one of `MAX_WORKERS` locks when it starts, and PostgreSQL releases it the moment
that connection ends, so a killed worker stops counting at once (no lease to lapse). Every
`refresh` counts the locks held in this database and returns this worker's share.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

# The first key of the two-key advisory locks (ASCII "RBot"); the second is the worker's slot.
LOCK_KEY = 0x52426F74
MAX_WORKERS = 256

_COUNT = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND classid = CAST(:key AS oid) AND objsubid = 2 "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class SharedBudget:
    """This worker's share of the overall sending rate, from the workers live in the database."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._conn: AsyncConnection | None = None
        self.slot: int | None = None
        self.workers = 1
        self.share = 1.0

    async def refresh(self) -> float:
        """Join (once) and count the live workers; return 1 / their number.

        On a database error the last share is kept and joining is tried again next time.
        """
        try:
            if self._conn is None:
                await self._join()
            assert self._conn is not None
            live = await self._conn.scalar(_COUNT, {"key": LOCK_KEY})
        except Exception as exc:  # the database went away: keep the last share
            log.warning("could not count delivery workers: %s", type(exc).__name__)
            await self.close()
            return self.share
        self.workers = max(1, int(live or 0))
        self.share = 1.0 / self.workers
        return self.share

    async def _join(self) -> None:
        # Autocommit: the lock belongs to the session, and no transaction stays open for it.
        conn = await self.engine.connect()
        try:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for slot in range(MAX_WORKERS):
                taken = await conn.scalar(
                    text("SELECT pg_try_advisory_lock(:key, :slot)"),
                    {"key": LOCK_KEY, "slot": slot},
                )
                if taken:
                    self._conn, self.slot = conn, slot
                    return
        except BaseException:
            await _discard(conn)
            raise
        await _discard(conn)
        raise RuntimeError(f"more than {MAX_WORKERS} delivery workers")

    async def close(self) -> None:
        """Leave: the connection (and with it the lock) is closed."""
        conn, self._conn, self.slot = self._conn, None, None
        if conn is not None:
            await _discard(conn)


async def _discard(conn: AsyncConnection) -> None:
    """Close the connection itself, not back into the pool: its lock must go with it."""
    try:
        await conn.invalidate()
        await conn.close()
    except Exception:  # already broken; PostgreSQL released the lock with it
        log.debug("delivery budget connection already closed")
