"""Pacing within Telegram's limits, error classification, and the due-occurrence plan."""

from __future__ import annotations

import bisect
import heapq
import random
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from reminderbot.care.occurrences import plan_due
from reminderbot.care.quiet_hours import release_time
from reminderbot.care.recurrence import parse_rule
from reminderbot.delivery.errors import Outcome, classify
from reminderbot.delivery.pacing import Limits, Pacer
from reminderbot.delivery.policy import Semantics, policy


class Ticker:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _drive(pacer: Pacer, ticker: Ticker, chats: list[int]) -> list[float]:
    """Send to each chat in turn as soon as the pacer allows; return the send times."""
    times = []
    for chat in chats:
        at = max(pacer.ready_at(chat), ticker.now)
        ticker.now = at
        pacer.take_at(chat, at)
        times.append(at)
    return times


def test_overall_rate_is_never_exceeded_in_any_sliding_second() -> None:
    ticker = Ticker()
    pacer = Pacer(Limits(per_second=30), monotonic=ticker)
    times = _drive(pacer, ticker, list(range(1, 301)))
    for i in range(len(times) - 30):
        assert times[i + 30] - times[i] >= 1.0 - 1e-9
    assert times[-1] - times[0] == pytest.approx(299 / 30)


def test_private_chat_gets_one_message_a_second() -> None:
    ticker = Ticker()
    pacer = Pacer(Limits(per_second=1000), monotonic=ticker)
    times = _drive(pacer, ticker, [7, 7, 7])
    assert [round(t - times[0], 6) for t in times] == [0.0, 1.0, 2.0]


def test_group_gets_twenty_a_minute() -> None:
    ticker = Ticker()
    pacer = Pacer(Limits(per_second=1000), monotonic=ticker)
    times = _drive(pacer, ticker, [-100] * 21)
    assert times[19] - times[0] < 1.0
    assert times[20] - times[0] == pytest.approx(60.0)


def test_a_429_pauses_everyone() -> None:
    ticker = Ticker()
    pacer = Pacer(Limits(per_second=30), monotonic=ticker)
    pacer.pause(5)
    assert pacer.ready_at(1) == pytest.approx(1005.0)
    assert pacer.ready_at(-5) == pytest.approx(1005.0)


@pytest.mark.parametrize(
    ("error", "outcome"),
    [
        (RetryAfter(timedelta(seconds=3)), Outcome.RATE_LIMITED),
        (Forbidden("Forbidden: bot was blocked by the user"), Outcome.PERMANENT),
        (Forbidden("Forbidden: user is deactivated"), Outcome.PERMANENT),
        (BadRequest("Chat not found"), Outcome.PERMANENT),
        (BadRequest("Message is too long"), Outcome.REJECTED),
        (TimedOut("timed out"), Outcome.TRANSIENT),
        (NetworkError("Bad Gateway"), Outcome.TRANSIENT),
        (OSError("connection reset"), Outcome.TRANSIENT),
    ],
)
def test_classify(error: Exception, outcome: Outcome) -> None:
    assert classify(error).outcome is outcome


def test_lanes_and_semantics() -> None:
    order = ["alert", "followup", "checkin", "reminder", "tip"]
    priorities = [policy(kind).priority for kind in order]
    assert priorities == sorted(priorities) and len(set(priorities)) == len(priorities)
    assert policy("alert").semantics is Semantics.AT_LEAST_ONCE
    assert policy("tip").semantics is Semantics.AT_MOST_ONCE
    assert not policy("alert").routine and policy("tip").routine
    # No silent fallback any more: an unknown kind is an error, not the most urgent lane.
    with pytest.raises(ValueError, match="unknown message kind 'something-new'"):
        policy("something-new")  # type: ignore[arg-type]


def test_plan_due_splits_grace_and_missed() -> None:
    zone = ZoneInfo("Europe/Berlin")
    rule = parse_rule({"type": "daily"})
    first = datetime(2026, 11, 1, 17, 0, tzinfo=UTC)  # 18:00 Berlin
    now = datetime(2026, 11, 5, 19, 0, tzinfo=UTC)
    plan = plan_due(first, rule, [time(18)], zone, now, timedelta(hours=3))
    assert [d.day for d in plan.missed] == [1, 2, 3, 4]
    assert [d.day for d in plan.send] == [5]
    assert plan.next_fire_at == datetime(2026, 11, 6, 17, 0, tzinfo=UTC)


def test_quiet_hours_release_time() -> None:
    zone = ZoneInfo("Europe/Berlin")
    night = datetime(2026, 11, 5, 22, 30, tzinfo=UTC)  # 23:30 Berlin
    released = release_time(night, time(22), time(7), zone)
    assert released == datetime(2026, 11, 6, 6, 0, tzinfo=UTC)  # 07:00 Berlin
    day = datetime(2026, 11, 5, 11, 0, tzinfo=UTC)
    assert release_time(day, time(22), time(7), zone) == day
    assert release_time(night, None, None, zone) == night


class Wire:
    """Sends through a pacer on a test clock: each starts when the pacer allows (or later, as
    under load), arrives at the server some time after, and is answered some time after that."""

    def __init__(self, pacer: Pacer, ticker: Ticker) -> None:
        self.pacer = pacer
        self.ticker = ticker
        self.answers: list[tuple[float, int]] = []  # (answer time, chat), a heap
        self.arrivals: list[float] = []

    def _wait_until(self, ready: Callable[[], float]) -> None:
        # Let time pass, answering sends on the way, until `ready()` has come.
        while (at := ready()) > self.ticker.now:
            if self.answers and self.answers[0][0] <= at:
                answer, chat = heapq.heappop(self.answers)
                self.ticker.now = max(self.ticker.now, answer)
                self.pacer.answered(chat)
            else:
                self.ticker.now = at

    def send(self, chat: int, stall: float, arrive: float, answer: float) -> None:
        self._wait_until(lambda: self.pacer.ready_at(chat))
        self.pacer.take_at(chat, self.ticker.now)
        late = self.ticker.now + stall
        self._wait_until(lambda: late)
        self._wait_until(lambda: self.ticker.now + self.pacer.start_delay())
        self.pacer.started()
        self.arrivals.append(self.ticker.now + arrive)
        heapq.heappush(self.answers, (self.ticker.now + arrive + answer, chat))

    def most_in_a_second(self) -> int:
        """The most arrivals in any sliding second, as the server counts them."""
        ordered = sorted(self.arrivals)
        return max(bisect.bisect_left(ordered, t + 1.0) - i for i, t in enumerate(ordered))


def test_arrivals_never_exceed_the_limit_whatever_each_send_takes() -> None:
    ticker = Ticker()
    wire = Wire(Pacer(Limits(per_second=30), monotonic=ticker), ticker)
    draw = random.Random(7)
    for chat in range(1, 601):
        # Some sends start late (a busy event loop); the network and the server take
        # anything from nothing to a fifth of a second each way, independently.
        stall = 0.04 if chat % 5 == 0 else 0.0
        wire.send(chat, stall, draw.uniform(0, 0.2), draw.uniform(0, 0.2))
    assert wire.most_in_a_second() <= 30


def test_a_quick_server_gets_nearly_the_full_rate() -> None:
    ticker = Ticker()
    wire = Wire(Pacer(Limits(per_second=30), monotonic=ticker), ticker)
    for chat in range(1, 301):
        wire.send(chat, 0.0, 0.001, 0.002)  # a few milliseconds there and back
    assert wire.most_in_a_second() <= 30
    rate = (len(wire.arrivals) - 1) / (wire.arrivals[-1] - wire.arrivals[0])
    assert rate >= 29.8


def test_a_chat_waits_its_interval_after_the_answer() -> None:
    ticker = Ticker()
    pacer = Pacer(Limits(per_second=30), monotonic=ticker)
    assert pacer.take_at(42, ticker.now) == 1000.0
    pacer.started()
    ticker.now += 0.3  # a slow answer: the message may have arrived just now
    pacer.answered(42)
    assert pacer.ready_at(42) == pytest.approx(1001.3)
    assert pacer.ready_at(43) < 1000.1
