"""Recurrence rules and the next fire instant, in the patient's zone, correct across DST."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from reminderbot.care.wall_time import parse_hhmm

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SEARCH_DAYS = 800


class RuleError(ValueError):
    """A recurrence rule (from a program file or a coordinator) is malformed."""


@dataclass(frozen=True)
class Rule:
    """A validated recurrence rule: which local dates a schedule fires on."""

    type: Literal["daily", "weekly", "interval", "before_dates", "once"]
    weekdays: tuple[int, ...] = ()
    every_days: int = 1
    anchor: date | None = None
    # before_dates: fire `days_before` days ahead of each date (e.g. bone-drug dose dates).
    dates: tuple[date, ...] = ()
    days_before: int = 0
    # once: a single instant (UTC); local times do not apply.
    at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form stored in the database and written in program files."""
        if self.type == "weekly":
            return {"type": "weekly", "weekdays": [WEEKDAYS[d] for d in self.weekdays]}
        if self.type == "interval":
            data: dict[str, Any] = {"type": "interval", "every": self.every_days, "unit": "days"}
            if self.anchor is not None:
                data["anchor"] = self.anchor.isoformat()
            return data
        if self.type == "before_dates":
            return {
                "type": "before_dates",
                "dates": [d.isoformat() for d in self.dates],
                "days_before": self.days_before,
            }
        if self.type == "once":
            assert self.at is not None
            return {"type": "once", "at": self.at.isoformat()}
        return {"type": "daily"}

    def matches(self, day: date) -> bool:
        """Say whether the rule fires on a local date."""
        if self.type == "daily":
            return True
        if self.type == "weekly":
            return day.weekday() in self.weekdays
        if self.type == "before_dates":
            return day + timedelta(days=self.days_before) in self.dates
        if self.type == "once":
            return False
        anchor = self.anchor or day
        return day >= anchor and (day - anchor).days % self.every_days == 0


def parse_rule(data: Any) -> Rule:
    """Validate a rule mapping such as {"type": "weekly", "weekdays": ["mon", "fri"]}."""
    if not isinstance(data, dict) or "type" not in data:
        raise RuleError("a rule needs a 'type': daily, weekly or interval")
    kind = data["type"]
    if kind == "daily":
        return Rule("daily")
    if kind == "weekly":
        names = data.get("weekdays")
        if not isinstance(names, list) or not names:
            raise RuleError("a weekly rule needs 'weekdays', e.g. [mon, wed, fri]")
        days: set[int] = set()
        for name in names:
            key = str(name).strip().lower()[:3]
            if key not in WEEKDAYS:
                raise RuleError(f"{name!r} is not a weekday (use mon, tue, … sun)")
            days.add(WEEKDAYS.index(key))
        return Rule("weekly", weekdays=tuple(sorted(days)))
    if kind == "interval":
        every, unit = data.get("every"), data.get("unit", "days")
        if not isinstance(every, int) or isinstance(every, bool) or every < 1:
            raise RuleError("an interval rule needs 'every': a whole number of days or weeks")
        if unit not in ("days", "weeks"):
            raise RuleError(f"interval unit {unit!r} must be 'days' or 'weeks'")
        anchor = data.get("anchor")
        try:
            anchor_date = date.fromisoformat(str(anchor)) if anchor is not None else None
        except ValueError:
            raise RuleError(f"interval anchor {anchor!r} is not a date (YYYY-MM-DD)") from None
        return Rule(
            "interval", every_days=every * (7 if unit == "weeks" else 1), anchor=anchor_date
        )
    if kind == "before_dates":
        return _parse_before_dates(data)
    if kind == "once":
        try:
            at = datetime.fromisoformat(str(data.get("at")))
        except ValueError:
            raise RuleError(f"once rule 'at' {data.get('at')!r} is not an ISO date-time") from None
        if at.tzinfo is None:
            raise RuleError("once rule 'at' needs a UTC offset, e.g. 2026-12-01T09:00:00+00:00")
        return Rule("once", at=at.astimezone(UTC))
    raise RuleError(f"rule type {kind!r} is not one of daily, weekly, interval, before_dates, once")


def _parse_before_dates(data: dict[str, Any]) -> Rule:
    raw_dates, before = data.get("dates"), data.get("days_before", 0)
    if not isinstance(raw_dates, list) or not raw_dates:
        raise RuleError("a before_dates rule needs 'dates': a list of YYYY-MM-DD dates")
    if not isinstance(before, int) or isinstance(before, bool) or not 0 <= before <= 60:
        raise RuleError("'days_before' must be a whole number of days from 0 to 60")
    try:
        dates = tuple(sorted({date.fromisoformat(str(d)) for d in raw_dates}))
    except ValueError:
        raise RuleError(f"dates {raw_dates!r} must all be YYYY-MM-DD") from None
    return Rule("before_dates", dates=dates, days_before=before)


def parse_times(values: Sequence[str]) -> tuple[time, ...]:
    """Validate a list of "HH:MM" local times; at least one, no duplicates, sorted."""
    if not values:
        raise RuleError("a schedule needs at least one local time")
    try:
        parsed = sorted({parse_hhmm(v) for v in values})
    except ValueError as exc:
        raise RuleError(str(exc)) from None
    return tuple(parsed)


def resolve_local(day: date, at: time, zone: ZoneInfo) -> datetime:
    """Turn a local date and wall time into a UTC instant, the way people expect around DST.

    A wall time skipped by a spring-forward change maps to the first valid minute after it;
    a wall time that occurs twice (fall back) maps to its first occurrence only.
    """
    naive = datetime.combine(day, at)
    local = naive.replace(tzinfo=zone, fold=0)
    instant = local.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    # The wall time does not exist: walk forward to the end of the gap (gaps are < 1 day).
    probe = naive
    for _ in range(24 * 60):
        probe += timedelta(minutes=1)
        candidate = probe.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if candidate.astimezone(zone).replace(tzinfo=None) == probe:
            return candidate
    raise AssertionError(f"no valid local minute after {naive} in {zone.key}")


def occurrences(
    rule: Rule, times: Sequence[time], zone: ZoneInfo, after: datetime
) -> Iterator[datetime]:
    """Yield fire instants (UTC) strictly after `after`, in order, without end."""
    if rule.type == "once":
        if rule.at is not None and rule.at > after:
            yield rule.at
        return
    start_day = after.astimezone(zone).date() - timedelta(days=1)
    if rule.type == "before_dates":
        # Dates may lie years ahead; search only around them.
        for target in rule.dates:
            day = target - timedelta(days=rule.days_before)
            if day < start_day:
                continue
            for at in sorted(times):
                instant = resolve_local(day, at, zone)
                if instant > after:
                    yield instant
        return
    for offset in range(_SEARCH_DAYS):
        day = start_day + timedelta(days=offset)
        if not rule.matches(day):
            continue
        for at in sorted(times):
            instant = resolve_local(day, at, zone)
            if instant > after:
                yield instant


def next_fire(
    rule: Rule, times: Sequence[time], zone: ZoneInfo, after: datetime
) -> datetime | None:
    """Return the first fire instant strictly after `after`, or None if there is none."""
    return next(occurrences(rule, times, zone, after), None)
