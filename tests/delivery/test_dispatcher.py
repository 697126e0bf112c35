"""The dispatcher against a real database (SQLite, or PostgreSQL with the suite's backend
switch): what is marked `sending` and when, rows taken away while leased, failed writes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminderbot.clock import FakeClock
from reminderbot.delivery import outbox
from reminderbot.delivery.dispatcher import Dispatcher, DispatchSettings
from reminderbot.delivery.errors import SendFailure
from reminderbot.delivery.outbox import Message, enqueue
from reminderbot.delivery.pacing import Limits, Pacer
from reminderbot.store.database import create_engine, session_factory
from reminderbot.store.migrations import upgrade
from reminderbot.store.models import DeliveryState, OutboxDelivery

WORKER = "worker-test"
FIRST_CHAT = 5_000


class Ticker:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingSender:
    """Answers every send with a message id; can be held until released."""

    def __init__(self) -> None:
        self.sent: list[int] = []
        self.waiting = 0
        self.release = asyncio.Event()
        self.release.set()

    async def send(self, chat_id: int, payload: dict[str, Any]) -> int | None:
        self.waiting += 1
        await self.release.wait()
        self.waiting -= 1
        self.sent.append(chat_id)
        return len(self.sent)

    async def close(self) -> None:
        """Nothing to release."""


async def _nothing(_session: AsyncSession, _row: OutboxDelivery, _failure: SendFailure) -> None:
    return None


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database."""
    upgrade(db_url)
    engine = create_engine(db_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _queue(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, count: int
) -> list[int]:
    """Queue `count` alerts, one per chat; return their row ids in chat order."""
    async with sessions.begin() as session:
        await enqueue(
            session,
            [
                Message(
                    chat_id=FIRST_CHAT + n,
                    recipient_id=None,
                    kind="alert",
                    unique_key=f"test-{n}",
                    payload={"text": f"alert {n}", "buttons": []},
                    not_before=clock.now(),
                )
                for n in range(count)
            ],
            clock.now(),
        )
    async with sessions() as session:
        rows = await session.scalars(select(OutboxDelivery.id).order_by(OutboxDelivery.chat_id))
        return list(rows.all())


async def _states(sessions: async_sessionmaker[AsyncSession]) -> dict[int, tuple[str, str | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxDelivery.id, OutboxDelivery.state, OutboxDelivery.claimed_by)
        )
        return {row_id: (DeliveryState(state).value, by) for row_id, state, by in rows.all()}


async def _until(check: Callable[[], bool], timeout: float = 10.0) -> None:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        await asyncio.sleep(0.005)


def _dispatcher(
    sessions: async_sessionmaker[AsyncSession],
    sender: RecordingSender,
    clock: FakeClock,
    ticker: Callable[[], float] = time.monotonic,
    **settings: Any,
) -> Dispatcher:
    return Dispatcher(
        sessions,
        sender,
        clock,
        Pacer(Limits(per_second=1000.0, private_chat_interval=0.0), monotonic=ticker),
        WORKER,
        _nothing,
        DispatchSettings(**settings),
        monotonic=ticker,
    )


async def test_rows_taken_away_while_leased_are_never_sent(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    ids = await _queue(sessions, clock, 4)
    ticker = Ticker()
    sender = RecordingSender()
    dispatcher = _dispatcher(sessions, sender, clock, ticker)
    dispatcher.pacer.pause(60)  # leased now, sent only once the pause is over
    await dispatcher.cycle()
    assert await _states(sessions) == {i: ("pending", WORKER) for i in ids}
    # Meanwhile, elsewhere: a caregiver's link ends (their queued alert is cancelled), and
    # another worker takes over a row (as after a lapsed lease).
    async with sessions.begin() as session:
        await session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.id == ids[1], OutboxDelivery.state == DeliveryState.PENDING)
            .values(state=DeliveryState.CANCELLED)
        )
        await session.execute(
            update(OutboxDelivery).where(OutboxDelivery.id == ids[2]).values(claimed_by="other")
        )
    ticker.now += 61
    stats = await dispatcher.drain(timeout=10)
    assert sorted(sender.sent) == [FIRST_CHAT, FIRST_CHAT + 3]
    assert stats.sent == 2
    states = await _states(sessions)
    assert states[ids[1]] == ("cancelled", WORKER)
    assert states[ids[2]] == ("pending", "other")
    assert states[ids[0]][0] == states[ids[3]][0] == "sent"


async def test_only_rows_about_to_be_sent_are_marked_sending(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    ids = await _queue(sessions, clock, 20)
    sender = RecordingSender()
    sender.release.clear()
    dispatcher = _dispatcher(sessions, sender, clock, concurrency=4)
    draining = asyncio.create_task(dispatcher.drain(timeout=20))
    try:
        await _until(lambda: sender.waiting == 4)
        states = await _states(sessions)
        # A crash now leaves 4 outcomes unknown; the other 16 are only leased, and another
        # worker sends them once the lease lapses.
        assert sorted(state for state, _ in states.values()) == ["pending"] * 16 + ["sending"] * 4
        assert all(by == WORKER for _, by in states.values())
    finally:
        sender.release.set()
        stats = await draining
    assert stats.sent == 20
    assert {state for state, _ in (await _states(sessions)).values()} == {"sent"}
    assert sorted(sender.sent) == [FIRST_CHAT + n for n in range(len(ids))]


async def test_outcomes_survive_a_failed_transaction(
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await _queue(sessions, clock, 6)
    real: Callable[..., Awaitable[list[int]]] = outbox.mark_sending
    calls = 0

    async def flaky(*args: Any, **kwargs: Any) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 2:  # the transaction that also records the first sends' outcomes
            raise RuntimeError("the database went away")
        return await real(*args, **kwargs)

    monkeypatch.setattr(outbox, "mark_sending", flaky)
    sender = RecordingSender()
    dispatcher = _dispatcher(sessions, sender, clock, concurrency=2)
    with pytest.raises(RuntimeError, match="went away"):
        await dispatcher.drain(timeout=10)
    assert len(sender.sent) == 2
    stats = await dispatcher.drain(timeout=10)
    assert len(sender.sent) == 6
    assert stats.sent == 6  # each outcome recorded and counted once
    async with sessions() as session:
        states = await session.execute(
            select(OutboxDelivery.state, func.count()).group_by(OutboxDelivery.state)
        )
        assert dict(states.all()) == {DeliveryState.SENT: 6}


async def test_a_full_buffer_does_not_keep_an_alert_waiting(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    async with sessions.begin() as session:
        await enqueue(
            session,
            [
                Message(
                    chat_id=FIRST_CHAT + n,
                    recipient_id=None,
                    kind="tip",
                    unique_key=f"tip-{n}",
                    payload={"text": f"tip {n}", "buttons": []},
                    not_before=clock.now(),
                )
                for n in range(12)
            ],
            clock.now(),
        )
    ticker = Ticker()
    sender = RecordingSender()
    dispatcher = _dispatcher(sessions, sender, clock, ticker, batch=10, concurrency=1)
    dispatcher.pacer.pause(60)
    await dispatcher.cycle()  # leases 10 of the 12 tips: the buffer is full
    await _queue(sessions, clock, 1)  # an alert to FIRST_CHAT
    ticker.now += dispatcher.settings.claim_interval
    await dispatcher.cycle()
    ticker.now += 61
    await dispatcher.cycle()
    await _until(lambda: len(sender.sent) == 1)
    async with sessions() as session:
        first = await session.scalar(
            select(OutboxDelivery.kind).where(OutboxDelivery.state == DeliveryState.SENDING)
        )
    await dispatcher.drain(timeout=10)
    assert first == "alert"
    assert len(sender.sent) == 13


async def test_enqueue_skips_keys_already_queued(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    def message(key: str, text: str) -> Message:
        return Message(
            chat_id=FIRST_CHAT,
            recipient_id=None,
            kind="tip",
            unique_key=key,
            payload={"text": text, "buttons": []},
            not_before=clock.now() + timedelta(minutes=5),
        )

    async with sessions.begin() as session:
        await enqueue(session, [message("a", "first a"), message("b", "b")], clock.now())
    async with sessions.begin() as session:
        await enqueue(
            session,
            [message("a", "second a"), message("c", "c"), message("c", "c again")],
            clock.now(),
        )
    async with sessions() as session:
        rows = (
            await session.scalars(select(OutboxDelivery).order_by(OutboxDelivery.unique_key))
        ).all()
    assert [(r.unique_key, r.payload["text"]) for r in rows] == [
        ("a", "first a"),
        ("b", "b"),
        ("c", "c"),
    ]
    assert {r.not_before for r in rows} == {clock.now() + timedelta(minutes=5)}
    assert {(r.priority, r.state, r.attempts) for r in rows} == {(40, DeliveryState.PENDING, 0)}
