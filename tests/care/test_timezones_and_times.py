"""Typed time zones, wall times and quiet-hour ranges."""

from __future__ import annotations

from datetime import time

import pytest

from reminderbot.care.timezones import resolve_timezone
from reminderbot.care.wall_time import in_quiet_hours, parse_local_time, parse_time_range


@pytest.mark.parametrize(
    ("typed", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("  europe/berlin ", "Europe/Berlin"),
        ("Berlin", "Europe/Berlin"),
        ("new york", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("UTC", "UTC"),
        ("Mars/Olympus Mons", None),
        ("", None),
        ("🙂", None),
        ("x" * 4000, None),
        ("שלום", None),
    ],
)
def test_resolve_timezone(typed: str, zone: str | None) -> None:
    assert resolve_timezone(typed) == zone


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("18:00", time(18, 0)),
        ("7:30", time(7, 30)),
        ("07.15", time(7, 15)),
        ("6pm", time(18, 0)),
        ("6:30 PM", time(18, 30)),
        ("12 am", time(0, 0)),
        ("12pm", time(12, 0)),
        ("9", time(9, 0)),
        ("24:00", None),
        ("13pm", None),
        ("18:60", None),
        ("teatime", None),
        ("", None),
        # As Chinese readers type times: full-width digits and colon, 点/分, 上午/下午/晚上.
        ("１８：００", time(18, 0)),
        ("18点", time(18, 0)),
        ("18点30分", time(18, 30)),
        ("晚上6点", time(18, 0)),
        ("下午6:30", time(18, 30)),
        ("上午9点", time(9, 0)),
        ("中午12点", time(12, 0)),
        ("晚上13点", None),
    ],
)
def test_parse_local_time(typed: str, expected: time | None) -> None:
    assert parse_local_time(typed) == expected


def test_parse_time_range_and_quiet_hours_across_midnight() -> None:
    hours = parse_time_range("22:00-07:00")
    assert hours == (time(22, 0), time(7, 0))
    assert parse_time_range("10pm to 7am") == hours
    assert parse_time_range("22:00") is None
    assert parse_time_range("07:00-07:00") is None
    start, end = hours
    assert in_quiet_hours(time(23, 30), start, end)
    assert in_quiet_hours(time(6, 59), start, end)
    assert not in_quiet_hours(time(7, 0), start, end)
    assert not in_quiet_hours(time(12, 0), start, end)
    assert in_quiet_hours(time(13, 0), time(12, 0), time(14, 0))


def test_quiet_hours_as_typed_in_chinese() -> None:
    hours = (time(22, 0), time(7, 0))
    assert parse_time_range("22:00至07:00") == hours
    assert parse_time_range("晚上10点到早上7点") == hours
    assert parse_time_range("２２：００～０７：００") == hours
