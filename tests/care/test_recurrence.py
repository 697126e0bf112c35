"""Recurrence: the next fire instant, correct across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminderbot.care.recurrence import (
    RuleError,
    next_fire,
    occurrences,
    parse_rule,
    parse_times,
    resolve_local,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
DAILY = parse_rule({"type": "daily"})


def _local_days(instants: list[datetime], zone: ZoneInfo) -> list[date]:
    return [i.astimezone(zone).date() for i in instants]


def test_daily_fires_at_local_time() -> None:
    after = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # 14:00 in Berlin
    fire = next_fire(DAILY, [time(18, 0)], BERLIN, after)
    assert fire == datetime(2026, 6, 1, 16, 0, tzinfo=UTC)


def test_spring_forward_gap_fires_at_first_valid_minute() -> None:
    # 29 March 2026: Berlin clocks jump from 02:00 to 03:00; 02:30 does not exist.
    after = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    fires = list(_take(occurrences(DAILY, [time(2, 30)], BERLIN, after), 3))
    local = [f.astimezone(BERLIN) for f in fires]
    assert [(d.day, d.hour, d.minute) for d in local] == [(29, 3, 0), (30, 2, 30), (31, 2, 30)]


def test_fall_back_repeated_time_fires_once() -> None:
    # 25 October 2026: Berlin clocks go from 03:00 back to 02:00; 02:30 happens twice.
    after = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    fires = list(_take(occurrences(DAILY, [time(2, 30)], BERLIN, after), 3))
    assert _local_days(fires, BERLIN) == [
        date(2026, 10, 25),
        date(2026, 10, 26),
        date(2026, 10, 27),
    ]
    assert fires[0] == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # the first 02:30 (CEST)


def test_weekly_rule_picks_weekdays() -> None:
    rule = parse_rule({"type": "weekly", "weekdays": ["mon", "wed", "fri"]})
    after = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)  # a Saturday
    fires = list(_take(occurrences(rule, [time(9, 0)], BERLIN, after), 4))
    assert [f.astimezone(BERLIN).strftime("%a %d") for f in fires] == [
        "Mon 30",
        "Wed 02",
        "Fri 04",
        "Mon 07",
    ]


def test_interval_counts_from_anchor() -> None:
    rule = parse_rule({"type": "interval", "every": 4, "unit": "weeks", "anchor": "2026-11-01"})
    after = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    fires = list(_take(occurrences(rule, [time(9, 0)], BERLIN, after), 2))
    assert _local_days(fires, BERLIN) == [date(2026, 11, 29), date(2026, 12, 27)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "type"),
        ({"type": "hourly"}, "hourly"),
        ({"type": "weekly", "weekdays": []}, "weekdays"),
        ({"type": "weekly", "weekdays": ["funday"]}, "funday"),
        ({"type": "interval", "every": 0}, "every"),
        ({"type": "interval", "every": 2, "unit": "months"}, "months"),
        ({"type": "interval", "every": 2, "anchor": "soon"}, "soon"),
    ],
)
def test_bad_rules_are_named(data: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_rule(data)


def test_times_validated() -> None:
    assert parse_times(["18:00", "09:00", "18:00"]) == (time(9, 0), time(18, 0))
    with pytest.raises(RuleError):
        parse_times([])
    with pytest.raises(RuleError):
        parse_times(["25:00"])


zones = st.sampled_from(
    [
        "Europe/Berlin",
        "America/New_York",
        "Australia/Sydney",
        "Asia/Shanghai",
        "America/Santiago",
        "Pacific/Chatham",
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    zone_name=zones,
    start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1)),
    at=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)
def test_daily_never_skips_or_doubles_a_day(zone_name: str, start: datetime, at: time) -> None:
    zone = ZoneInfo(zone_name)
    after = start.replace(tzinfo=UTC)
    fires = list(_take(occurrences(DAILY, [at], zone, after), 40))
    days = _local_days(fires, zone)
    assert all(b - a == timedelta(days=1) for a, b in pairwise(days))
    assert all(a < b for a, b in pairwise(fires))
    assert fires[0] > after
    for fire in fires:
        local = fire.astimezone(zone)
        wall = local.replace(tzinfo=None)
        wanted = datetime.combine(wall.date(), at)
        # Either exactly the wall time, or (in a DST gap) shortly after it, never before.
        assert wanted <= wall <= wanted + timedelta(hours=3)
        assert resolve_local(wall.date(), at, zone) == fire


def _take(iterator, n: int):  # type: ignore[no-untyped-def]
    for _ in range(n):
        yield next(iterator)


def test_before_dates_fires_days_ahead_of_each_dose_date() -> None:
    rule = parse_rule(
        {
            "type": "before_dates",
            "dates": ["2026-12-10", "2026-11-30", "2027-01-07"],
            "days_before": 3,
        }
    )
    after = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    fires = list(occurrences(rule, [time(9, 0)], BERLIN, after))
    assert _local_days(fires, BERLIN) == [date(2026, 12, 7), date(2027, 1, 4)]
    assert parse_rule(rule.as_dict()) == rule


def test_once_fires_a_single_time() -> None:
    rule = parse_rule({"type": "once", "at": "2026-11-28T15:30:00+00:00"})
    before = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert list(occurrences(rule, [time(9, 0)], BERLIN, before)) == [
        datetime(2026, 11, 28, 15, 30, tzinfo=UTC)
    ]
    assert next_fire(rule, [time(9, 0)], BERLIN, datetime(2026, 11, 28, 16, 0, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "before_dates", "dates": []}, "dates"),
        ({"type": "before_dates", "dates": ["2026-13-01"]}, "YYYY-MM-DD"),
        ({"type": "before_dates", "dates": ["2026-12-01"], "days_before": -1}, "days_before"),
        ({"type": "once", "at": "tomorrow"}, "ISO"),
        ({"type": "once", "at": "2026-12-01T09:00:00"}, "UTC offset"),
    ],
)
def test_bad_dated_rules_are_named(data: dict[str, object], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        parse_rule(data)
