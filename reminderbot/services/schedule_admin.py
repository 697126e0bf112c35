"""Coordinators changing a patient's schedules and program: validated, recomputed, audited.

Input arrives as the text a coordinator typed (CLI options or a Telegram command), so every
parser here raises ScheduleInputError with a catalog key before anything is changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.programs import SCHEDULE_KINDS, Program
from reminderbot.care.recurrence import WEEKDAYS, next_fire, parse_rule, parse_times
from reminderbot.care.wall_time import format_time, parse_local_time
from reminderbot.content import Catalog
from reminderbot.content.describe import describe_rule, format_local_datetime
from reminderbot.services.admin_common import (
    Actor,
    AdminInputError,
    audit,
    load_patient,
    parse_day,
)
from reminderbot.services.subscriptions import apply_program, slot_times
from reminderbot.store.models import PatientProfile, PatientStatus, Person, Schedule

# Limits that catch typos without getting in a care team's way.
MAX_TIMES_PER_DAY = 4
MAX_EVERY_DAYS = 365
MAX_EVERY_WEEKS = 52
MAX_DAYS_BEFORE = 60
MAX_DOSE_DATES = 24
MAX_DAYS_AHEAD = 2 * 366
_FULL_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_RE = re.compile(r"\d{1,2}:\d{2}")
_SPLIT_RE = re.compile(r"[\s,;]+")


class ScheduleInputError(AdminInputError):
    """A schedule or program change that cannot be made as typed; nothing was changed."""


@dataclass(frozen=True)
class ScheduleChange:
    """What a coordinator typed; None means "leave as it is". Lists are comma-separated."""

    times: str | None = None
    weekdays: str | None = None
    every: str | None = None
    unit: str | None = None
    dose_dates: str | None = None
    days_before: str | None = None


@dataclass(frozen=True)
class ScheduleView:
    """One schedule as people read it: in words, with its next time in the patient's zone."""

    schedule_id: int
    kind: str
    rule: dict[str, Any]
    local_times: tuple[str, ...]
    time_slot: str | None
    active: bool
    next_fire_at: datetime | None
    description: str
    next_local: str | None


@dataclass(frozen=True)
class PatientSchedules:
    """A patient's schedules and what they depend on (zone, program, status)."""

    patient_id: int
    name: str | None
    timezone: str
    program: str
    status: str
    schedules: tuple[ScheduleView, ...]


@dataclass(frozen=True)
class ScheduleUpdate:
    """One schedule before and after a change."""

    patient_id: int
    before: ScheduleView
    after: ScheduleView


@dataclass(frozen=True)
class ProgramItemView:
    """One schedule a program creates, in words."""

    kind: str
    time_slot: str
    default_time: str
    description: str


@dataclass(frozen=True)
class ProgramView:
    """A program, its schedules, and how many patients are on it."""

    name: str
    items: tuple[ProgramItemView, ...]
    patients: int


@dataclass(frozen=True)
class ProgramApplied:
    """A patient's schedules after a program was applied."""

    patient_id: int
    previous: str
    program: str
    schedules: tuple[ScheduleView, ...]


def schedule_view(schedule: Schedule, zone: str, catalog: Catalog, locale: str) -> ScheduleView:
    """Describe one schedule in `locale`, with its next fire time in the patient's zone."""
    kind = getattr(schedule.kind, "value", schedule.kind)
    next_local = (
        format_local_datetime(catalog, locale, schedule.next_fire_at.astimezone(ZoneInfo(zone)))
        if schedule.next_fire_at is not None
        else None
    )
    return ScheduleView(
        schedule_id=schedule.id,
        kind=kind,
        rule=dict(schedule.rule),
        local_times=tuple(schedule.local_times),
        time_slot=schedule.time_slot,
        active=schedule.active,
        next_fire_at=schedule.next_fire_at,
        description=describe_rule(catalog, locale, schedule.rule, schedule.local_times),
        next_local=next_local,
    )


def schedule_views(person: Person, catalog: Catalog, locale: str) -> tuple[ScheduleView, ...]:
    """Every schedule of a loaded patient, described in `locale`, oldest first."""
    assert person.patient is not None
    return tuple(
        schedule_view(s, person.timezone, catalog, locale)
        for s in sorted(person.patient.schedules, key=lambda s: s.id)
    )


async def show_schedules(
    session: AsyncSession, patient_id: int, *, catalog: Catalog, locale: str
) -> PatientSchedules:
    """A patient's schedules in words."""
    person = await load_patient(session, patient_id)
    assert person.patient is not None
    return PatientSchedules(
        patient_id=person.id,
        name=person.display_name,
        timezone=person.timezone,
        program=person.patient.program,
        status=person.patient.status.value,
        schedules=schedule_views(person, catalog, locale),
    )


def _items(text: str) -> list[str]:
    return [item for item in _SPLIT_RE.split(text.strip()) if item]


def parse_times_text(text: str) -> list[str]:
    """Read local times such as "09:00, 18:30" into stored HH:MM values, sorted, no repeats."""
    items = _items(text)
    if not items:
        raise ScheduleInputError("admin.schedule.bad_time", typed=text.strip()[:40])
    times: set[time] = set()
    for item in items:
        parsed = parse_local_time(item) if _TIME_RE.fullmatch(item) else None
        if parsed is None:
            raise ScheduleInputError("admin.schedule.bad_time", typed=item[:40])
        times.add(parsed)
    if len(times) > MAX_TIMES_PER_DAY:
        raise ScheduleInputError(
            "admin.schedule.too_many_times", count=len(times), max=MAX_TIMES_PER_DAY
        )
    return [format_time(t) for t in sorted(times)]


def parse_weekdays(text: str) -> list[str]:
    """Read weekday names ("mon,wed" or "Monday Wednesday") into codes in week order."""
    items = _items(text)
    if not items:
        raise ScheduleInputError("admin.schedule.bad_weekday", typed=text.strip()[:40])
    days: set[int] = set()
    for item in items:
        name = item.lower()
        index = WEEKDAYS.index(name[:3]) if name[:3] in WEEKDAYS else -1
        if index < 0 or not (name == WEEKDAYS[index] or _FULL_WEEKDAYS[index] == name):
            raise ScheduleInputError("admin.schedule.bad_weekday", typed=item[:40])
        days.add(index)
    return [WEEKDAYS[d] for d in sorted(days)]


def parse_every(every: str, unit: str | None) -> int:
    """Read "every N days|weeks" into a number of days."""
    unit_name = (unit or "days").strip().lower()
    if unit_name not in ("day", "days", "week", "weeks"):
        raise ScheduleInputError("admin.schedule.bad_unit", typed=unit_name[:40])
    weeks = unit_name.startswith("week")
    value = every.strip()
    limit = MAX_EVERY_WEEKS if weeks else MAX_EVERY_DAYS
    if not value.isdigit() or not 1 <= int(value) <= limit:
        raise ScheduleInputError(
            "admin.schedule.bad_every",
            typed=value[:40],
            max_days=MAX_EVERY_DAYS,
            max_weeks=MAX_EVERY_WEEKS,
        )
    return int(value) * (7 if weeks else 1)


def parse_days_before(text: str) -> int:
    """Read how many days ahead of each dose date the reminder comes (0 to 60)."""
    value = text.strip()
    if not value.isdigit() or int(value) > MAX_DAYS_BEFORE:
        raise ScheduleInputError(
            "admin.schedule.bad_days_before", typed=value[:40], max=MAX_DAYS_BEFORE
        )
    return int(value)


def parse_dose_dates(text: str, days_before: int, today: date) -> list[date]:
    """Read dose dates; each reminder day must be today or later, and the year plausible."""
    items = _items(text)
    if not items:
        raise ScheduleInputError("admin.date.bad", typed=text.strip()[:40])
    try:
        dates = sorted({parse_day(item) for item in items})
    except AdminInputError as exc:
        raise ScheduleInputError(exc.key, **exc.values) from None
    if len(dates) > MAX_DOSE_DATES:
        raise ScheduleInputError(
            "admin.schedule.too_many_dates", count=len(dates), max=MAX_DOSE_DATES
        )
    for day in dates:
        if day - timedelta(days=days_before) < today:
            raise ScheduleInputError(
                "admin.schedule.past_date",
                date=day.isoformat(),
                days=days_before,
                today=today.isoformat(),
            )
        if day > today + timedelta(days=MAX_DAYS_AHEAD):
            raise ScheduleInputError(
                "admin.schedule.far_date", date=day.isoformat(), today=today.isoformat()
            )
    return dates


def _pick_schedule(person: Person, which: str) -> Schedule:
    """The schedule a coordinator names by kind ("checkin") or by number ("7")."""
    assert person.patient is not None
    editable = [s for s in person.patient.schedules if s.kind.value in SCHEDULE_KINDS]
    have = ", ".join(sorted({s.kind.value for s in editable})) or "—"
    name = which.strip().lower().lstrip("#")
    if name.isdigit():
        for schedule in editable:
            if schedule.id == int(name):
                return schedule
        raise ScheduleInputError(
            "admin.schedule.unknown_number", patient_id=person.id, typed=name[:40]
        )
    if name not in SCHEDULE_KINDS:
        raise ScheduleInputError(
            "admin.schedule.unknown_kind", typed=which.strip()[:40], kinds=", ".join(SCHEDULE_KINDS)
        )
    matching = [s for s in editable if s.kind.value == name]
    if not matching:
        raise ScheduleInputError(
            "admin.schedule.missing_kind", patient_id=person.id, kind=name, kinds=have
        )
    if len(matching) > 1:
        raise ScheduleInputError(
            "admin.schedule.ambiguous_kind",
            patient_id=person.id,
            kind=name,
            numbers=", ".join(str(s.id) for s in matching),
        )
    return matching[0]


def _new_rule(schedule: Schedule, change: ScheduleChange, today: date) -> dict[str, Any]:
    """The rule after a change; raises ScheduleInputError for mixed or incomplete patterns."""
    patterns = [x for x in (change.weekdays, change.every, change.dose_dates) if x is not None]
    if len(patterns) > 1:
        raise ScheduleInputError("admin.schedule.conflicting_rules")
    if change.unit is not None and change.every is None:
        raise ScheduleInputError("admin.schedule.unit_needs_every")
    current = dict(schedule.rule)
    kind = schedule.kind.value
    if change.weekdays is not None:
        days = parse_weekdays(change.weekdays)
        if len(days) == len(WEEKDAYS):
            return {"type": "daily"}
        return {"type": "weekly", "weekdays": days}
    if change.every is not None:
        every_days = parse_every(change.every, change.unit)
        if every_days == 1:
            return {"type": "daily"}
        rule: dict[str, Any] = {"type": "interval", "every": every_days, "unit": "days"}
        # Keep the day the cadence counts from, so "every 14 days" stays in step with the old
        # one, unless that day lies more than one new interval ahead; otherwise wait one whole
        # interval from today, as apply_program does for a new patient.
        latest = today + timedelta(days=every_days)
        anchor = current.get("anchor") if current.get("type") == "interval" else None
        kept = date.fromisoformat(anchor) if isinstance(anchor, str) else None
        rule["anchor"] = (kept if kept is not None and kept <= latest else latest).isoformat()
        return rule
    if change.dose_dates is not None or change.days_before is not None:
        if kind != "calcium":
            raise ScheduleInputError("admin.schedule.dose_dates_calcium_only", kind=kind)
        on_dates = current.get("type") == "before_dates"
        if change.dose_dates is None and not on_dates:
            raise ScheduleInputError("admin.schedule.days_before_needs_dates")
        if change.days_before is None and not on_dates:
            raise ScheduleInputError("admin.schedule.days_before_needed")
        before = (
            parse_days_before(change.days_before)
            if change.days_before is not None
            else int(current["days_before"])
        )
        dates = (
            [d.isoformat() for d in parse_dose_dates(change.dose_dates, before, today)]
            if change.dose_dates is not None
            else list(current["dates"])
        )
        return {"type": "before_dates", "dates": dates, "days_before": before}
    return current


async def change_schedule(
    session: AsyncSession,
    patient_id: int,
    which: str,
    change: ScheduleChange,
    *,
    actor: Actor,
    now: datetime,
    catalog: Catalog,
    locale: str,
) -> ScheduleUpdate:
    """Change one schedule's times and/or pattern, recompute its next fire instant, audit it."""
    if all(value is None for value in vars(change).values()):
        raise ScheduleInputError("admin.schedule.nothing_to_change")
    person = await load_patient(session, patient_id)
    _refuse_onboarding(person)
    schedule = _pick_schedule(person, which)
    zone = ZoneInfo(person.timezone)
    today = now.astimezone(zone).date()
    rule = _new_rule(schedule, change, today)
    times = (
        parse_times_text(change.times) if change.times is not None else list(schedule.local_times)
    )
    if len(times) > 1 and rule["type"] != "daily":
        raise ScheduleInputError("admin.schedule.one_time_only", count=len(times))
    # The parsers above make a RuleError here a bug, not bad input: let it surface.
    following = next_fire(parse_rule(rule), parse_times(times), zone, now)
    if following is None:
        raise ScheduleInputError("admin.schedule.never_fires")
    before = schedule_view(schedule, person.timezone, catalog, locale)
    schedule.rule = rule
    schedule.local_times = times
    if change.times is not None:
        # Times a coordinator chose are fixed: the patient's preferred-time setting no longer
        # moves this schedule (it would otherwise overwrite them with one time).
        schedule.time_slot = None
    schedule.next_fire_at = following
    schedule.updated_at = now
    person.updated_at = now
    audit(
        session,
        actor,
        now,
        "schedule:change",
        person.id,
        schedule=schedule.id,
        kind=schedule.kind.value,
        rule=rule,
        times=times,
        previous_rule=before.rule,
        previous_times=list(before.local_times),
    )
    await session.flush()
    return ScheduleUpdate(
        patient_id=person.id,
        before=before,
        after=schedule_view(schedule, person.timezone, catalog, locale),
    )


def _refuse_onboarding(person: Person) -> None:
    assert person.patient is not None
    if person.patient.status == PatientStatus.ONBOARDING:
        # Onboarding creates the schedules at its end and would overwrite a change made now.
        raise ScheduleInputError("admin.patient.onboarding", patient_id=person.id)


async def list_programs(
    session: AsyncSession, programs: Mapping[str, Program], *, catalog: Catalog, locale: str
) -> list[ProgramView]:
    """Every program with its schedules in words and how many patients follow it."""
    counts = dict(
        (
            await session.execute(
                select(PatientProfile.program, func.count()).group_by(PatientProfile.program)
            )
        ).all()
    )
    views = []
    for name in sorted(programs):
        items = tuple(
            ProgramItemView(
                kind=item.kind,
                time_slot=item.slot,
                default_time=format_time(item.default_time),
                description=describe_rule(
                    catalog, locale, item.rule.as_dict(), [format_time(item.default_time)]
                ),
            )
            for item in programs[name].items
        )
        views.append(ProgramView(name=name, items=items, patients=int(counts.get(name, 0))))
    return views


def find_program(programs: Mapping[str, Program], typed: str) -> Program:
    """The program with this name, or an error listing the ones there are."""
    program = programs.get(typed.strip())
    if program is None:
        raise ScheduleInputError(
            "admin.program.unknown", typed=typed.strip()[:40], programs=", ".join(sorted(programs))
        )
    return program


async def assign_program(
    session: AsyncSession,
    patient_id: int,
    program_name: str,
    *,
    programs: Mapping[str, Program],
    actor: Actor,
    now: datetime,
    catalog: Catalog,
    locale: str,
) -> ProgramApplied:
    """Replace a patient's schedules with a program's, keeping the times the patient chose."""
    program = find_program(programs, program_name)
    person = await load_patient(session, patient_id)
    _refuse_onboarding(person)
    assert person.patient is not None
    previous = person.patient.program
    previous_schedules = [s.id for s in person.patient.schedules]
    apply_program(person, program, slot_times(person, program), now)
    person.updated_at = now
    audit(
        session,
        actor,
        now,
        "program:apply",
        person.id,
        program=program.name,
        previous_program=previous,
        replaced_schedules=previous_schedules,
    )
    await session.flush()
    return ProgramApplied(
        patient_id=person.id,
        previous=previous,
        program=program.name,
        schedules=schedule_views(person, catalog, locale),
    )
