"""Fault injection and flood limits: the failures a real Telegram can throw at the bot."""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass

from .errors import ApiError, chat_not_found, default_description, forbidden, too_many_requests


@dataclass(frozen=True)
class FloodLimits:
    """Telegram's broadcast limits; a None field disables that limit."""

    global_per_second: int | None = 30
    per_chat_per_second: int | None = 1
    per_group_per_minute: int | None = 20
    # With more than 1, a private chat may take this many messages back to back, then one per
    # 1 / per_chat_per_second seconds as the allowance refills (Telegram allows short bursts).
    per_chat_burst: int = 1


class FloodGate:
    """Sliding windows of successful sends, read from the injected clock."""

    def __init__(self, limits: FloodLimits) -> None:
        self.limits = limits
        self._global: deque[float] = deque()
        self._per_chat: dict[int, deque[float]] = {}
        self._per_group: dict[int, deque[float]] = {}
        # Per chat, with a burst: when the chat's allowance is whole again.
        self._chat_full_at: dict[int, float] = {}

    def admit(self, chat_id: int, now: float) -> None:
        """Record a send to `chat_id`, or raise a 429 whose retry_after ends the full window."""
        limits = self.limits
        windows: list[tuple[deque[float], int, float]] = []
        if limits.global_per_second:
            windows.append((self._global, limits.global_per_second, 1.0))
        bucket = bool(limits.per_chat_per_second) and limits.per_chat_burst > 1
        if limits.per_chat_per_second and not bucket:
            windows.append(
                (self._per_chat.setdefault(chat_id, deque()), limits.per_chat_per_second, 1.0)
            )
        if chat_id < 0 and limits.per_group_per_minute:
            windows.append(
                (self._per_group.setdefault(chat_id, deque()), limits.per_group_per_minute, 60.0)
            )
        wait = 0.0
        for stamps, limit, window in windows:
            # Each deque holds at most `limit` stamps, so pruning is O(limit) at worst.
            while stamps and stamps[0] <= now - window:
                stamps.popleft()
            if len(stamps) >= limit:
                wait = max(wait, stamps[0] + window - now)
        interval = 1.0 / limits.per_chat_per_second if limits.per_chat_per_second else 0.0
        if bucket:
            full_at = self._chat_full_at.get(chat_id, now)
            # One message takes `interval` of allowance; `burst` of them fit at once.
            wait = max(wait, full_at - (limits.per_chat_burst - 1) * interval - now)
        if wait > 0:
            raise too_many_requests(max(1, math.ceil(wait)))
        for stamps, _, _ in windows:
            stamps.append(now)
        if bucket:
            self._chat_full_at[chat_id] = max(self._chat_full_at.get(chat_id, now), now) + interval


@dataclass
class _FailRule:
    method: str | None  # lower-case method name; None matches every method
    status: int
    description: str
    retry_after: int | None
    chat_id: int | None
    remaining: int | None  # None = until cleared

    def matches(self, method: str, chat_id: int | str | None) -> bool:
        if self.method is not None and self.method != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass
class _DelayRule:
    method: str | None
    seconds: float
    remaining: int | None


class Faults:
    """Injected failures: error answers, blocked/deactivated users, deleted chats, delays."""

    def __init__(self) -> None:
        self._failures: list[_FailRule] = []
        self._delays: list[_DelayRule] = []
        self._answer_delays: list[_DelayRule] = []
        self._round_trip = 0.0
        self._jitter = 0.0
        self._random = random.Random(12)
        self.blocked: set[int] = set()
        self.deactivated: set[int] = set()
        self.deleted_chats: set[int] = set()

    def fail_next(
        self,
        method: str | None = "sendMessage",
        status: int = 429,
        retry_after: int | None = 3,
        description: str | None = None,
        chat_id: int | None = None,
        times: int | None = 1,
    ) -> None:
        """Answer the next `times` calls of `method` (None = any) with this error status."""
        if status < 400:
            raise ValueError("an injected failure needs an error status (>= 400)")
        # Only a 429 carries retry_after; elsewhere PTB would turn it into RetryAfter too.
        retry = retry_after if status == 429 else None
        self._failures.append(
            _FailRule(
                method=method.lower() if method else None,
                status=status,
                description=description or default_description(status, retry),
                retry_after=retry,
                chat_id=chat_id,
                remaining=times,
            )
        )

    def block(self, user_id: int) -> None:
        """Make every send/edit to this user's chat answer 403 "bot was blocked by the user"."""
        self.blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        """Undo block()."""
        self.blocked.discard(user_id)

    def deactivate(self, user_id: int) -> None:
        """Make every send/edit to this user's chat answer 403 "user is deactivated"."""
        self.deactivated.add(user_id)

    def delete_chat(self, chat_id: int) -> None:
        """Make every call naming this chat answer 400 "chat not found"."""
        self.deleted_chats.add(chat_id)

    def delay(
        self, method: str | None = "sendMessage", seconds: float = 2.0, times: int | None = None
    ) -> None:
        """Hold answers to `method` (None = any) for `seconds` of real time, `times` times."""
        self._delays.append(_DelayRule(method.lower() if method else None, seconds, times))

    def delay_answer(
        self, method: str | None = "sendMessage", seconds: float = 2.0, times: int | None = 1
    ) -> None:
        """Carry out the next `times` calls of `method` at once but answer `seconds` later.

        The message is delivered; a client that gives up waiting does not know it was.
        """
        self._answer_delays.append(_DelayRule(method.lower() if method else None, seconds, times))

    def set_latency(self, round_trip: float, jitter: float = 0.0, seed: int = 12) -> None:
        """Add a network round trip to every HTTP call (not to in-process requests).

        Each call waits half of `round_trip` plus up to `jitter / 2` (uniformly at random)
        before it is handled, and as much again, drawn independently, before its answer
        leaves: the calls arrive late and scattered, as over a real network.
        """
        if round_trip < 0 or jitter < 0:
            raise ValueError("round trip and jitter are durations (>= 0)")
        self._round_trip, self._jitter = round_trip, jitter
        self._random = random.Random(seed)

    def latency_legs(self) -> tuple[float, float]:
        """(the way there, the way back) for one call, in seconds."""
        if not self._round_trip and not self._jitter:
            return 0.0, 0.0
        half, spread = self._round_trip / 2, self._jitter / 2
        draw = self._random.uniform
        return half + draw(0.0, spread), half + draw(0.0, spread)

    def clear(self) -> None:
        """Remove every injected fault (the latency set with set_latency stays)."""
        self._failures.clear()
        self._delays.clear()
        self._answer_delays.clear()
        self.blocked.clear()
        self.deactivated.clear()
        self.deleted_chats.clear()

    def take_delay(self, method: str) -> float:
        """Consume the first delay rule matching `method` and return its seconds (0 if none)."""
        return _take(self._delays, method)

    def take_answer_delay(self, method: str) -> float:
        """Consume the first delay_answer rule matching `method`; its seconds (0 if none)."""
        return _take(self._answer_delays, method)

    def take_failure(self, method: str, chat_id: int | str | None) -> ApiError | None:
        """Consume the first fail_next rule matching this call and return its error."""
        for rule in self._failures:
            if rule.matches(method, chat_id):
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._failures.remove(rule)
                return ApiError(rule.status, rule.description, rule.retry_after)
        return None

    def chat_error(self, chat_id: int, *, writing: bool) -> ApiError | None:
        """Return the error a call touching `chat_id` gets from chat-level faults, if any."""
        if chat_id in self.deleted_chats:
            return chat_not_found()
        if writing and chat_id in self.blocked:
            return forbidden("bot was blocked by the user")
        if writing and chat_id in self.deactivated:
            return forbidden("user is deactivated")
        return None


def _take(rules: list[_DelayRule], method: str) -> float:
    lowered = method.lower()
    for rule in rules:
        if rule.method is None or rule.method == lowered:
            if rule.remaining is not None:
                rule.remaining -= 1
                if rule.remaining <= 0:
                    rules.remove(rule)
            return rule.seconds
    return 0.0
