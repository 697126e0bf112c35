"""Time sources: the sandbox reads "now" from an injectable clock so tests control dates."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

TimeSource = Callable[[], float]

# 2026-01-01T00:00:00Z: a fixed, readable starting point for tests.
DEFAULT_MANUAL_START = 1_767_225_600.0


class ManualClock:
    """A clock that stands still until a test advances it; call it for unix seconds."""

    def __init__(self, start: float | datetime = DEFAULT_MANUAL_START) -> None:
        self._now = _to_seconds(start)

    def __call__(self) -> float:
        """Return the current instant as unix seconds."""
        return self._now

    def now(self) -> datetime:
        """Return the current instant as an aware UTC datetime."""
        return datetime.fromtimestamp(self._now, tz=UTC)

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds` (negative values are refused)."""
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        self._now += seconds

    def set(self, when: float | datetime) -> None:
        """Jump to an absolute instant (unix seconds or aware datetime)."""
        self._now = _to_seconds(when)


def as_time_source(clock: Any) -> TimeSource:
    """Adapt None, a callable returning seconds/datetime, or an object with now() to seconds."""
    if clock is None:
        return time.time
    if callable(clock):
        return lambda: _to_seconds(clock())
    now = getattr(clock, "now", None)
    if callable(now):
        return lambda: _to_seconds(now())
    raise TypeError(f"clock must be callable or have a now() method, got {clock!r}")


def _to_seconds(value: object) -> float:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            # A naive datetime is ambiguous; treat it as UTC rather than the host's zone so
            # results do not depend on where the tests run.
            value = value.replace(tzinfo=UTC)
        return value.timestamp()
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"clock returned {value!r}; expected unix seconds or a datetime")
