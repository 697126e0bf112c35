"""The outbox table as a work queue: idempotent enqueue, leased claims, and outcomes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.delivery import bulk
from reminderbot.delivery.kinds import MessageKind, UnknownKindError, message_kind
from reminderbot.delivery.policy import POLICIES, Semantics, policy
from reminderbot.store.models import DeliveryState, OutboxDelivery, table_of

log = logging.getLogger(__name__)

_AT_MOST_ONCE = [k.value for k, p in POLICIES.items() if p.semantics is Semantics.AT_MOST_ONCE]
_KNOWN_KINDS = frozenset(k.value for k in MessageKind)
UNKNOWN_OUTCOME = "outcome unknown: the worker stopped while sending; not sent again"


@dataclass(frozen=True)
class Message:
    """A message to put in the outbox."""

    chat_id: int
    recipient_id: int | None
    kind: MessageKind
    unique_key: str
    payload: dict[str, Any]
    not_before: datetime
    schedule_id: int | None = None
    state: DeliveryState = DeliveryState.PENDING

    def __post_init__(self) -> None:
        # The kind decides the priority lane: an unknown one is refused here, where it
        # enters, rather than guessed at (UnknownKindError is a ValueError).
        object.__setattr__(self, "kind", message_kind(self.kind))


Buttons = list[list[list[str]]]


def text_message(
    *,
    chat_id: int,
    recipient_id: int | None,
    unique_key: str,
    text: str,
    now: datetime,
    kind: MessageKind = MessageKind.NOTICE,
    buttons: Buttons | None = None,
    **fields: Any,
) -> Message:
    """A text message (with stored rows of [label, callback data]) to send now.

    `fields` go into the payload beside the text, for the code that later finds the row.
    """
    return Message(
        chat_id=chat_id,
        recipient_id=recipient_id,
        kind=kind,
        unique_key=unique_key,
        payload={"text": text, "buttons": buttons or [], **fields},
        not_before=now,
    )


def about_patient(
    patient_id: int,
    *,
    chat_id: int,
    recipient_id: int | None,
    unique_key: str,
    text: str,
    now: datetime,
    kind: MessageKind = MessageKind.NOTICE,
    buttons: Buttons | None = None,
    **fields: Any,
) -> Message:
    """A text message concerning one patient, to send now.

    The payload names the patient, so that revoking a caregiver and erasing a patient's data
    find every queued message about them.
    """
    return text_message(
        chat_id=chat_id,
        recipient_id=recipient_id,
        unique_key=unique_key,
        text=text,
        now=now,
        kind=kind,
        buttons=buttons,
        patient_id=patient_id,
        **fields,
    )


def later_copy(
    row: OutboxDelivery, *, chat_id: int, recipient_id: int, unique_key: str, at: datetime
) -> Message:
    """The same message again at `at` (a snooze): same payload, kind and schedule."""
    return Message(
        chat_id=chat_id,
        recipient_id=recipient_id,
        kind=message_kind(row.kind),
        unique_key=unique_key,
        payload=row.payload,
        not_before=at,
        schedule_id=row.schedule_id,
    )


async def enqueue(session: AsyncSession, messages: Sequence[Message], now: datetime) -> None:
    """Insert messages; one whose unique key already exists is silently skipped."""
    if not messages:
        return
    rows = [
        {
            "chat_id": m.chat_id,
            "recipient_id": m.recipient_id,
            "kind": m.kind.value,
            "priority": policy(m.kind).priority,
            "unique_key": m.unique_key,
            "payload": m.payload,
            "state": m.state,
            "attempts": 0,
            "not_before": m.not_before,
            "schedule_id": m.schedule_id,
            "created_at": now,
        }
        for m in messages
    ]
    table = table_of(OutboxDelivery)
    conn = await session.connection()
    dialect = session.get_bind().dialect
    if dialect.name == "postgresql":
        # One statement for the whole list (see bulk): a wave enqueues thousands at once.
        columns = [table.c[name] for name in rows[0]]
        new = bulk.source(dialect, columns)
        stmt = postgresql.insert(table).from_select(list(rows[0]), select(*new.c))
        await conn.execute(
            stmt.on_conflict_do_nothing(index_elements=["unique_key"]),
            {"rows": bulk.document(dialect, columns, rows)},
        )
        return
    # SQLite, in process, takes an executemany faster than it unpacks a document of this
    # many columns. The table, not the mapped class: no ORM bulk bookkeeping.
    lite = sqlite.insert(table).on_conflict_do_nothing(index_elements=["unique_key"])
    # Chunks keep each statement well under the drivers' bound-parameter limits.
    for start in range(0, len(rows), 500):
        await conn.execute(lite, rows[start : start + 500])


async def claim_ready(
    session: AsyncSession,
    worker: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    more_urgent_than: int | None = None,
) -> list[OutboxDelivery]:
    """Lease up to `limit` ready rows to this worker, most urgent first.

    With `more_urgent_than`, only rows of a lower priority number (a more urgent lane): a
    cheap look for alerts while this worker still holds plenty of routine rows.
    """
    conditions = [
        OutboxDelivery.state == DeliveryState.PENDING,
        OutboxDelivery.not_before <= now,
        or_(OutboxDelivery.claimed_until.is_(None), OutboxDelivery.claimed_until < now),
    ]
    if more_urgent_than is not None:
        conditions.append(OutboxDelivery.priority < more_urgent_than)
    ready = (
        select(OutboxDelivery.id)
        .where(*conditions)
        .order_by(OutboxDelivery.priority, OutboxDelivery.not_before, OutboxDelivery.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Two workers never lease the same row; neither waits for the other's locks.
        ready = ready.with_for_update(skip_locked=True)
    stmt = (
        update(OutboxDelivery)
        .where(OutboxDelivery.id.in_(ready.scalar_subquery()))
        .values(claimed_by=worker, claimed_until=now + lease)
        .returning(OutboxDelivery)
        .execution_options(synchronize_session=False)
    )
    rows = list((await session.scalars(stmt)).all())
    rows.sort(key=lambda r: (r.priority, r.not_before, r.id))
    return await _refuse_unknown_kinds(session, rows)


async def _refuse_unknown_kinds(
    session: AsyncSession, rows: list[OutboxDelivery]
) -> list[OutboxDelivery]:
    """Fail the rows whose kind this version does not know (say, written by a newer one).

    Their priority and crash semantics would be guesses, so they are not sent at all.
    """
    known = [r for r in rows if r.kind in _KNOWN_KINDS]
    if len(known) == len(rows):
        return rows
    for row in rows:
        if row.kind not in _KNOWN_KINDS:
            log.error("unknown message kind on delivery=%d; marked failed", row.id)
            await mark_failed(session, row.id, str(UnknownKindError(row.kind)))
    return known


async def recover_expired(session: AsyncSession, now: datetime) -> tuple[int, int]:
    """Deal with rows a dead worker left mid-send: resend the never-lose kinds, fail the rest.

    Returns (requeued, given_up).
    """
    stale = and_(OutboxDelivery.state == DeliveryState.SENDING, OutboxDelivery.claimed_until < now)
    requeued = await session.execute(
        update(OutboxDelivery)
        .where(stale, OutboxDelivery.kind.not_in(_AT_MOST_ONCE))
        .values(state=DeliveryState.PENDING, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    given_up = await session.execute(
        update(OutboxDelivery)
        .where(stale, OutboxDelivery.kind.in_(_AT_MOST_ONCE))
        .values(state=DeliveryState.FAILED, last_error=UNKNOWN_OUTCOME)
        .execution_options(synchronize_session=False)
    )
    return int(requeued.rowcount or 0), int(given_up.rowcount or 0)  # type: ignore[attr-defined]


async def mark_sending(
    session: AsyncSession, worker: str, ids: Sequence[int], now: datetime, lease: timedelta
) -> list[int]:
    """Record that a send is about to happen; returns the ids this worker still holds."""
    if not ids:
        return []
    result = await session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.id.in_(ids),
            OutboxDelivery.claimed_by == worker,
            OutboxDelivery.state == DeliveryState.PENDING,
        )
        .values(
            state=DeliveryState.SENDING,
            attempts=OutboxDelivery.attempts + 1,
            claimed_until=now + lease,
        )
        .returning(OutboxDelivery.id)
        .execution_options(synchronize_session=False)
    )
    return [row[0] for row in result.all()]


async def mark_sent(
    session: AsyncSession, results: Sequence[tuple[int, int | None]], now: datetime
) -> None:
    """Record successful sends: (row id, Telegram message id)."""
    if not results:
        return
    table = table_of(OutboxDelivery)
    dialect = session.get_bind().dialect
    columns = [table.c.id, table.c.telegram_message_id]
    new = bulk.source(dialect, columns)
    rows = ({"id": row_id, "telegram_message_id": message_id} for row_id, message_id in results)
    conn = await session.connection()
    # One statement for all of them (see bulk), not one per row.
    await conn.execute(
        update(table)
        .where(table.c.id == new.c.id)
        .values(
            state=DeliveryState.SENT,
            telegram_message_id=new.c.telegram_message_id,
            sent_at=now,
            claimed_until=None,
            last_error=None,
        ),
        {"rows": bulk.document(dialect, columns, rows)},
    )


async def mark_retry(
    session: AsyncSession, row_id: int, not_before: datetime, error: str, count: bool = True
) -> None:
    """Put a row back in the queue for a later attempt (`count=False`: not held against it)."""
    attempts = OutboxDelivery.attempts if count else OutboxDelivery.attempts - 1
    await session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id == row_id)
        .values(
            state=DeliveryState.PENDING,
            attempts=attempts,
            not_before=not_before,
            claimed_by=None,
            claimed_until=None,
            last_error=error[:500],
        )
        .execution_options(synchronize_session=False)
    )


async def release(session: AsyncSession, ids: Sequence[int]) -> None:
    """Give back leased rows that were never attempted (e.g. on shutdown)."""
    if ids:
        await session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id.in_(ids), OutboxDelivery.state == DeliveryState.PENDING)
            .values(claimed_by=None, claimed_until=None)
            .execution_options(synchronize_session=False)
        )


async def mark_failed(session: AsyncSession, row_id: int, error: str) -> None:
    """Give up on a row, keeping the reason visible."""
    await session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id == row_id)
        .values(state=DeliveryState.FAILED, claimed_until=None, last_error=error[:500])
        .execution_options(synchronize_session=False)
    )
