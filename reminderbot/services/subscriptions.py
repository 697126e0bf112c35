"""Subscription use cases: consent, onboarding choices, settings, pause, stop and return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.programs import Program
from reminderbot.care.recurrence import next_fire, parse_rule, parse_times
from reminderbot.care.wall_time import format_time
from reminderbot.store.models import (
    PatientProfile,
    PatientStatus,
    Person,
    Role,
    Schedule,
    ScheduleKind,
)
from reminderbot.store.people import add_audit, cancel_pending_deliveries


@dataclass(frozen=True)
class NewPerson:
    """What Telegram tells us about someone who has just agreed to take part."""

    telegram_user_id: int
    chat_id: int
    display_name: str | None
    language: str
    timezone: str
    role: Role = Role.PATIENT


def record_consent(session: AsyncSession, who: NewPerson, now: datetime) -> Person:
    """Create the person and their patient profile at the moment they agree."""
    person = Person(
        telegram_user_id=who.telegram_user_id,
        chat_id=who.chat_id,
        display_name=who.display_name,
        language=who.language,
        timezone=who.timezone,
        role=who.role,
        created_at=now,
        updated_at=now,
    )
    person.patient = PatientProfile(
        consent_at=now, status=PatientStatus.ONBOARDING, status_changed_at=now, schedules=[]
    )
    session.add(person)
    add_audit(session, at=now, action="consent", actor_telegram_id=who.telegram_user_id)
    return person


def add_patient_profile(session: AsyncSession, person: Person, now: datetime) -> None:
    """A caregiver or coordinator who agrees to take part as a patient themselves."""
    # Their role stays: a coordinator who also subscribes is still a coordinator.
    person.patient = PatientProfile(
        consent_at=now, status=PatientStatus.ONBOARDING, status_changed_at=now, schedules=[]
    )
    person.updated_at = now
    add_audit(session, at=now, action="consent", actor_telegram_id=person.telegram_user_id)


def _refresh_next_fire(schedule: Schedule, zone: ZoneInfo, now: datetime) -> None:
    rule = parse_rule(schedule.rule)
    schedule.next_fire_at = next_fire(rule, parse_times(schedule.local_times), zone, now)
    schedule.updated_at = now


def refresh_schedules(person: Person, now: datetime) -> None:
    """Recompute every schedule's next fire instant from now, in the person's time zone."""
    assert person.patient is not None
    zone = ZoneInfo(person.timezone)
    for schedule in person.patient.schedules:
        _refresh_next_fire(schedule, zone, now)


def slot_times(person: Person, program: Program) -> dict[str, time]:
    """Return the person's chosen time for each slot, falling back to the program's defaults."""
    chosen = program.default_slot_times()
    if person.patient is not None:
        for schedule in person.patient.schedules:
            if schedule.time_slot and schedule.local_times:
                chosen[schedule.time_slot] = parse_times(schedule.local_times)[0]
    return chosen


def apply_program(person: Person, program: Program, slots: dict[str, time], now: datetime) -> None:
    """Replace the patient's schedules with the program's, at the chosen local times."""
    assert person.patient is not None
    zone = ZoneInfo(person.timezone)
    local_today = now.astimezone(zone).date()
    person.patient.schedules.clear()
    for item in program.items:
        rule = item.rule.as_dict()
        if rule["type"] == "interval" and "anchor" not in rule:
            # Count one whole interval from the day the patient joined: a calcium-test reminder
            # on the first morning would claim a test is due that nobody knows to be due.
            rule["anchor"] = (local_today + timedelta(days=item.rule.every_days)).isoformat()
        schedule = Schedule(
            kind=ScheduleKind(item.kind),
            rule=rule,
            local_times=[format_time(slots.get(item.slot, item.default_time))],
            time_slot=item.slot,
            active=True,
            created_at=now,
            updated_at=now,
        )
        _refresh_next_fire(schedule, zone, now)
        person.patient.schedules.append(schedule)
    person.patient.program = program.name


def _set_status(
    session: AsyncSession, person: Person, status: PatientStatus, now: datetime
) -> None:
    assert person.patient is not None
    person.patient.status = status
    person.patient.status_changed_at = now
    person.updated_at = now
    add_audit(
        session,
        at=now,
        action=f"status:{status.value}",
        actor_telegram_id=person.telegram_user_id,
        subject_person_id=person.id,
    )


def complete_onboarding(
    session: AsyncSession, person: Person, program: Program, slots: dict[str, time], now: datetime
) -> None:
    """Create the patient's schedules and make the subscription active."""
    apply_program(person, program, slots, now)
    person.awaiting = None
    _set_status(session, person, PatientStatus.ACTIVE, now)


def set_timezone(person: Person, zone_name: str, now: datetime) -> None:
    """Change the person's time zone; local times stay, so the instants move with the zone."""
    person.timezone = zone_name
    person.updated_at = now
    if person.patient is not None:
        refresh_schedules(person, now)


def set_slot_time(person: Person, slot: str, at: time, now: datetime) -> None:
    """Move every schedule tied to a time slot to a new local time."""
    assert person.patient is not None
    zone = ZoneInfo(person.timezone)
    for schedule in person.patient.schedules:
        if schedule.time_slot == slot:
            schedule.local_times = [format_time(at)]
            _refresh_next_fire(schedule, zone, now)
    person.updated_at = now


def set_quiet_hours(person: Person, hours: tuple[time, time] | None, now: datetime) -> None:
    """Set (or clear, with None) the hours in which routine messages wait."""
    assert person.patient is not None
    person.patient.quiet_start, person.patient.quiet_end = hours or (None, None)
    person.updated_at = now


def set_language(person: Person, locale: str, now: datetime) -> None:
    """Change the language the bot writes in."""
    person.language = locale
    person.updated_at = now


def pause(session: AsyncSession, person: Person, now: datetime) -> None:
    """Hold routine messages until the patient resumes."""
    _set_status(session, person, PatientStatus.PAUSED, now)


def resume(session: AsyncSession, person: Person, now: datetime) -> None:
    """Start routine messages again, from the next occurrence (nothing missed is sent)."""
    _set_status(session, person, PatientStatus.ACTIVE, now)
    refresh_schedules(person, now)


async def stop(session: AsyncSession, person: Person, now: datetime) -> int:
    """Unsubscribe: nothing more is sent, and queued messages are cancelled; returns that count."""
    _set_status(session, person, PatientStatus.STOPPED, now)
    person.awaiting = None
    return await cancel_pending_deliveries(session, person.id)


def resubscribe(session: AsyncSession, person: Person, now: datetime) -> None:
    """Come back after /stop with the same settings; schedules continue from now."""
    resume(session, person, now)
