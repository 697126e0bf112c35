"""Pacing sends within Telegram's limits: overall, per private chat, per group; 429 pauses."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# Telegram counts the messages that arrive in any one second. A message arrives after its
# send started and before its answer came back, so a send may start once `per_second` answers
# ago (counting the sends still awaiting theirs) came back more than a second earlier: then no
# second can see more arrivals, however late each one arrived. This is the rounding margin.
WINDOW_MARGIN = 0.001
# How soon to look again when every send of a second still awaits its answer.
_RECHECK = 0.01


@dataclass(frozen=True)
class Limits:
    """Telegram's flood limits (Bots FAQ); configurable, with paid broadcast up to 1000/s."""

    per_second: float = 30.0
    private_chat_interval: float = 1.0
    group_per_minute: int = 20

    @classmethod
    def paid_broadcast(cls) -> Limits:
        """Limits for a bot with paid broadcasts enabled."""
        return cls(per_second=1000.0)


class Pacer:
    """Decides when the next message to a chat may go, and holds everyone during a 429."""

    def __init__(self, limits: Limits, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.limits = limits
        self._now = monotonic
        # Even spacing keeps the sends of a wave from bunching into bursts.
        self._spacing = 1.0 / limits.per_second
        self._next_global = 0.0
        self._next_private: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._paused_until = 0.0
        # The sliding second, checked on what is known of each send: when the last
        # `per_second` answers came back, and how many sends have started without one yet.
        self._window = max(1, int(limits.per_second))
        self._answered: deque[float] = deque(maxlen=self._window)
        self._unanswered = 0

    def pause(self, seconds: float) -> None:
        """Stop every send for `seconds` (Telegram's retry_after applies to the whole bot)."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def overall_ready_at(self) -> float:
        """Return the monotonic time before which no message at all may be sent."""
        return max(self._next_global, self._paused_until, self._window_ready())

    def _window_ready(self) -> float:
        """When one more send may start without risking a full second of arrivals."""
        free = self._window - self._unanswered  # answers that must be a second old
        if free <= 0:
            return float("inf")  # a send may start only once another one is answered
        if len(self._answered) < free:
            return 0.0
        return self._answered[-free] + 1.0 + WINDOW_MARGIN

    def ready_at(self, chat_id: int) -> float:
        """Return the monotonic time at which a message to this chat may be sent."""
        at = self.overall_ready_at()
        if chat_id < 0:
            sends = self._group_sends.get(chat_id)
            if sends and len(sends) >= self.limits.group_per_minute:
                at = max(at, sends[0] + 60.0)
        else:
            at = max(at, self._next_private.get(chat_id, 0.0))
        return at

    def chat_ready_at(self, chat_id: int) -> float:
        """Return when this chat alone (ignoring the overall rate) can take the next message."""
        if chat_id < 0:
            sends = self._group_sends.get(chat_id)
            if sends and len(sends) >= self.limits.group_per_minute:
                return sends[0] + 60.0
            return 0.0
        return self._next_private.get(chat_id, 0.0)

    def start_delay(self) -> float:
        """Seconds to wait before a send may start without exceeding the sliding second.

        Ask again after waiting: the answer can change as other sends are answered.
        """
        now = self._now()
        ready = self._window_ready()
        if ready == float("inf"):
            ready = now + _RECHECK  # a full second's worth of sends still awaits answers
        return max(0.0, self._paused_until - now, ready - now)

    def started(self) -> None:
        """Record that a send starts now (call right after start_delay() returned 0)."""
        self._unanswered += 1

    def answered(self, chat_id: int) -> None:
        """Record that a started send got its answer (or failed) now."""
        now = self._now()
        self._unanswered = max(0, self._unanswered - 1)
        self._answered.append(now)
        if chat_id > 0 and chat_id in self._next_private:
            # The same reasoning for one private chat: its next message starts a full
            # interval after this one's answer, not only after its start.
            interval = self.limits.private_chat_interval
            self._next_private[chat_id] = max(self._next_private[chat_id], now + interval)

    @property
    def paused_until(self) -> float:
        """The monotonic time until which Telegram asked everyone to wait."""
        return self._paused_until

    def take_at(self, chat_id: int, at: float) -> float:
        """Book the slot at monotonic time `at` (from `ready_at`) for a send to this chat.

        Returns the instant booked: `at`, or now when `at` has passed.
        """
        # A slot in the past is a send happening now: booking from the past would let a burst
        # through until the schedule catches up with the clock.
        at = max(at, self._now())
        self._next_global = max(at, self._next_global) + self._spacing
        if chat_id < 0:
            sends = self._group_sends.setdefault(chat_id, deque())
            while sends and sends[0] <= at - 60.0:
                sends.popleft()
            sends.append(at)
        else:
            self._next_private[chat_id] = at + self.limits.private_chat_interval
        if len(self._next_private) > 50_000:
            self._forget_old(self._now())
        return at

    def _forget_old(self, now: float) -> None:
        # A chat whose next slot has passed needs no entry; this keeps memory flat at scale.
        self._next_private = {c: t for c, t in self._next_private.items() if t > now}
