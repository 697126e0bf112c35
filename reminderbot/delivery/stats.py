"""What the send path counts: sends by outcome, 429s, time paused, latencies and cycle times.

Everything here has a fixed size, whatever the number of messages sent: a worker runs for
months and sends millions of messages.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

# Latency buckets: 16 per doubling (about 4.4 % wide) from 0.1 ms up to about 110 minutes.
_LOWEST = 0.0001
_PER_DOUBLING = 16
_BUCKETS = 26 * _PER_DOUBLING


class LatencyHistogram:
    """Seconds in logarithmic buckets: a fixed-size record that still gives p50 and p99."""

    __slots__ = ("_counts", "count", "max", "total")

    def __init__(self) -> None:
        self._counts = [0] * (_BUCKETS + 1)  # the last bucket takes everything above the top
        self.count = 0
        self.total = 0.0
        self.max = 0.0

    def add(self, seconds: float) -> None:
        """Record one duration."""
        self.count += 1
        self.total += seconds
        self.max = max(self.max, seconds)
        self._counts[_bucket(seconds)] += 1

    def append(self, seconds: float) -> None:
        """Record one duration (the name a list of latencies used to have)."""
        self.add(seconds)

    def __len__(self) -> int:
        return self.count

    def quantile(self, q: float) -> float | None:
        """The q-quantile (0..1), nearest rank, as its bucket's upper edge; None when empty."""
        if self.count == 0:
            return None
        rank = max(1, math.ceil(q * self.count))
        seen = 0
        for index, n in enumerate(self._counts):
            seen += n
            if seen >= rank:
                return min(_upper_edge(index), self.max)
        return self.max

    @property
    def mean(self) -> float | None:
        """The mean duration, or None when empty."""
        return self.total / self.count if self.count else None


def _bucket(seconds: float) -> int:
    if seconds <= _LOWEST:
        return 0
    index = 1 + int(math.log2(seconds / _LOWEST) * _PER_DOUBLING)
    return min(index, _BUCKETS)


def _upper_edge(index: int) -> float:
    return _LOWEST * 2 ** (index / _PER_DOUBLING)


@dataclass
class DispatchStats:
    """Counters since start of one process's send path, for logs, metrics, tests, benchmarks.

    Outbox rows: sent, retried, failed, unreachable, rate_limited (a 429, retried later),
    given_up_unknown (caught mid-send by a crash), timed_out_unknown (at-most-once rows whose
    send timed out). Direct replies: replies_sent, replies_retried (after a 429 or a network
    error), replies_queued (handed to the outbox after the last retry). Shared: paused_seconds
    (time Telegram's retry_after held every send), cycles and their durations, send latencies.
    """

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unreachable: int = 0
    rate_limited: int = 0
    given_up_unknown: int = 0
    timed_out_unknown: int = 0
    replies_sent: int = 0
    replies_retried: int = 0
    replies_queued: int = 0
    replies_rate_limited: int = 0
    paused_seconds: float = 0.0
    cycles: int = 0
    latencies: LatencyHistogram = field(default_factory=LatencyHistogram)
    reply_latencies: LatencyHistogram = field(default_factory=LatencyHistogram)
    cycle_seconds: LatencyHistogram = field(default_factory=LatencyHistogram)
