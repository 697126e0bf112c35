"""The dispatcher: leases ready outbox rows, paces them, sends them, records every outcome."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminderbot.clock import Clock
from reminderbot.delivery import outbox
from reminderbot.delivery.errors import Outcome, SendFailure, classify
from reminderbot.delivery.pacing import Pacer
from reminderbot.store.models import OutboxDelivery

log = logging.getLogger(__name__)


class Sender(Protocol):
    """Sends one outbox payload to a chat and returns Telegram's message id."""

    async def send(self, chat_id: int, payload: dict[str, Any]) -> int | None:
        """Send, raising python-telegram-bot's errors on failure."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


PermanentHandler = Callable[[AsyncSession, OutboxDelivery, SendFailure], Awaitable[None]]


@dataclass(frozen=True)
class DispatchSettings:
    """Tuning knobs; the defaults suit Telegram's public limits."""

    lease: timedelta = timedelta(seconds=30)
    batch: int = 300
    concurrency: int = 32
    max_attempts: int = 5
    backoff_base: float = 2.0
    backoff_cap: float = 300.0
    # How far ahead a paced slot may be reserved; small keeps urgent messages close to the head.
    window: float = 0.0
    claim_interval: float = 0.1
    idle_poll: float = 1.0


@dataclass
class DispatchStats:
    """Counters since start, for logs, tests and benchmarks."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    rate_limited: int = 0
    given_up_unknown: int = 0
    latencies: list[float] = field(default_factory=list)


@dataclass
class _Result:
    row: OutboxDelivery
    message_id: int | None = None
    failure: SendFailure | None = None


class Dispatcher:
    """One per worker process; several workers share the outbox safely through leases."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        sender: Sender,
        clock: Clock,
        pacer: Pacer,
        worker_id: str,
        on_permanent: PermanentHandler,
        settings: DispatchSettings | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.clock = clock
        self.pacer = pacer
        self.worker_id = worker_id
        self.on_permanent = on_permanent
        self.settings = settings or DispatchSettings()
        self.stats = DispatchStats()
        self._mono = monotonic
        self._buffer: dict[int, OutboxDelivery] = {}
        self._results: list[_Result] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        self._sending: set[int] = set()
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        self._wake = asyncio.Event()
        self._last_renew = 0.0
        self._last_claim = -1e9
        self._last_recover = -1e9

    def wake(self) -> None:
        """Tell the dispatcher new rows may be ready (called after an enqueue)."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set; then finish sends in flight and hand back the rest."""
        try:
            while not stop.is_set():
                try:
                    wait = await self.cycle()
                except Exception:  # one bad cycle must not end delivery
                    log.exception("dispatch cycle failed; retrying")
                    wait = self.settings.idle_poll
                if wait > 0:
                    await self._sleep(wait, stop)
        finally:
            await self.shutdown()

    async def drain(self, timeout: float = 30.0) -> DispatchStats:  # noqa: ASYNC109
        """Dispatch until nothing is ready, buffered or in flight (tests, benchmarks, demo)."""
        deadline = self._mono() + timeout
        while True:
            wait = await self.cycle()
            idle = not self._buffer and not self._in_flight and not self._results
            if idle and wait > 0:
                return self.stats
            if self._mono() > deadline:
                raise TimeoutError(
                    f"outbox not drained in {timeout}s: {len(self._buffer)} buffered, "
                    f"{len(self._in_flight)} in flight"
                )
            if wait > 0:
                await self._sleep(min(wait, 0.05), None)

    async def shutdown(self) -> None:
        """Wait for sends in flight, record them, and release rows never attempted."""
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)
        await self._flush()
        if self._buffer:
            async with self.sessions.begin() as session:
                await outbox.release(session, list(self._buffer))
            self._buffer.clear()

    async def cycle(self) -> float:
        """Record results, lease more work, start the sends that are due; return a wait hint."""
        await self._flush()
        await self._housekeeping()
        # Claim when the buffer runs low, and at least every claim_interval so that an alert
        # queued in the middle of a long wave is leased (most urgent first) without delay.
        mono = self._mono()
        if len(self._buffer) < self.settings.batch // 2 or (
            mono - self._last_claim >= self.settings.claim_interval
        ):
            self._last_claim = mono
            await self._claim()
        chunk = self._pick()
        if chunk:
            await self._start(chunk)
            return 0.0
        if self._results:
            return 0.0
        if self._buffer:
            soonest = min(self.pacer.ready_at(r.chat_id) for r in self._buffer.values())
            return max(0.001, min(soonest - self._mono(), self.settings.idle_poll))
        return self.settings.idle_poll if not self._in_flight else 0.01

    async def _sleep(self, seconds: float, stop: asyncio.Event | None) -> None:
        self._wake.clear()
        waiters = [asyncio.ensure_future(self._wake.wait())]
        if stop is not None:
            waiters.append(asyncio.ensure_future(stop.wait()))
        try:
            await asyncio.wait(waiters, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()

    async def _housekeeping(self) -> None:
        mono = self._mono()
        lease = self.settings.lease.total_seconds()
        if mono - self._last_recover > lease / 2:
            self._last_recover = mono
            async with self.sessions.begin() as session:
                requeued, given_up = await outbox.recover_expired(session, self.clock.now())
            if requeued or given_up:
                self.stats.given_up_unknown += given_up
                log.warning(
                    "took over rows of a stopped worker requeued=%d unknown=%d", requeued, given_up
                )
        held = [*self._buffer, *self._sending]
        if held and mono - self._last_renew > lease / 3:
            # Renew what this worker holds, sends in flight included, so that a slow send is
            # never mistaken for a dead worker's.
            self._last_renew = mono
            async with self.sessions.begin() as session:
                await session.execute(
                    update(OutboxDelivery)
                    .where(
                        OutboxDelivery.id.in_(held),
                        OutboxDelivery.claimed_by == self.worker_id,
                    )
                    .values(claimed_until=self.clock.now() + self.settings.lease)
                    .execution_options(synchronize_session=False)
                )

    async def _claim(self) -> None:
        limit = self.settings.batch - len(self._buffer)
        async with self.sessions.begin() as session:
            rows = await outbox.claim_ready(
                session, self.worker_id, self.clock.now(), self.settings.lease, limit
            )
        if rows and not self._buffer:
            self._last_renew = self._mono()
        for row in rows:
            self._buffer[row.id] = row

    def _pick(self) -> list[tuple[OutboxDelivery, float]]:
        """Reserve paced slots, most urgent first, for rows whose slot falls in the window."""
        horizon = self._mono() + self.settings.window
        free = self.settings.concurrency - len(self._in_flight)
        chunk: list[tuple[OutboxDelivery, float]] = []
        for row in sorted(self._buffer.values(), key=lambda r: (r.priority, r.not_before, r.id)):
            if len(chunk) >= free:
                break
            at = self.pacer.ready_at(row.chat_id)
            if at > horizon:
                if self.pacer.chat_ready_at(row.chat_id) > horizon:
                    continue  # this chat is busy; a less urgent row to another chat may go
                break  # the overall rate is the limit: later rows cannot go sooner
            self.pacer.take_at(row.chat_id, at)
            chunk.append((row, at))
        return chunk

    async def _start(self, chunk: list[tuple[OutboxDelivery, float]]) -> None:
        ids = [row.id for row, _ in chunk]
        async with self.sessions.begin() as session:
            held = set(
                await outbox.mark_sending(
                    session, self.worker_id, ids, self.clock.now(), self.settings.lease
                )
            )
        for row, at in chunk:
            self._buffer.pop(row.id, None)
            if row.id not in held:
                continue  # another worker took it over after our lease lapsed
            self._sending.add(row.id)
            task = asyncio.create_task(self._send(row, at))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)

    async def _send(self, row: OutboxDelivery, at: float) -> None:
        async with self._slots:
            delay = max(at, self.pacer.paused_until) - self._mono()
            if delay > 0:
                await asyncio.sleep(delay)
            while (wait := self.pacer.start_delay()) > 0:  # noqa: ASYNC110 - a computed instant
                await asyncio.sleep(wait)
            self.pacer.started()
            started = self._mono()
            try:
                message_id = await self.sender.send(row.chat_id, row.payload)
            except Exception as exc:  # every failure is classified and recorded
                failure = classify(exc)
                if failure.outcome is Outcome.RATE_LIMITED and failure.retry_after:
                    self.pacer.pause(failure.retry_after.total_seconds())
                self._results.append(_Result(row, failure=failure))
            else:
                self.stats.latencies.append(self._mono() - started)
                self._results.append(_Result(row, message_id=message_id))
            self.wake()

    async def _flush(self) -> None:
        if not self._results:
            return
        results, self._results = self._results, []
        self._sending.difference_update(r.row.id for r in results)
        now = self.clock.now()
        async with self.sessions.begin() as session:
            await outbox.mark_sent(
                session, [(r.row.id, r.message_id) for r in results if r.failure is None], now
            )
            for result in results:
                if result.failure is not None:
                    await self._record_failure(session, result.row, result.failure)
        self.stats.sent += sum(1 for r in results if r.failure is None)

    async def _record_failure(
        self, session: AsyncSession, row: OutboxDelivery, failure: SendFailure
    ) -> None:
        now = self.clock.now()
        if failure.outcome is Outcome.RATE_LIMITED:
            self.stats.rate_limited += 1
            wait = failure.retry_after or timedelta(seconds=1)
            await outbox.mark_retry(session, row.id, now + wait, failure.reason, count=False)
            log.warning(
                "rate limited by Telegram delivery=%d retry_after=%.1fs",
                row.id,
                wait.total_seconds(),
            )
        elif failure.outcome is Outcome.PERMANENT:
            self.stats.unreachable += 1
            await outbox.mark_failed(session, row.id, failure.reason)
            for other in [r for r in self._buffer.values() if r.chat_id == row.chat_id]:
                self._buffer.pop(other.id, None)
            await self.on_permanent(session, row, failure)
            log.warning("chat unreachable delivery=%d recipient=%s", row.id, row.recipient_id)
        elif failure.outcome is Outcome.TRANSIENT and row.attempts + 1 < self.settings.max_attempts:
            self.stats.retried += 1
            backoff = min(self.settings.backoff_cap, self.settings.backoff_base * 2**row.attempts)
            backoff *= random.uniform(0.5, 1.5)  # jitter, not security
            await outbox.mark_retry(
                session, row.id, now + timedelta(seconds=backoff), failure.reason
            )
            log.info(
                "send failed, will retry delivery=%d attempt=%d in=%.1fs",
                row.id,
                row.attempts + 1,
                backoff,
            )
        else:
            self.stats.failed += 1
            await outbox.mark_failed(session, row.id, failure.reason)
            log.error(
                "gave up on delivery=%d kind=%s attempts=%d outcome=%s",
                row.id,
                row.kind,
                row.attempts + 1,
                failure.outcome.value,
            )
