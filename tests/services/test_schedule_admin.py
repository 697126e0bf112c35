"""Coordinators changing schedules and programs: rules, recomputed next times, refusals, audit.

The clock stands at Friday 27 March 2026, 10:00 UTC (11:00 in Berlin, two days before the
clocks go forward); Zoë lives in Berlin on the default program.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.programs import parse_program
from reminderbot.content import Catalog
from reminderbot.content.programs import load_programs
from reminderbot.services import subscriptions
from reminderbot.services.admin_common import CLI_ACTOR, Actor, AdminInputError, load_patient
from reminderbot.services.schedule_admin import (
    ScheduleChange,
    ScheduleInputError,
    ScheduleUpdate,
    assign_program,
    change_schedule,
    list_programs,
    show_schedules,
)
from reminderbot.store.models import AuditEvent, Schedule, ScheduleKind
from tests.services.conftest import World


async def _change(
    world: World, catalog: Catalog, which: str, patient: int | None = None, **change: str
) -> ScheduleUpdate:
    async with world.sessions.begin() as session:
        return await change_schedule(
            session,
            patient if patient is not None else world.ids.zoe,
            which,
            ScheduleChange(**change),
            actor=CLI_ACTOR,
            now=world.clock.now(),
            catalog=catalog,
            locale="en",
        )


async def _schedule(world: World, kind: ScheduleKind) -> Schedule:
    async with world.sessions() as session:
        schedule = await session.scalar(
            select(Schedule).where(Schedule.patient_id == world.ids.zoe, Schedule.kind == kind)
        )
    assert schedule is not None
    return schedule


async def _audits(session: AsyncSession, action: str) -> list[AuditEvent]:
    return list(
        (await session.scalars(select(AuditEvent).where(AuditEvent.action == action))).all()
    )


async def test_times_change_a_daily_schedule_and_fix_them(world: World, catalog: Catalog) -> None:
    update = await _change(world, catalog, "checkin", times="18:30, 08:00")
    assert update.before.description == "every day at 18:00"
    assert update.after.description == "every day at 08:00, 18:30"
    stored = await _schedule(world, ScheduleKind.CHECKIN)
    assert stored.local_times == ["08:00", "18:30"]
    assert stored.time_slot is None
    # 11:00 in Berlin: 08:00 has passed today, 18:30 (CET, UTC+1) comes next.
    assert stored.next_fire_at == datetime(2026, 3, 27, 17, 30, tzinfo=UTC)
    async with world.sessions.begin() as session:
        (event,) = await _audits(session, "schedule:change")
        assert event.actor_telegram_id is None
        assert event.subject_person_id == world.ids.zoe
        assert event.details["via"] == "cli"
        assert event.details["times"] == ["08:00", "18:30"]
        assert event.details["previous_times"] == ["18:00"]
        # The patient later moving their check-in time no longer overwrites the team's times.
        person = await load_patient(session, world.ids.zoe)
        subscriptions.set_slot_time(person, "checkin", time(20, 0), world.clock.now())
    assert (await _schedule(world, ScheduleKind.CHECKIN)).local_times == ["08:00", "18:30"]


async def test_a_telegram_actor_is_recorded_as_such(world: World, catalog: Catalog) -> None:
    async with world.sessions.begin() as session:
        await change_schedule(
            session,
            world.ids.zoe,
            "tip",
            ScheduleChange(weekdays="sat"),
            actor=Actor(via="telegram", telegram_id=5201),
            now=world.clock.now(),
            catalog=catalog,
            locale="en",
        )
        (event,) = await _audits(session, "schedule:change")
    assert (event.actor_telegram_id, event.details["via"]) == (5201, "telegram")


async def test_weekdays_and_a_whole_week_is_daily(world: World, catalog: Catalog) -> None:
    update = await _change(world, catalog, "tip", weekdays="thursday, Tue")
    assert update.after.rule == {"type": "weekly", "weekdays": ["tue", "thu"]}
    assert update.after.description == "Tue, Thu at 09:00"
    # Tuesday 31 March, 09:00 in Berlin, which is on summer time (UTC+2) by then.
    assert update.after.next_fire_at == datetime(2026, 3, 31, 7, 0, tzinfo=UTC)
    assert (await _schedule(world, ScheduleKind.TIP)).time_slot == "morning"
    update = await _change(world, catalog, "tip", weekdays="mon,tue,wed,thu,fri,sat,sun")
    assert update.after.rule == {"type": "daily"}


async def test_interval_in_weeks_keeps_the_cadence(world: World, catalog: Catalog) -> None:
    before = (await _schedule(world, ScheduleKind.CALCIUM)).rule
    update = await _change(world, catalog, "calcium", every="2", unit="weeks")
    assert update.after.rule == {
        "type": "interval",
        "every": 14,
        "unit": "days",
        "anchor": before["anchor"],
    }
    assert update.after.description == "every 14 days at 09:00"
    assert update.after.next_fire_at == datetime(2026, 4, 8, 7, 0, tzinfo=UTC)
    # A weekly schedule new to intervals waits one whole interval from today...
    update = await _change(world, catalog, "tip", every="30")
    assert update.after.rule["anchor"] == "2026-04-26"
    # ...and an anchor more than one new interval ahead is not kept: the first comes within it.
    update = await _change(world, catalog, "tip", every="3")
    assert update.after.rule["anchor"] == "2026-03-30"
    assert update.after.next_fire_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert (await _change(world, catalog, "tip", every="1", unit="days")).after.rule == {
        "type": "daily"
    }


async def test_dose_dates_then_days_before_alone(world: World, catalog: Catalog) -> None:
    update = await _change(
        world, catalog, "calcium", dose_dates="2026-05-18,2026-04-20", days_before="3"
    )
    assert update.after.rule == {
        "type": "before_dates",
        "dates": ["2026-04-20", "2026-05-18"],
        "days_before": 3,
    }
    assert update.after.next_fire_at == datetime(2026, 4, 17, 7, 0, tzinfo=UTC)
    assert update.after.description.startswith("3 days before each dose date (Mon 20 Apr")
    update = await _change(world, catalog, "calcium", days_before="5")
    assert update.after.rule["dates"] == ["2026-04-20", "2026-05-18"]
    assert update.after.next_fire_at == datetime(2026, 4, 15, 7, 0, tzinfo=UTC)
    # A schedule may be named by its number as well as by its kind.
    update = await _change(world, catalog, f"#{update.after.schedule_id}", times="07:30")
    assert update.after.local_times == ("07:30",)


BAD: list[tuple[str, dict[str, Any], str]] = [
    ("checkin", {}, "admin.schedule.nothing_to_change"),
    ("checkin", {"times": "25:00"}, "admin.schedule.bad_time"),
    ("checkin", {"times": "9"}, "admin.schedule.bad_time"),
    ("checkin", {"times": " , "}, "admin.schedule.bad_time"),
    ("checkin", {"times": "06:00,09:00,12:00,15:00,18:00"}, "admin.schedule.too_many_times"),
    ("tip", {"times": "09:00,10:00"}, "admin.schedule.one_time_only"),
    ("tip", {"weekdays": "funday"}, "admin.schedule.bad_weekday"),
    ("tip", {"weekdays": "mo"}, "admin.schedule.bad_weekday"),
    ("tip", {"weekdays": "mon", "every": "2"}, "admin.schedule.conflicting_rules"),
    ("tip", {"unit": "weeks"}, "admin.schedule.unit_needs_every"),
    ("tip", {"every": "0"}, "admin.schedule.bad_every"),
    ("tip", {"every": "53", "unit": "weeks"}, "admin.schedule.bad_every"),
    ("tip", {"every": "two"}, "admin.schedule.bad_every"),
    ("tip", {"every": "2", "unit": "fortnights"}, "admin.schedule.bad_unit"),
    (
        "tip",
        {"dose_dates": "2026-05-01", "days_before": "3"},
        "admin.schedule.dose_dates_calcium_only",
    ),
    ("calcium", {"days_before": "3"}, "admin.schedule.days_before_needs_dates"),
    ("calcium", {"dose_dates": "2026-05-01"}, "admin.schedule.days_before_needed"),
    (
        "calcium",
        {"dose_dates": "2026-05-01", "days_before": "61"},
        "admin.schedule.bad_days_before",
    ),
    ("calcium", {"dose_dates": "2026-13-01", "days_before": "3"}, "admin.date.bad"),
    ("calcium", {"dose_dates": "1/5/2026", "days_before": "3"}, "admin.date.bad"),
    (
        "calcium",
        {"dose_dates": "2026-05-01,2026-03-29", "days_before": "3"},
        "admin.schedule.past_date",
    ),
    ("calcium", {"dose_dates": "2028-06-01", "days_before": "3"}, "admin.schedule.far_date"),
    (
        "calcium",
        {
            "dose_dates": ",".join(f"2026-{m:02d}-{d:02d}" for m in (5, 6) for d in range(1, 14)),
            "days_before": "3",
        },
        "admin.schedule.too_many_dates",
    ),
    # Today's 09:00 has passed (it is 11:00 in Berlin): this reminder would never come.
    ("calcium", {"dose_dates": "2026-03-27", "days_before": "0"}, "admin.schedule.never_fires"),
    ("pills", {"times": "09:00"}, "admin.schedule.unknown_kind"),
    ("followup", {"times": "09:00"}, "admin.schedule.unknown_kind"),
    ("999", {"times": "09:00"}, "admin.schedule.unknown_number"),
]


@pytest.mark.parametrize(("which", "change", "key"), BAD)
async def test_bad_input_changes_nothing(
    world: World, catalog: Catalog, which: str, change: dict[str, Any], key: str
) -> None:
    async with world.sessions.begin() as session:
        person = await load_patient(session, world.ids.zoe)
        assert person.patient is not None
        before = [
            (s.rule, list(s.local_times), s.time_slot, s.next_fire_at)
            for s in person.patient.schedules
        ]
        with pytest.raises(ScheduleInputError) as raised:
            await change_schedule(
                session,
                world.ids.zoe,
                which,
                ScheduleChange(**change),
                actor=CLI_ACTOR,
                now=world.clock.now(),
                catalog=catalog,
                locale="en",
            )
        assert raised.value.key == key
        # The text renders: every placeholder the key declares was given a value.
        assert raised.value.render(catalog, "en")
        # Refused before touching anything, not merely rolled back afterwards.
        after = [
            (s.rule, list(s.local_times), s.time_slot, s.next_fire_at)
            for s in person.patient.schedules
        ]
        assert after == before
        assert not [o for o in session.new if isinstance(o, AuditEvent)]


async def test_patients_that_cannot_be_changed(world: World, catalog: Catalog) -> None:
    with pytest.raises(AdminInputError) as raised:
        await _change(world, catalog, "checkin", patient=999, times="09:00")
    assert raised.value.key == "admin.patient.unknown"
    # The caregiver is a person, but not a patient.
    with pytest.raises(AdminInputError) as raised:
        await _change(world, catalog, "checkin", patient=world.ids.caregiver, times="09:00")
    assert raised.value.key == "admin.patient.unknown"
    with pytest.raises(ScheduleInputError) as raised:
        await _change(world, catalog, "checkin", patient=world.ids.dana, times="09:00")
    assert raised.value.key == "admin.patient.onboarding"
    assert "has not finished setting up" in raised.value.render(catalog, "en")


async def test_missing_and_ambiguous_kinds(world: World, catalog: Catalog) -> None:
    async with world.sessions.begin() as session:
        person = await load_patient(session, world.ids.zoe)
        assert person.patient is not None
        tip = next(s for s in person.patient.schedules if s.kind == ScheduleKind.TIP)
        person.patient.schedules.remove(tip)
        calcium = next(s for s in person.patient.schedules if s.kind == ScheduleKind.CALCIUM)
        person.patient.schedules.append(
            Schedule(kind=ScheduleKind.CALCIUM, rule={"type": "daily"}, local_times=["10:00"])
        )
    with pytest.raises(ScheduleInputError) as raised:
        await _change(world, catalog, "tip", times="09:00")
    assert (raised.value.key, raised.value.values["kinds"]) == (
        "admin.schedule.missing_kind",
        "calcium, checkin",
    )
    with pytest.raises(ScheduleInputError) as raised:
        await _change(world, catalog, "calcium", times="09:00")
    assert raised.value.key == "admin.schedule.ambiguous_kind"
    assert str(calcium.id) in raised.value.render(catalog, "en")
    update = await _change(world, catalog, str(calcium.id), times="08:15")
    assert update.after.schedule_id == calcium.id


async def test_show_schedules_in_words(world: World, catalog: Catalog) -> None:
    async with world.sessions() as session:
        shown = await show_schedules(session, world.ids.zoe, catalog=catalog, locale="en")
    assert (shown.name, shown.timezone, shown.program, shown.status) == (
        "Zoë 王芳",
        "Europe/Berlin",
        "default",
        "active",
    )
    assert [(v.kind, v.description) for v in shown.schedules] == [
        ("checkin", "every day at 18:00"),
        ("tip", "Mon, Wed, Fri at 09:00"),
        ("calcium", "every 28 days at 09:00"),
    ]
    assert shown.schedules[0].next_local == "Fri 27 Mar, 18:00"


GENTLE = {
    "schedules": [
        {
            "kind": "checkin",
            "rule": {"type": "daily"},
            "time_slot": "checkin",
            "default_time": "19:00",
        },
        {
            "kind": "tip",
            "rule": {"type": "weekly", "weekdays": ["mon"]},
            "time_slot": "morning",
            "default_time": "10:00",
        },
    ]
}


async def test_assign_program_keeps_the_patients_times(world: World, catalog: Catalog) -> None:
    programs = {**load_programs(), "gentle": parse_program("gentle", GENTLE)}
    async with world.sessions.begin() as session:
        person = await load_patient(session, world.ids.zoe)
        subscriptions.set_slot_time(person, "checkin", time(20, 15), world.clock.now())
    async with world.sessions.begin() as session:
        applied = await assign_program(
            session,
            world.ids.zoe,
            "gentle",
            programs=programs,
            actor=CLI_ACTOR,
            now=world.clock.now(),
            catalog=catalog,
            locale="en",
        )
    assert (applied.previous, applied.program) == ("default", "gentle")
    assert [(v.kind, v.description) for v in applied.schedules] == [
        ("checkin", "every day at 20:15"),
        ("tip", "Mon at 09:00"),
    ]
    async with world.sessions() as session:
        person = await load_patient(session, world.ids.zoe)
        assert person.patient is not None
        assert person.patient.program == "gentle"
        assert sorted(s.kind.value for s in person.patient.schedules) == ["checkin", "tip"]
        (event,) = await _audits(session, "program:apply")
        assert event.details["program"] == "gentle"
        assert event.details["previous_program"] == "default"
        views = await list_programs(session, programs, catalog=catalog, locale="en")
    assert [(v.name, v.patients) for v in views] == [("default", 6), ("gentle", 1)]
    assert views[1].items[0].description == "every day at 19:00"


async def test_assign_program_refusals(world: World, catalog: Catalog) -> None:
    programs = {**load_programs(), "gentle": parse_program("gentle", GENTLE)}
    for patient, name, key in [
        (world.ids.zoe, "intensive", "admin.program.unknown"),
        (world.ids.dana, "gentle", "admin.patient.onboarding"),
        (12345, "gentle", "admin.patient.unknown"),
    ]:
        async with world.sessions.begin() as session:
            with pytest.raises(AdminInputError) as raised:
                await assign_program(
                    session,
                    patient,
                    name,
                    programs=programs,
                    actor=CLI_ACTOR,
                    now=world.clock.now(),
                    catalog=catalog,
                    locale="en",
                )
        assert raised.value.key == key
        assert raised.value.render(catalog, "en")
    assert "Programs: default, gentle" in AdminInputError(
        "admin.program.unknown", typed="x", programs="default, gentle"
    ).render(catalog, "en")
