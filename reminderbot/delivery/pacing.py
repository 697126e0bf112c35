"""Pacing sends within Telegram's limits: overall, per private chat, per group; 429 pauses."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

# Telegram counts arrivals; ours are send starts, which arrive a few ms apart from them.
WINDOW_HEADROOM = 0.03


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
        # The server counts a sliding second; spacing sends evenly never bursts past it.
        self._spacing = 1.0 / limits.per_second
        self._next_global = 0.0
        self._next_private: dict[int, float] = {}
        self._group_sends: dict[int, deque[float]] = {}
        self._paused_until = 0.0
        # When the last `per_second` sends actually started: slots are booked ahead, and a send
        # that starts late lets the next one bunch up behind it, so the sliding second that
        # Telegram counts is checked again on the real start times, with a little headroom.
        self._window = max(1, int(limits.per_second))
        self._recent: deque[float] = deque(maxlen=self._window)

    def pause(self, seconds: float) -> None:
        """Stop every send for `seconds` (Telegram's retry_after applies to the whole bot)."""
        self._paused_until = max(self._paused_until, self._now() + seconds)

    def ready_at(self, chat_id: int) -> float:
        """Return the monotonic time at which a message to this chat may be sent."""
        at = max(self._next_global, self._paused_until)
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
        """Seconds to wait before a send may start without exceeding the sliding second."""
        now = self._now()
        delay = self._paused_until - now
        if len(self._recent) == self._window:
            delay = max(delay, self._recent[0] + 1.0 + WINDOW_HEADROOM - now)
        return max(0.0, delay)

    def started(self) -> None:
        """Record that a send starts now (call right after start_delay() returned 0)."""
        self._recent.append(self._now())

    @property
    def paused_until(self) -> float:
        """The monotonic time until which Telegram asked everyone to wait."""
        return self._paused_until

    def take_at(self, chat_id: int, at: float) -> None:
        """Book the slot at monotonic time `at` (from `ready_at`) for a send to this chat."""
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

    def _forget_old(self, now: float) -> None:
        # A chat whose next slot has passed needs no entry; this keeps memory flat at scale.
        self._next_private = {c: t for c, t in self._next_private.items() if t > now}
