"""What the database says about the bot's work, read cheaply: for /metrics and `status`.

Every query is an aggregate over an index range whose size is bounded by the work in hand
(rows still to send, open alerts) or by a fixed window of recent rows, never by the history,
so that a scrape costs the same on a database of a million patients as on a new one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import distinct, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from reminderbot.care.escalation import EMERGENCY_TIER
from reminderbot.delivery.kinds import PROMPT_KINDS
from reminderbot.store.models import Alert, AlertState, CheckIn, DeliveryState, OutboxDelivery

# How long one scrape or status may spend in the database before it gives up.
QUERY_TIMEOUT = 2.0
# The answer rate looks at check-in prompts sent between 25 h and 1 h ago (an hour gives the
# patient time to answer), among this many of the newest outbox rows (a primary-key range).
ANSWER_WINDOW = (timedelta(hours=25), timedelta(hours=1))
ANSWER_SAMPLE_ROWS = 50_000
_LIVE = (DeliveryState.PENDING, DeliveryState.SENDING)
_O = OutboxDelivery


@dataclass(frozen=True)
class DatabaseFacts:
    """The database-derived figures at one instant."""

    # (kind, state) -> rows still to send (pending or sending).
    outbox_depth: dict[tuple[str, str], int] = field(default_factory=dict)
    # Seconds since the oldest pending row became due; 0 when nothing due waits.
    oldest_due_seconds: float = 0.0
    # Tier -> open (not yet acknowledged) alerts.
    open_alerts: dict[int, int] = field(default_factory=dict)
    # Seconds the oldest unacknowledged emergency alert has waited; 0 when there is none.
    oldest_emergency_seconds: float = 0.0
    prompts_sent: int = 0
    prompts_answered: int = 0
    # Workers holding a live lease on outbox rows (several only on PostgreSQL).
    live_workers: int = 0

    @property
    def answer_rate(self) -> float | None:
        """Share of recent check-in prompts that were answered; None when none were sent."""
        return self.prompts_answered / self.prompts_sent if self.prompts_sent else None

    @property
    def depth(self) -> int:
        """Rows still to send, of every kind."""
        return sum(self.outbox_depth.values())


@asynccontextmanager
async def bounded(
    engine: AsyncEngine,
    timeout: float = QUERY_TIMEOUT,  # noqa: ASYNC109
) -> AsyncIterator[AsyncConnection]:
    """A read connection whose statements give up after `timeout` seconds."""
    async with asyncio.timeout(timeout), engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # The server cancels a slow statement itself (the asyncio timeout alone would
            # leave it running); SET LOCAL ends with this read-only transaction.
            await conn.execute(text(f"SET LOCAL statement_timeout = {int(timeout * 1000)}"))
        yield conn


def _seconds(now: datetime, since: datetime | None) -> float:
    if since is None:
        return 0.0
    if since.tzinfo is None:  # SQLite's min() comes back as a naive UTC value
        since = since.replace(tzinfo=now.tzinfo)
    return max(0.0, (now - since).total_seconds())


async def read_facts(
    engine: AsyncEngine,
    now: datetime,
    timeout: float = QUERY_TIMEOUT,  # noqa: ASYNC109
) -> DatabaseFacts:
    """Read every database figure in one short read transaction."""
    async with bounded(engine, timeout) as conn:
        depth = {
            (kind, DeliveryState(state).value): int(n)
            for kind, state, n in await conn.execute(
                select(_O.kind, _O.state, func.count())
                .where(_O.state.in_(_LIVE))
                .group_by(_O.kind, _O.state)
            )
        }
        oldest_due = await conn.scalar(
            select(func.min(_O.not_before)).where(
                _O.state == DeliveryState.PENDING, _O.not_before <= now
            )
        )
        alerts = {
            int(tier): int(n)
            for tier, n in await conn.execute(
                select(Alert.tier, func.count())
                .where(Alert.state == AlertState.OPEN)
                .group_by(Alert.tier)
            )
        }
        oldest_emergency = await conn.scalar(
            select(func.min(Alert.created_at)).where(
                Alert.state == AlertState.OPEN, Alert.tier >= EMERGENCY_TIER
            )
        )
        sent, answered = await _answers(conn, now)
        workers = await conn.scalar(
            select(func.count(distinct(_O.claimed_by))).where(
                _O.state.in_(_LIVE), _O.claimed_by.is_not(None), _O.claimed_until > now
            )
        )
    return DatabaseFacts(
        outbox_depth=depth,
        oldest_due_seconds=_seconds(now, oldest_due),
        open_alerts=alerts,
        oldest_emergency_seconds=_seconds(now, oldest_emergency),
        prompts_sent=sent,
        prompts_answered=answered,
        live_workers=int(workers or 0),
    )


async def _answers(conn: AsyncConnection, now: datetime) -> tuple[int, int]:
    """Check-in prompts sent in the window, and how many of them have an answer."""
    newest = await conn.scalar(select(func.max(_O.id)))
    if newest is None:
        return 0, 0
    oldest, youngest = ANSWER_WINDOW
    answered = exists().where(CheckIn.prompt_key == _O.unique_key)
    row = (
        await conn.execute(
            select(func.count(), func.count().filter(answered)).where(
                _O.id > newest - ANSWER_SAMPLE_ROWS,
                _O.kind.in_(PROMPT_KINDS),
                _O.state == DeliveryState.SENT,
                _O.sent_at >= now - oldest,
                _O.sent_at < now - youngest,
            )
        )
    ).one()
    return int(row[0]), int(row[1])
