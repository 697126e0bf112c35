"""A send whose answer comes after the client timeout: Telegram may have the message.

The emulator delivers the message at once and answers only after the client gave up.
At-most-once kinds are not sent again (their row is marked with an unknown outcome);
at-least-once kinds are.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminderbot.clock import FakeClock
from reminderbot.delivery.dispatcher import Dispatcher, DispatchSettings
from reminderbot.delivery.errors import TIMED_OUT_UNKNOWN, SendFailure
from reminderbot.delivery.http_sender import HttpSender
from reminderbot.delivery.outbox import Message, enqueue
from reminderbot.delivery.pacing import Limits, Pacer
from reminderbot.sandbox import BotApiSandbox
from reminderbot.store.models import DeliveryState, OutboxDelivery

TOKEN = "123456:TEST-timeouts"
CHAT = 7_000_001
CLIENT_TIMEOUT = 0.5
LATE_ANSWER = 1.5


async def _nothing(_session: AsyncSession, _row: OutboxDelivery, _failure: SendFailure) -> None:
    return None


async def _queue(sessions: async_sessionmaker[AsyncSession], clock: FakeClock, kind: str) -> None:
    async with sessions.begin() as session:
        await enqueue(
            session,
            [
                Message(
                    chat_id=CHAT,
                    recipient_id=None,
                    kind=kind,
                    unique_key=f"{kind}-1",
                    payload={"text": f"a {kind}", "buttons": []},
                    not_before=clock.now(),
                )
            ],
            clock.now(),
        )


async def _row(sessions: async_sessionmaker[AsyncSession]) -> OutboxDelivery:
    async with sessions() as session:
        return (await session.scalars(select(OutboxDelivery))).one()


async def _send_with_a_late_answer(
    sessions: async_sessionmaker[AsyncSession], clock: FakeClock, kind: str
) -> tuple[BotApiSandbox, Dispatcher]:
    """Queue one message of `kind`, answer its first send after the client timeout, drain."""
    await _queue(sessions, clock, kind)
    sandbox = BotApiSandbox(token=TOKEN, auto_create_chats=True)
    await sandbox.start()
    sandbox.faults.delay_answer("sendMessage", seconds=LATE_ANSWER, times=1)
    sender = HttpSender(sandbox.api_root, TOKEN, timeout=CLIENT_TIMEOUT)
    dispatcher = Dispatcher(
        sessions,
        sender,
        clock,
        Pacer(Limits(per_second=1000.0, private_chat_interval=0.0)),
        "worker-timeouts",
        _nothing,
        DispatchSettings(backoff_base=1.0),
    )
    await dispatcher.drain(timeout=10)
    return sandbox, dispatcher


async def test_a_tip_answered_after_the_timeout_arrives_once_and_is_marked_unknown(
    migrated: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    sandbox, dispatcher = await _send_with_a_late_answer(migrated, clock, "tip")
    try:
        assert sandbox.sent_count(CHAT) == 1  # delivered, though the client never heard so
        row = await _row(migrated)
        assert row.state == DeliveryState.FAILED
        assert row.last_error == TIMED_OUT_UNKNOWN
        assert dispatcher.stats.timed_out_unknown == 1
        # Later passes leave it alone: at most once.
        clock.advance(timedelta(hours=1))
        await dispatcher.drain(timeout=10)
        assert sandbox.sent_count(CHAT) == 1
        assert (await _row(migrated)).attempts == 1
    finally:
        await dispatcher.sender.close()
        await sandbox.stop()


async def test_an_alert_answered_after_the_timeout_is_sent_again(
    migrated: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    sandbox, dispatcher = await _send_with_a_late_answer(migrated, clock, "alert")
    try:
        assert sandbox.sent_count(CHAT) == 1
        row = await _row(migrated)
        assert row.state == DeliveryState.PENDING  # to be sent again after its backoff
        assert (row.last_error or "").startswith("TimedOut")
        clock.advance(timedelta(minutes=5))
        await dispatcher.drain(timeout=10)
        assert sandbox.sent_count(CHAT) == 2  # at least once: a copy may arrive twice
        row = await _row(migrated)
        assert row.state == DeliveryState.SENT and row.attempts == 2
        assert dispatcher.stats.timed_out_unknown == 0 and dispatcher.stats.retried == 1
    finally:
        await dispatcher.sender.close()
        await sandbox.stop()
