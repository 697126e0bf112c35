"""Two delivery workers on PostgreSQL; one is killed with SIGKILL in the middle of a tip wave."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from reminderbot.delivery.dispatcher import DispatchSettings
from reminderbot.delivery.outbox import UNKNOWN_OUTCOME, Message, enqueue
from reminderbot.sandbox import BotApiSandbox
from reminderbot.store.bulk_seed import SeedSchedule, seed_patients
from reminderbot.store.database import create_engine, session_factory
from reminderbot.store.migrations import upgrade
from reminderbot.store.models import DeliveryState, OutboxDelivery
from tests.cli.helpers import EMERGENCY_NUMBER, VALID_TOKEN, cli_process

PATIENTS = 400
ALERTS = 40
LEASE_SECONDS = 4.0
# The most rows one worker has marked `sending` without an answer yet.
CONCURRENCY = DispatchSettings().concurrency


def worker(
    tmp_path: Path, name: str, db_url: str, api_root: str
) -> AbstractAsyncContextManager[asyncio.subprocess.Process]:
    """A `reminderbot deliver` process; killed at the end if still running."""
    return cli_process(
        tmp_path,
        "deliver",
        TELEGRAM_BOT_TOKEN=VALID_TOKEN,
        REMINDERBOT_TELEGRAM_API_URL=api_root,
        REMINDERBOT_DATABASE_URL=db_url,
        REMINDERBOT_RATE_PER_SECOND="60",
        REMINDERBOT_LEASE_SECONDS=str(LEASE_SECONDS),
        REMINDERBOT_TICK_SECONDS="0.5",
        REMINDERBOT_WORKER_ID=name,
        REMINDERBOT_AUTO_MIGRATE="false",
        **EMERGENCY_NUMBER,
    )


async def wait_until(check: Callable[[], Awaitable[bool]], timeout: float, what: str) -> None:  # noqa: ASYNC109
    """Re-check a condition (a database query) until it holds or the timeout passes."""
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what}")
        await asyncio.sleep(0.1)


async def test_killed_worker_share_is_taken_over(tmp_path: Path, postgres_url: str) -> None:
    upgrade(postgres_url)
    engine = create_engine(postgres_url)
    sessions = session_factory(engine)
    now = datetime.now(UTC)
    ids = await seed_patients(
        sessions,
        PATIENTS,
        now,
        [SeedSchedule("tip", {"type": "daily"}, ["09:00"], now - timedelta(seconds=30))],
    )
    first_chat = 10_000_000

    async def unfinished() -> int:
        async with sessions() as session:
            return int(
                await session.scalar(
                    select(func.count())
                    .select_from(OutboxDelivery)
                    .where(OutboxDelivery.state.in_([DeliveryState.PENDING, DeliveryState.SENDING]))
                )
                or 0
            )

    try:
        async with (
            BotApiSandbox(token=VALID_TOKEN, auto_create_chats=True) as sandbox,
            worker(tmp_path, "worker-a", postgres_url, sandbox.api_root) as worker_a,
            worker(tmp_path, "worker-b", postgres_url, sandbox.api_root) as worker_b,
        ):
            await sandbox.wait_for(lambda s: s.sent_count() >= 60, timeout=60)
            async with sessions.begin() as session:
                await enqueue(
                    session,
                    [
                        Message(
                            chat_id=first_chat + k,
                            recipient_id=ids[k],
                            kind="alert",
                            unique_key=f"test-alert-{k}",
                            payload={"text": f"ALERT {k}", "buttons": []},
                            not_before=datetime.now(UTC),
                        )
                        for k in range(ALERTS)
                    ],
                    datetime.now(UTC),
                )
            await sandbox.wait_for(lambda s: s.sent_count() >= 140, timeout=60)
            worker_a.send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            await worker_a.wait()

            async def all_final() -> bool:
                async with sessions() as session:
                    planned = await session.scalar(select(func.count()).select_from(OutboxDelivery))
                return planned == PATIENTS + ALERTS and await unfinished() == 0

            async def dead_share_taken_over() -> bool:
                # Nothing is still held by the dead worker: its leased rows were claimed by
                # the other worker and its rows caught mid-send were settled.
                async with sessions() as session:
                    held = await session.scalar(
                        select(func.count())
                        .select_from(OutboxDelivery)
                        .where(
                            OutboxDelivery.claimed_by == "worker-a",
                            OutboxDelivery.state.in_(
                                [DeliveryState.PENDING, DeliveryState.SENDING]
                            ),
                        )
                    )
                return held == 0

            await wait_until(dead_share_taken_over, timeout=60, what="the dead worker's share")
            takeover = time.monotonic() - killed_at
            await wait_until(all_final, timeout=120, what="every row sent or settled")
            worker_b.send_signal(signal.SIGTERM)
            assert await asyncio.wait_for(worker_b.wait(), 30) == 0

            tips_per_chat = {}
            alerts_seen = {}
            for k in range(PATIENTS):
                chat = sandbox.chat(first_chat + k)
                texts = [m.text for m in chat.messages] if chat else []
                tips_per_chat[k] = sum(1 for t in texts if t.startswith("💡"))
                if k < ALERTS:
                    alerts_seen[k] = texts.count(f"ALERT {k}")

        async with sessions() as session:
            rows = (await session.scalars(select(OutboxDelivery))).all()
        tips = [r for r in rows if r.kind == "tip"]
        unknown = [r for r in tips if r.state == DeliveryState.FAILED]
        sent = [r for r in tips if r.state == DeliveryState.SENT]
        print(
            f"\nmulti-worker: {len(sent)} tips sent, {len(unknown)} in flight at the kill "
            f"(not resent), takeover {takeover:.1f}s, alerts {sorted(set(alerts_seen.values()))}"
        )
        # Tips: at most once — never a second copy, even of a tip in flight at the kill.
        assert max(tips_per_chat.values()) == 1
        assert len(sent) + len(unknown) == PATIENTS
        assert all(r.last_error == UNKNOWN_OUTCOME for r in unknown)
        # Exactly once for every tip that was not on the wire when its worker died: the only
        # tips never delivered are some of those, and at most one worker's sends in flight.
        lost = [k for k, n in tips_per_chat.items() if n == 0]
        print(f"multi-worker: {len(lost)} tips never delivered")
        assert {ids[k] for k in lost} <= {r.recipient_id for r in unknown}
        assert len(lost) <= CONCURRENCY
        # Alerts: at least once, every one of them.
        assert all(count >= 1 for count in alerts_seen.values()), alerts_seen
        # Takeover bound stated in the README: 1.5 × the lease, plus a tick.
        assert takeover <= 1.5 * LEASE_SECONDS + 3.0
    finally:
        await engine.dispose()
