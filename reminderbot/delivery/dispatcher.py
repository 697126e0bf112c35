"""The dispatcher: leases ready outbox rows, paces them, sends them, records every outcome."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from reminderbot.clock import Clock
from reminderbot.delivery import outbox
from reminderbot.delivery.budget import SharedBudget
from reminderbot.delivery.errors import TIMED_OUT_UNKNOWN, Outcome, SendFailure, classify
from reminderbot.delivery.kinds import MessageKind, message_kind
from reminderbot.delivery.pacing import Lane, Pacer
from reminderbot.delivery.policy import Semantics, policy
from reminderbot.delivery.stats import DispatchStats
from reminderbot.store.models import OutboxDelivery

__all__ = ["DispatchSettings", "DispatchStats", "Dispatcher", "Sender", "lane_of"]

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
    # Rows marked `sending` whose answer has not come back yet, at most: what a crash can
    # leave with an unknown outcome. A row holds its slot from its transaction to Telegram's
    # answer (a database round plus a send); at 1,000/s, 32 slots ran dry on a busy machine.
    concurrency: int = 64
    max_attempts: int = 5
    backoff_base: float = 2.0
    backoff_cap: float = 300.0
    # How far ahead a paced slot may be booked (its row is marked `sending` when booked):
    # enough to cover one database round so that sends never wait for it, and small, so
    # that an urgent message is never queued behind many booked ones.
    window: float = 0.05
    # On a slow database (a busy machine) one round takes longer: the window then follows the
    # recent slowest cycle, up to this, so that slots are not missed while a transaction runs.
    max_window: float = 0.25
    claim_interval: float = 0.1
    # On PostgreSQL, share the overall rate with the other live workers, counted this often.
    share_rate: bool = True
    budget_interval: float = 1.0
    idle_poll: float = 1.0


@dataclass
class _Result:
    row: OutboxDelivery
    message_id: int | None = None
    failure: SendFailure | None = None


def _urgency(row: OutboxDelivery) -> tuple[Any, ...]:
    return (row.priority, row.not_before, row.id)


def lane_of(kind: MessageKind) -> Lane:
    """The pacer lane of an outbox kind: replies queued after failing, urgent, or routine."""
    if kind is MessageKind.REPLY:
        return Lane.INTERACTIVE
    return Lane.ROUTINE if policy(kind).routine else Lane.URGENT


class Dispatcher:
    """One per worker process; several workers share the outbox safely through leases.

    Each cycle is one database transaction that records the outcomes of finished sends,
    leases more rows when needed, and marks `sending` the rows whose paced slot has come (or
    comes within `window`). Their sends then run as tasks while the next cycle's transaction
    goes on, so the database work never sits between two sends.
    """

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
        stats: DispatchStats | None = None,
    ) -> None:
        self.sessions = sessions
        self.sender = sender
        self.clock = clock
        self.pacer = pacer
        self.worker_id = worker_id
        self.on_permanent = on_permanent
        self.settings = settings or DispatchSettings()
        # Shared with the Application's rate limiter when both send for one process.
        self.stats = stats or DispatchStats()
        self._mono = monotonic
        # Leased rows not yet attempted, kept in urgency order (re-sorted after each claim).
        self._buffer: dict[int, OutboxDelivery] = {}
        self._results: list[_Result] = []
        self._in_flight: set[asyncio.Task[None]] = set()
        # Rows marked `sending` whose outcome is not recorded yet (their lease is renewed).
        self._sending: set[int] = set()
        self._wake = asyncio.Event()
        self._last_renew = 0.0
        self._slow_cycle = 0.0
        self._last_claim = -1e9
        self._last_recover = -1e9
        # The last claim found fewer ready rows than it asked for: the outbox has nothing more
        # until something is enqueued (wake) or claim_interval passes.
        self._exhausted = False

    def wake(self) -> None:
        """Tell the dispatcher new rows may be ready (called after an enqueue)."""
        self._exhausted = False
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Dispatch until `stop` is set; then finish sends in flight and hand back the rest.

        On PostgreSQL this worker sends at its share of the overall rate (see budget.py).
        """
        budget = self._budget()
        next_count = 0.0
        try:
            while not stop.is_set():
                if budget is not None and self._mono() >= next_count:
                    next_count = self._mono() + self.settings.budget_interval
                    await self._count_workers(budget)
                try:
                    wait = await self.cycle()
                except Exception:  # one bad cycle must not end delivery
                    log.exception("dispatch cycle failed; retrying")
                    wait = self.settings.idle_poll
                if wait > 0:
                    if budget is not None:
                        wait = min(wait, max(0.001, next_count - self._mono()))
                    await self._sleep(wait, stop)
        finally:
            await self.shutdown()
            if budget is not None:
                await budget.close()

    def _budget(self) -> SharedBudget | None:
        engine = self.sessions.kw.get("bind")
        if not self.settings.share_rate or not isinstance(engine, AsyncEngine):
            return None
        return SharedBudget(engine) if engine.dialect.name == "postgresql" else None

    async def _count_workers(self, budget: SharedBudget) -> None:
        before, joined = budget.workers, budget.slot is not None
        self.pacer.set_share(await budget.refresh())
        if not joined and budget.slot is not None:
            # The workers already running make room for this one at their next count: until
            # then this one sends nothing, so that together they never exceed the limit.
            self.pacer.pause(1.5 * self.settings.budget_interval)
        if budget.workers != before:
            log.info(
                "delivery workers=%d this worker's rate=%.1f/s", budget.workers, self.pacer.rate
            )

    async def drain(self, timeout: float = 30.0) -> DispatchStats:  # noqa: ASYNC109
        """Dispatch until nothing is ready, buffered or in flight (tests, benchmarks, demo)."""
        deadline = self._mono() + timeout
        self._exhausted = False  # rows may have become ready since (the clock may be a fake)
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
        if self._results:
            await self._step(claim=False, pick=False)
        if self._buffer:
            async with self.sessions.begin() as session:
                await outbox.release(session, list(self._buffer))
            self._buffer.clear()

    async def cycle(self) -> float:
        """Record outcomes, lease more work, start the sends that are due; return a wait hint."""
        began = self._mono()
        try:
            return await self._cycle()
        finally:
            took = max(0.0, self._mono() - began)
            self.stats.cycles += 1
            self.stats.cycle_seconds.add(took)
            # A decaying peak: one slow round widens the window for the next second or so.
            self._slow_cycle = max(took, self._slow_cycle * 0.95)

    def _window(self) -> float:
        """How far ahead of its slot a row is marked `sending` (see DispatchSettings.window)."""
        wanted = max(self.settings.window, 1.5 * self._slow_cycle)
        return min(wanted, max(self.settings.window, self.settings.max_window))

    async def _cycle(self) -> float:
        await self._housekeeping()
        # Claim when the buffer runs low, and at least every claim_interval so that an alert
        # queued in the middle of a long wave is leased (most urgent first) without delay.
        claim = self._mono() - self._last_claim >= self.settings.claim_interval
        pick = bool(self._buffer) and self._free_slots() > 0 and self._due_soon()
        work = claim or pick or self._results or self._wants_rows()
        if work and await self._step(claim=claim, pick=True):
            return 0.0
        if self._results:
            return 0.0
        if self._buffer and self._free_slots() > 0:
            overall = self.pacer.projected_ready(self.pacer.queued)
            chats = min(self.pacer.chat_ready_at(r.chat_id) for r in self._buffer.values())
            wait = max(overall, chats) - self._window() - self._mono()
            return max(0.001, min(wait, self.settings.idle_poll))
        if self._in_flight:
            return 0.05  # a finished send wakes the loop sooner
        return self.settings.idle_poll

    def _wants_rows(self) -> bool:
        """Whether the buffer runs low while the outbox may have more ready."""
        return len(self._buffer) < self.settings.batch // 2 and not self._exhausted

    def _free_slots(self) -> int:
        return self.settings.concurrency - len(self._in_flight)

    def _due_soon(self) -> bool:
        horizon = self._mono() + self._window()
        if self.pacer.projected_ready(self.pacer.queued) > horizon:
            return False  # no row can go sooner than the overall rate allows
        return any(self.pacer.chat_ready_at(r.chat_id) <= horizon for r in self._buffer.values())

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

    async def _step(self, claim: bool, pick: bool) -> bool:
        """One transaction: record outcomes, lease, mark due rows `sending`; start their sends.

        Returns whether any send was started.
        """
        results, self._results = self._results, []
        chunk: list[tuple[OutboxDelivery, float]] = []
        held: set[int] = set()
        counters: list[str] = []
        now = self.clock.now()
        try:
            async with self.sessions.begin() as session:
                if results:
                    counters = await self._record(session, results)
                # After recording: an unreachable chat's notice to the coordinators is one
                # more row to lease (in this same transaction, which wrote it).
                if pick and (claim or self._wants_rows()):
                    self._last_claim = self._mono()
                    await self._claim(session)
                if pick:
                    chunk = self._pick()
                if chunk:
                    # Conditional on the row still being pending and leased to this worker:
                    # a row cancelled meanwhile (or taken over after a lapsed lease) is dropped.
                    held = set(
                        await outbox.mark_sending(
                            session,
                            self.worker_id,
                            [row.id for row, _ in chunk],
                            now,
                            self.settings.lease,
                        )
                    )
        except BaseException:
            # Nothing of this transaction happened: the outcomes are recorded by a later one.
            self._results = results + self._results
            raise
        self._settle(results, counters)
        for row, at in chunk:
            self._buffer.pop(row.id, None)
            if row.id not in held:
                continue  # cancelled, or another worker took it over after our lease lapsed
            self._sending.add(row.id)
            task = asyncio.create_task(self._send(row, at))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        return bool(held)

    async def _claim(self, session: AsyncSession) -> None:
        room = self.settings.batch - len(self._buffer)
        full = len(self._buffer) < self.settings.batch // 2
        if full:
            limit, urgent = room, None
        else:
            # While plenty is buffered, the periodic claim only looks for a more urgent lane
            # than the least urgent row held (an index range, empty in a routine wave), and a
            # full buffer does not keep those rows out.
            limit = max(room, self.settings.concurrency)
            urgent = max(row.priority for row in self._buffer.values())
        rows = await outbox.claim_ready(
            session, self.worker_id, self.clock.now(), self.settings.lease, limit, urgent
        )
        if full:
            self._exhausted = len(rows) < limit
        if not rows:
            return
        if not self._buffer:
            self._last_renew = self._mono()
        merged = {**self._buffer, **{row.id: row for row in rows}}
        self._buffer = dict(sorted(merged.items(), key=lambda item: _urgency(item[1])))

    def _pick(self) -> list[tuple[OutboxDelivery, float]]:
        """Choose, most urgent first, the rows whose paced slot falls in the window.

        Their slots are taken in the pacer when their sends start (`acquire`), behind any
        reply waiting there: the projection counts the sends already waiting.
        """
        horizon = self._mono() + self._window()
        free = self._free_slots()
        ahead = self.pacer.queued
        chunk: list[tuple[OutboxDelivery, float]] = []
        chats: set[int] = set()
        for row in self._buffer.values():
            if len(chunk) >= free:
                break
            at = self.pacer.projected_ready(ahead + len(chunk))
            if at > horizon:
                break  # the overall rate is the limit: later rows cannot go sooner
            chat_at = self.pacer.chat_ready_at(row.chat_id)
            if chat_at > horizon or row.chat_id in chats or self.pacer.waiting_for(row.chat_id):
                continue  # this chat is busy; a less urgent row to another chat may go
            chats.add(row.chat_id)
            chunk.append((row, max(at, chat_at)))
        return chunk

    async def _send(self, row: OutboxDelivery, _at: float) -> None:
        started = await self.pacer.acquire(row.chat_id, lane_of(message_kind(row.kind)))
        try:
            message_id = await self.sender.send(row.chat_id, row.payload)
        except Exception as exc:  # every failure is classified and recorded
            self.pacer.answered(row.chat_id, started)
            failure = classify(exc)
            if failure.outcome is Outcome.RATE_LIMITED and failure.retry_after:
                self.stats.paused_seconds += self.pacer.pause(failure.retry_after.total_seconds())
            self._results.append(_Result(row, failure=failure))
        else:
            self.pacer.answered(row.chat_id, started)
            self.stats.latencies.add(self._mono() - started)
            self._results.append(_Result(row, message_id=message_id))
        self._wake.set()  # an outcome to record and a free slot; nothing new in the outbox

    async def _record(self, session: AsyncSession, results: list[_Result]) -> list[str]:
        """Write the outcomes; return the counter each one adds to once committed."""
        now = self.clock.now()
        await outbox.mark_sent(
            session, [(r.row.id, r.message_id) for r in results if r.failure is None], now
        )
        counters = []
        for result in results:
            if result.failure is None:
                counters.append("sent")
            else:
                counters.append(await self._record_failure(session, result.row, result.failure))
        return counters

    def _settle(self, results: list[_Result], counters: list[str]) -> None:
        """Forget the recorded rows and count their outcomes, once their transaction committed."""
        self._sending.difference_update(r.row.id for r in results)
        for counter in counters:
            setattr(self.stats, counter, getattr(self.stats, counter) + 1)

    async def _record_failure(
        self, session: AsyncSession, row: OutboxDelivery, failure: SendFailure
    ) -> str:
        now = self.clock.now()
        if failure.outcome is Outcome.RATE_LIMITED:
            wait = failure.retry_after or timedelta(seconds=1)
            await outbox.mark_retry(session, row.id, now + wait, failure.reason, count=False)
            log.warning(
                "rate limited by Telegram delivery=%d retry_after=%.1fs",
                row.id,
                wait.total_seconds(),
            )
            return "rate_limited"
        if failure.outcome is Outcome.PERMANENT:
            await outbox.mark_failed(session, row.id, failure.reason)
            for other in [r for r in self._buffer.values() if r.chat_id == row.chat_id]:
                self._buffer.pop(other.id, None)
            await self.on_permanent(session, row, failure)
            self._exhausted = False  # the handler may have queued notices
            log.warning("chat unreachable delivery=%d recipient=%s", row.id, row.recipient_id)
            return "unreachable"
        semantics = policy(message_kind(row.kind)).semantics
        if failure.maybe_delivered and semantics is Semantics.AT_MOST_ONCE:
            # Telegram may have the message: a routine kind is never doubled.
            await outbox.mark_failed(session, row.id, TIMED_OUT_UNKNOWN)
            log.warning("send timed out, outcome unknown, not sent again delivery=%d", row.id)
            return "timed_out_unknown"
        if failure.outcome is Outcome.TRANSIENT and row.attempts + 1 < self.settings.max_attempts:
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
            return "retried"
        await outbox.mark_failed(session, row.id, failure.reason)
        log.error(
            "gave up on delivery=%d kind=%s attempts=%d outcome=%s",
            row.id,
            row.kind,
            row.attempts + 1,
            failure.outcome.value,
        )
        return "failed"
