"""Rendering dates and schedules as text in a person's language and time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from reminderbot.care.recurrence import WEEKDAYS, parse_rule

if TYPE_CHECKING:
    from reminderbot.content.catalog import Catalog

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def format_local_datetime(catalog: Catalog, locale: str, local: datetime) -> str:
    """Render a local date and time such as "Mon 30 Nov, 18:00"."""
    return catalog.text(
        locale,
        "common.datetime",
        weekday=catalog.text(locale, f"common.weekday.{WEEKDAYS[local.weekday()]}"),
        day=local.day,
        month=catalog.text(locale, f"common.month.{_MONTHS[local.month - 1]}"),
        time=local.strftime("%H:%M"),
    )


def format_local_date(catalog: Catalog, locale: str, day: date) -> str:
    """Render a date such as "Mon 30 Nov"."""
    return catalog.text(
        locale,
        "common.date",
        weekday=catalog.text(locale, f"common.weekday.{WEEKDAYS[day.weekday()]}"),
        day=day.day,
        month=catalog.text(locale, f"common.month.{_MONTHS[day.month - 1]}"),
    )


def _join(catalog: Catalog, locale: str, items: Sequence[str]) -> str:
    return catalog.text(locale, "common.list_separator").join(items)


def describe_rule(
    catalog: Catalog, locale: str, rule_data: dict[str, Any], times: Sequence[str]
) -> str:
    """Render when a schedule fires, e.g. "Mon, Wed, Fri at 09:00"."""
    rule = parse_rule(rule_data)
    joined_times = _join(catalog, locale, list(times))
    if rule.type == "weekly":
        days = [catalog.text(locale, f"common.weekday.{WEEKDAYS[d]}") for d in rule.weekdays]
        return catalog.text(
            locale,
            "schedule.rule.weekly",
            weekdays=_join(catalog, locale, days),
            times=joined_times,
        )
    if rule.type == "interval":
        return catalog.text(
            locale, "schedule.rule.interval", every=rule.every_days, times=joined_times
        )
    if rule.type == "before_dates":
        dates = [format_local_date(catalog, locale, d) for d in rule.dates]
        return catalog.text(
            locale,
            "schedule.rule.before_dates",
            days=rule.days_before,
            dates=_join(catalog, locale, dates),
            times=joined_times,
        )
    if rule.type == "once":
        assert rule.at is not None
        return catalog.text(locale, "schedule.rule.once")
    return catalog.text(locale, "schedule.rule.daily", times=joined_times)


def describe_schedules(
    catalog: Catalog, locale: str, zone_name: str, schedules: Sequence[Any]
) -> str:
    """Render a patient's active schedules, one line each, with the next local fire time."""
    zone = ZoneInfo(zone_name)
    lines = []
    for schedule in schedules:
        if not schedule.active or schedule.next_fire_at is None:
            continue
        kind = getattr(schedule.kind, "value", schedule.kind)
        lines.append(
            catalog.text(
                locale,
                "schedule.line",
                what=catalog.text(locale, f"schedule.kind.{kind}"),
                when=describe_rule(catalog, locale, schedule.rule, schedule.local_times),
                next=format_local_datetime(catalog, locale, schedule.next_fire_at.astimezone(zone)),
            )
        )
    return "\n".join(lines) if lines else catalog.text(locale, "schedule.none")
