"""The subscription's state changes: consent, program, times, zone, quiet hours, status."""

from __future__ import annotations

from datetime import date, time, timedelta

from sqlalchemy import select

from reminderbot.content.programs import load_programs
from reminderbot.services import subscriptions
from reminderbot.store.models import (
    DeliveryState,
    OutboxDelivery,
    PatientStatus,
    Role,
    ScheduleKind,
)
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.seed import CAREGIVER_TG, local_time
from tests.services.subscription_helpers import (
    CARL_TG,
    DANA_TG,
    STRANGER_TG,
    ZOE_TG,
    audit_actions,
    load,
    row_counts,
)

PROGRAM = load_programs()["default"]


async def test_record_consent_creates_a_person_in_onboarding_and_audits_it(world: World) -> None:
    before = await row_counts(world)
    now = world.clock.now()
    async with world.sessions.begin() as session:
        subscriptions.record_consent(
            session,
            subscriptions.NewPerson(STRANGER_TG, 31, "Mia", "en", "Asia/Shanghai"),
            now,
        )
    assert await row_counts(world) == (before[0] + 1, before[1] + 1, before[2] + 1)
    mia = await load(world, STRANGER_TG)
    assert mia.patient is not None
    assert (mia.chat_id, mia.display_name, mia.timezone, mia.role) == (
        31,
        "Mia",
        "Asia/Shanghai",
        Role.PATIENT,
    )
    assert (mia.patient.status, mia.patient.consent_at, mia.patient.schedules) == (
        PatientStatus.ONBOARDING,
        now,
        [],
    )
    assert await audit_actions(world, STRANGER_TG) == ["consent"]


async def test_add_patient_profile_keeps_the_role(world: World) -> None:
    async with world.sessions.begin() as session:
        charles = await find_person(session, CAREGIVER_TG)
        assert charles is not None
        subscriptions.add_patient_profile(session, charles, world.clock.now())
    charles = await load(world, CAREGIVER_TG)
    assert charles.role == Role.CAREGIVER
    assert charles.patient is not None and charles.patient.status == PatientStatus.ONBOARDING
    assert await audit_actions(world, CAREGIVER_TG) == ["consent"]


async def test_complete_onboarding_creates_the_programs_schedules_at_the_chosen_times(
    world: World,
) -> None:
    now = world.clock.now()
    slots = {**PROGRAM.default_slot_times(), "checkin": time(20, 30)}
    async with world.sessions.begin() as session:
        dana = await find_person(session, DANA_TG)
        assert dana is not None
        dana.awaiting = "checkin_time"
        subscriptions.complete_onboarding(session, dana, PROGRAM, slots, now)
    dana = await load(world, DANA_TG)
    assert dana.patient is not None
    assert (dana.patient.status, dana.awaiting, dana.patient.program) == (
        PatientStatus.ACTIVE,
        None,
        PROGRAM.name,
    )
    assert len(dana.patient.schedules) == len(PROGRAM.items)
    checkin = next(s for s in dana.patient.schedules if s.kind == ScheduleKind.CHECKIN)
    assert checkin.local_times == ["20:30"]
    assert all(s.next_fire_at is not None and s.next_fire_at > now for s in dana.patient.schedules)
    assert subscriptions.slot_times(dana, PROGRAM)["checkin"] == time(20, 30)
    assert (await audit_actions(world, DANA_TG))[-1] == "status:active"


async def test_an_interval_reminder_counts_one_whole_interval_from_joining(world: World) -> None:
    dana = await load(world, DANA_TG)
    subscriptions.apply_program(dana, PROGRAM, PROGRAM.default_slot_times(), world.clock.now())
    assert dana.patient is not None
    intervals = [s for s in dana.patient.schedules if s.rule["type"] == "interval"]
    assert intervals
    for schedule in intervals:
        anchor = date.fromisoformat(schedule.rule["anchor"])
        assert anchor == date(2026, 3, 27) + timedelta(days=schedule.rule["every"])


async def test_set_slot_time_moves_only_that_slot(world: World) -> None:
    zoe = await load(world, ZOE_TG)
    assert zoe.patient is not None
    others = {s.id: s.local_times for s in zoe.patient.schedules if s.time_slot != "morning"}
    subscriptions.set_slot_time(zoe, "morning", time(6, 45), world.clock.now())
    assert {tuple(s.local_times) for s in zoe.patient.schedules if s.time_slot == "morning"} == {
        ("06:45",)
    }
    assert {s.id: s.local_times for s in zoe.patient.schedules if s.id in others} == others


async def test_set_timezone_keeps_wall_times(world: World) -> None:
    zoe = await load(world, ZOE_TG)
    assert zoe.patient is not None
    checkin = next(s for s in zoe.patient.schedules if s.kind == ScheduleKind.CHECKIN)
    berlin_fire = checkin.next_fire_at
    subscriptions.set_timezone(zoe, "America/New_York", world.clock.now())
    assert zoe.timezone == "America/New_York"
    assert checkin.next_fire_at is not None and berlin_fire is not None
    # The same wall time, now in New York: a later instant.
    assert local_time(checkin.next_fire_at, "America/New_York") == local_time(
        berlin_fire, "Europe/Berlin"
    )
    assert checkin.next_fire_at > berlin_fire


async def test_quiet_hours_and_language_are_set(world: World) -> None:
    zoe = await load(world, ZOE_TG)
    assert zoe.patient is not None
    subscriptions.set_quiet_hours(zoe, (time(23, 0), time(6, 0)), world.clock.now())
    assert (zoe.patient.quiet_start, zoe.patient.quiet_end) == (time(23, 0), time(6, 0))
    subscriptions.set_quiet_hours(zoe, None, world.clock.now())
    assert (zoe.patient.quiet_start, zoe.patient.quiet_end) == (None, None)
    subscriptions.set_language(zoe, "zh-Hans", world.clock.now())
    assert zoe.language == "zh-Hans"


async def test_pause_then_resume_refreshes_the_schedules_from_now(world: World) -> None:
    now = world.clock.now()
    async with world.sessions.begin() as session:
        zoe = await find_person(session, ZOE_TG)
        assert zoe is not None and zoe.patient is not None
        subscriptions.pause(session, zoe, now)
        assert zoe.patient.status == PatientStatus.PAUSED
        later = now + timedelta(days=5)
        subscriptions.resume(session, zoe, later)
    zoe = await load(world, ZOE_TG)
    assert zoe.patient is not None and zoe.patient.status == PatientStatus.ACTIVE
    assert zoe.patient.status_changed_at == later
    assert all(s.next_fire_at is not None and s.next_fire_at > later for s in zoe.patient.schedules)
    assert (await audit_actions(world, ZOE_TG))[-2:] == ["status:paused", "status:active"]


async def test_stop_cancels_only_queued_messages_and_counts_them(world: World) -> None:
    now = world.clock.now()
    zoe = await load(world, ZOE_TG)
    async with world.sessions.begin() as session:
        session.add(
            OutboxDelivery(
                recipient_id=zoe.id,
                chat_id=zoe.chat_id,
                kind="tip",
                priority=6,
                unique_key="queued",
                payload={"text": "tip"},
                state=DeliveryState.PENDING,
                not_before=now + timedelta(hours=2),
                created_at=now,
            )
        )
    async with world.sessions.begin() as session:
        person = await find_person(session, ZOE_TG)
        assert person is not None
        person.awaiting = "timezone"
        cancelled = await subscriptions.stop(session, person, now)
    assert cancelled == 1
    zoe = await load(world, ZOE_TG)
    assert zoe.patient is not None and zoe.patient.status == PatientStatus.STOPPED
    assert zoe.awaiting is None
    async with world.sessions() as session:
        states = set(
            await session.scalars(
                select(OutboxDelivery.state).where(OutboxDelivery.recipient_id == zoe.id)
            )
        )
    assert states == {DeliveryState.CANCELLED, DeliveryState.SENT}


async def test_resubscribe_after_stop_continues_with_the_same_settings(world: World) -> None:
    carl = await load(world, CARL_TG)
    assert carl.patient is not None
    times = {s.id: s.local_times for s in carl.patient.schedules}
    later = world.clock.now() + timedelta(days=2)
    async with world.sessions.begin() as session:
        person = await find_person(session, CARL_TG)
        assert person is not None
        subscriptions.resubscribe(session, person, later)
    carl = await load(world, CARL_TG)
    assert carl.patient is not None and carl.patient.status == PatientStatus.ACTIVE
    assert {s.id: s.local_times for s in carl.patient.schedules} == times
    assert all(
        s.next_fire_at is not None and s.next_fire_at > later for s in carl.patient.schedules
    )
