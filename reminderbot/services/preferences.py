"""A patient's choices, made in onboarding and changed later in settings.

Language, time zone, preferred times and quiet hours: each step stores the choice, says what
is asked next (person.awaiting) and returns the replies. During onboarding a choice leads to
the next step; from settings it is confirmed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.timezones import resolve_timezone
from reminderbot.care.wall_time import format_time, parse_local_time, parse_time_range
from reminderbot.content.programs import timezone_name_key
from reminderbot.runtime import Runtime
from reminderbot.services import subscription_prompts as prompts
from reminderbot.services import subscriptions
from reminderbot.services.onboarding import (
    AWAIT_CHECKIN_TIME,
    AWAIT_MORNING_TIME,
    AWAIT_TIMES_CONFIRM,
    AWAIT_TIMEZONE,
    finish_onboarding,
    is_onboarding,
)
from reminderbot.services.replies import Reply
from reminderbot.store.models import Person

# Echoing what someone typed helps them see the typo; a long paste would drown the answer.
_ECHO_LIMIT = 40


def _echo(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _ECHO_LIMIT else text[: _ECHO_LIMIT - 1] + "…"


def choose_language(rt: Runtime, person: Person, locale: str, now: datetime) -> list[Reply]:
    """Set the language, then go on to the time zone (onboarding) or confirm (settings)."""
    subscriptions.set_language(person, locale, now)
    if is_onboarding(person):
        person.awaiting = AWAIT_TIMEZONE
        return [prompts.ask_timezone(rt, person)]
    person.awaiting = None
    name = rt.catalog.locale_names.get(locale, locale)
    return [Reply(rt.text(locale, "settings.language_updated", language=name))]


def choose_timezone(rt: Runtime, person: Person, zone: str, now: datetime) -> list[Reply]:
    """Set the time zone, then go on to preferred times (onboarding) or confirm (settings)."""
    assert person.patient is not None
    subscriptions.set_timezone(person, zone, now)
    locale = person.language
    if is_onboarding(person):
        if not person.patient.schedules:
            program = rt.default_program
            subscriptions.apply_program(person, program, program.default_slot_times(), now)
        person.awaiting = AWAIT_TIMES_CONFIRM
        local = prompts.local_now(rt, person, now)
        return [
            Reply(rt.text(locale, "onboarding.timezone.set", timezone=zone, local_time=local)),
            prompts.ask_times(rt, person),
        ]
    person.awaiting = None
    local = prompts.local_now(rt, person, now)
    return [Reply(rt.text(locale, "settings.timezone_updated", timezone=zone, local_time=local))]


def typed_timezone(rt: Runtime, person: Person, typed: str, now: datetime) -> list[Reply]:
    """Accept a typed zone name (or city), or explain kindly and ask again."""
    zone = rt.timezone_names.get(timezone_name_key(typed)) or resolve_timezone(typed)
    if zone is None:
        retry = prompts.ask_timezone(rt, person)
        text = rt.text(person.language, "onboarding.timezone.unknown", typed=_echo(typed))
        return [Reply(text, retry.buttons)]
    return choose_timezone(rt, person, zone, now)


def start_changing_times(rt: Runtime, person: Person) -> list[Reply]:
    """Ask for the check-in time; the morning time comes next."""
    person.awaiting = AWAIT_CHECKIN_TIME
    return [Reply(rt.text(person.language, "onboarding.times.ask_checkin"))]


def typed_time(
    rt: Runtime, session: AsyncSession, person: Person, typed: str, now: datetime
) -> list[Reply]:
    """Take the check-in or morning time; after the morning time, finish or confirm."""
    locale = person.language
    at = parse_local_time(typed)
    if at is None:
        return [Reply(rt.text(locale, "onboarding.times.invalid"))]
    if person.awaiting == AWAIT_CHECKIN_TIME:
        subscriptions.set_slot_time(person, "checkin", at, now)
        person.awaiting = AWAIT_MORNING_TIME
        return [Reply(rt.text(locale, "onboarding.times.ask_morning"))]
    subscriptions.set_slot_time(person, "morning", at, now)
    person.awaiting = None
    if is_onboarding(person):
        return finish_onboarding(rt, session, person, now)
    slots = subscriptions.slot_times(person, rt.default_program)
    return [
        Reply(
            rt.text(
                locale,
                "settings.times_updated",
                checkin_time=format_time(slots["checkin"]),
                morning_time=format_time(slots["morning"]),
                timezone=person.timezone,
            )
        )
    ]


def typed_quiet_hours(rt: Runtime, person: Person, typed: str, now: datetime) -> list[Reply]:
    """Take a quiet-hours range such as 22:00-07:00."""
    hours = parse_time_range(typed)
    locale = person.language
    if hours is None:
        retry = prompts.ask_quiet_hours(rt, locale)
        return [Reply(rt.text(locale, "settings.quiet.invalid"), retry.buttons)]
    subscriptions.set_quiet_hours(person, hours, now)
    person.awaiting = None
    start, end = (format_time(t) for t in hours)
    return [Reply(rt.text(locale, "settings.quiet.set", start=start, end=end))]


def clear_quiet_hours(rt: Runtime, person: Person, now: datetime) -> list[Reply]:
    """Remove quiet hours."""
    subscriptions.set_quiet_hours(person, None, now)
    person.awaiting = None
    return [Reply(rt.text(person.language, "settings.quiet.cleared"))]
