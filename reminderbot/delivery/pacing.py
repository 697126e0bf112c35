"""Pacing every send of a process within Telegram's limits, most urgent first.

One Pacer per process takes every message the bot sends: the dispatcher's outbox rows and
the Application's direct replies (through `rate_limiter.PacedRateLimiter`). Each send waits
in `acquire()` for its slot; slots go by lane (replies, then alerts, then routine) and, within
a lane, first come first served. A slot respects the overall rate (or this worker's share of
it), the per-chat limits and any 429 pause.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum

# Telegram counts the messages that arrive in any one second. A message arrives after its send
# started (plus the trip there) and before its answer came back (minus the trip back). So a send
# may start once the `per_second`-th most recent answer (counting the sends still awaiting one
# as just answered) is a second old, less the shortest round trip seen: then no second can see
# more arrivals. This is the rounding margin.
WINDOW_MARGIN = 0.001
# Kept off the shortest round trip before it is credited: a network's round trip has a hard
# floor (distance) and a long tail upwards, so its recent minimum is a safe estimate of the
# floor, less this much for clock and scheduling noise.
FLOOR_MARGIN = 0.005
# Round trips seen before any is credited, and the length of each of the two blocks over which
# the minimum is taken (the floor is the minimum of the last 256 to 512 round trips).
FLOOR_MIN_SAMPLES = 32
FLOOR_BLOCK = 256


# Chats remembered before those whose interval has passed are forgotten.
PRUNE_AT = 4096
# The burst a private chat may take in the running bot (Limits.configured).
CHAT_BURST = 3
# How far behind its plan the even spacing may catch up after the event loop was held up.
CATCH_UP = 0.1


class Lane(IntEnum):
    """Who goes first when several sends wait for the same slot."""

    INTERACTIVE = 0  # replies to a user's update, emergency advice included
    URGENT = 1  # alerts, notices, escalation follow-ups, replies queued in the outbox
    ROUTINE = 2  # tips, check-in prompts, reminders, broadcasts


@dataclass(frozen=True)
class Limits:
    """Telegram's flood limits (Bots FAQ); configurable, with paid broadcast up to 1000/s."""

    per_second: float = 30.0
    private_chat_interval: float = 1.0
    group_per_minute: int = 20
    # Messages a private chat may get back to back before the interval applies (a reply of
    # advice and a thank-you): Telegram allows short bursts over one message a second.
    private_chat_burst: int = 1

    @classmethod
    def paid_broadcast(cls) -> Limits:
        """Limits for a bot with paid broadcasts enabled."""
        return cls(per_second=1000.0)

    @classmethod
    def configured(cls, paid_broadcast: bool, per_second: float) -> Limits:
        """The limits the settings ask for (REMINDERBOT_PAID_BROADCAST, ..._RATE_PER_SECOND)."""
        rate = 1000.0 if paid_broadcast else per_second
        return cls(per_second=rate, private_chat_burst=CHAT_BURST)


class RoundTripFloor:
    """The shortest recent round trip, in constant memory (two blocks of samples)."""

    def __init__(self, block: int = FLOOR_BLOCK) -> None:
        self._block = block
        self._current = math.inf
        self._previous = math.inf
        self._in_block = 0
        self.samples = 0

    def add(self, seconds: float) -> None:
        """Record one round trip."""
        self.samples += 1
        self._current = min(self._current, seconds)
        self._in_block += 1
        if self._in_block >= self._block:
            self._previous, self._current, self._in_block = self._current, math.inf, 0

    @property
    def value(self) -> float:
        """The shortest round trip of the last one or two blocks (inf before any)."""
        return min(self._current, self._previous)


@dataclass(order=True)
class _Waiter:
    lane: int
    seq: int
    chat_id: int = field(compare=False)
    per_chat: bool = field(compare=False)
    waits_for_chat: bool = field(compare=False)
    future: asyncio.Future[float] = field(compare=False)


class Pacer:
    """Decides when the next message to a chat may go, and holds everyone during a 429."""

    def __init__(
        self,
        limits: Limits,
        monotonic: Callable[[], float] = time.monotonic,
        share: float = 1.0,
    ) -> None:
        self.limits = limits
        self._now = monotonic
        self._next_global = 0.0
        self._next_private: dict[int, float] = {}
        self._prune_at = PRUNE_AT
        self._group_sends: dict[int, deque[float]] = {}
        self._paused_until = 0.0
        # Upper bounds of recent sends' arrival instants (answer less the credited round trip),
        # kept non-decreasing, the last `_window` of them; and sends awaiting their answer.
        self._bounds: deque[float] = deque()
        self._unanswered = 0
        self.floor = RoundTripFloor()
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self.share = 0.0
        self.set_share(share)

    # -- this worker's share of the overall rate ---------------------------------------------

    def set_share(self, share: float) -> None:
        """Use `share` (0 < share <= 1) of the overall rate: several workers split it."""
        share = min(1.0, max(share, 1e-6))
        if share == self.share:
            return
        self.share = share
        rate = self.limits.per_second * share
        # Even spacing keeps the sends of a wave from bunching into bursts.
        self._spacing = 1.0 / rate
        self._window = max(1, int(rate + 1e-9))
        self._bounds = deque(self._bounds, maxlen=self._window)
        self._pump()

    @property
    def rate(self) -> float:
        """The sends per second this pacer allows (its share of the overall rate)."""
        return self.limits.per_second * self.share

    # -- pauses --------------------------------------------------------------------------------

    def pause(self, seconds: float) -> float:
        """Stop every send for `seconds` (Telegram's retry_after applies to the whole bot).

        Returns by how much the pause was extended (for the time-paused counter).
        """
        now = self._now()
        before = max(self._paused_until, now)
        self._paused_until = max(self._paused_until, now + seconds)
        self._pump()
        return self._paused_until - before

    @property
    def paused_until(self) -> float:
        """The monotonic time until which Telegram asked everyone to wait."""
        return self._paused_until

    # -- when may a send start ---------------------------------------------------------------

    def credit(self) -> float:
        """How much of each round trip is known to be travel, not waiting at the server."""
        if self.floor.samples < FLOOR_MIN_SAMPLES:
            return 0.0
        return max(0.0, self.floor.value - FLOOR_MARGIN)

    def _window_ready(self, ahead: int = 0) -> float:
        """When one more send may start, `ahead` grants from now, without a full second."""
        free = self._window - self._unanswered - ahead
        if free <= 0:
            return math.inf  # a send may start only once another one is answered
        if len(self._bounds) < free:
            return 0.0
        return self._bounds[-free] + 1.0 + WINDOW_MARGIN

    def overall_ready_at(self) -> float:
        """Return the monotonic time before which no message at all may be sent."""
        return max(self._next_global, self._paused_until, self._window_ready())

    def projected_ready(self, ahead: int) -> float:
        """When the send `ahead` places behind the next one could start, as far as known now."""
        spaced = self._next_global + ahead * self._spacing if ahead else self._next_global
        return max(spaced, self._paused_until, self._window_ready(ahead))

    def ready_at(self, chat_id: int) -> float:
        """Return the monotonic time at which a message to this chat may be sent."""
        return max(self.overall_ready_at(), self.chat_ready_at(chat_id))

    def chat_ready_at(self, chat_id: int) -> float:
        """Return when this chat alone (ignoring the overall rate) can take the next message."""
        if chat_id < 0:
            sends = self._group_sends.get(chat_id)
            if sends and len(sends) >= self.limits.group_per_minute:
                return sends[0] + 60.0
            return 0.0
        # _next_private holds when the chat's burst allowance is whole again, one interval per
        # message booked (a "theoretical arrival time"); with a burst of 1, its next slot.
        limits = self.limits
        slack = (limits.private_chat_burst - 1) * limits.private_chat_interval
        return self._next_private.get(chat_id, 0.0) - slack

    def start_delay(self) -> float:
        """Seconds to wait before a send may start without exceeding the sliding second.

        Ask again after waiting: the answer can change as other sends are answered.
        """
        now = self._now()
        ready = self._window_ready()
        if ready == math.inf:
            ready = now + 0.01  # a full second's worth of sends still awaits answers
        return max(0.0, self._paused_until - now, ready - now)

    # -- booking and recording -----------------------------------------------------------------

    def take_at(self, chat_id: int, at: float, per_chat: bool = True) -> float:
        """Book the slot at monotonic time `at` (from `ready_at`) for a send to this chat.

        Returns the instant booked: `at`, or now when `at` has passed. `per_chat=False` (an
        edit) takes a slot of the overall rate only.
        """
        # A slot in the past is a send happening now: booking from the past would let a burst
        # through until the schedule catches up with the clock.
        at = max(at, self._now())
        self._book(chat_id, at, at, per_chat)
        return at

    def _book(self, chat_id: int, slot: float, at: float, per_chat: bool) -> None:
        """Take the overall slot planned for `slot` and the chat's, for a send starting `at`."""
        # The next slot follows the planned one, not a late start (a busy event loop): the
        # sliding second, checked separately, is what keeps Telegram's count, and a late start
        # must not push every later slot back. At most CATCH_UP of catching up: a slot older
        # than that means the pacer was idle, and a new wave starts evenly spaced from now.
        base = slot if slot >= at - CATCH_UP else at
        self._next_global = max(base, self._next_global) + self._spacing
        if not per_chat:
            return
        if chat_id < 0:
            sends = self._group_sends.setdefault(chat_id, deque())
            while sends and sends[0] <= at - 60.0:
                sends.popleft()
            sends.append(at)
            if len(self._group_sends) > 10_000:
                self._group_sends = {c: s for c, s in self._group_sends.items() if s[-1] > at - 60}
        else:
            booked = max(self._next_private.get(chat_id, 0.0), at)
            self._next_private[chat_id] = booked + self.limits.private_chat_interval
            if len(self._next_private) > self._prune_at:
                self._forget_old(self._now())

    def started(self) -> float:
        """Record that a send starts now (after start_delay() returned 0); return the instant."""
        self._unanswered += 1
        return self._now()

    def answered(self, chat_id: int, started_at: float | None = None) -> None:
        """Record that a started send got its answer (or failed) now.

        With `started_at` (from started() or acquire()), the round trip is measured and the
        part of it known to be travel is credited: the message arrived at least that long
        before its answer came back.
        """
        now = self._now()
        self._unanswered = max(0, self._unanswered - 1)
        credit = 0.0
        if started_at is not None:
            trip = max(0.0, now - started_at)
            self.floor.add(trip)
            credit = min(self.credit(), trip)
        bound = now - credit
        if self._bounds:
            bound = max(bound, self._bounds[-1])  # raising a bound is always safe
        self._bounds.append(bound)
        if chat_id > 0 and chat_id in self._next_private:
            # The same reasoning for one private chat: its next message starts a full
            # interval after this one arrived, at the latest when its answer came back.
            interval = self.limits.private_chat_interval
            self._next_private[chat_id] = max(self._next_private[chat_id], bound + interval)
        self._pump()

    def _forget_old(self, now: float) -> None:
        # A chat whose next slot has passed needs no entry; this keeps memory flat however many
        # chats a long-running worker writes to (a few seconds' worth of sends are kept).
        self._next_private = {c: t for c, t in self._next_private.items() if t > now}
        self._prune_at = max(PRUNE_AT, 2 * len(self._next_private))

    # -- waiting for a slot, most urgent first --------------------------------------------------

    @property
    def queued(self) -> int:
        """Sends waiting in acquire() for their slot."""
        return len(self._waiters)

    def waiting_for(self, chat_id: int) -> bool:
        """Whether a send to this chat waits in acquire()."""
        return any(w.chat_id == chat_id and w.per_chat for w in self._waiters)

    async def acquire(
        self,
        chat_id: int,
        lane: Lane = Lane.INTERACTIVE,
        per_chat: bool = True,
        wait_for_chat: bool | None = None,
    ) -> float:
        """Wait for this send's slot; the send counts as started on return (returns the instant).

        `per_chat`: the message counts against the chat's limit; `wait_for_chat` (default: the
        same) it also waits for it. Call `answered(chat_id, started_at)` once its answer (or
        error) is in.
        """
        loop = asyncio.get_running_loop()
        waits = per_chat if wait_for_chat is None else wait_for_chat and per_chat
        waiter = _Waiter(int(lane), next(self._seq), chat_id, per_chat, waits, loop.create_future())
        self._insert(waiter)
        self._pump()
        try:
            return await waiter.future
        except asyncio.CancelledError:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
                self._pump()
            elif waiter.future.done() and not waiter.future.cancelled():
                self.answered(chat_id)  # granted but never sent: give the slot back
            raise

    def _insert(self, waiter: _Waiter) -> None:
        # Few waiters at a time (the dispatcher books only what the next ~50 ms can take).
        index = len(self._waiters)
        while index > 0 and self._waiters[index - 1] > waiter:
            index -= 1
        self._waiters.insert(index, waiter)

    def _pump(self, reached: float = -math.inf) -> None:
        """Grant every slot that has come, in lane order; arm a timer for the next one."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        # A timer that fired means its instant has come, even on a test's frozen clock.
        now = max(self._now(), reached)
        while self._waiters:
            overall = self.overall_ready_at()
            if overall > now:
                self._arm(overall, now)
                return
            chosen = None
            soonest = math.inf
            for waiter in self._waiters:
                ready = self.chat_ready_at(waiter.chat_id) if waiter.waits_for_chat else 0.0
                if ready <= now:
                    chosen = waiter
                    break
                soonest = min(soonest, ready)  # this chat is busy; a later waiter may go
            if chosen is None:
                self._arm(soonest, now)
                return
            self._waiters.remove(chosen)
            if chosen.future.done():
                continue  # its task was cancelled meanwhile
            self._book(chosen.chat_id, max(overall, ready), now, chosen.per_chat)
            self._unanswered += 1
            chosen.future.set_result(now)

    def _arm(self, at: float, now: float) -> None:
        if at == math.inf:
            return  # an answer will call _pump
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no waiter can exist outside a loop
        self._timer = loop.call_later(max(0.0, at - now), self._pump, at)
