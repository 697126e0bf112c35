"""Taps and typed answers in onboarding and settings, routed by what the person was asked.

A button's data only says what was tapped; whether it still applies is decided from the
tapping person's stored state (person.awaiting, the subscription's status), looked up afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.timezones import is_valid_timezone
from reminderbot.delivery.buttons import action_of
from reminderbot.runtime import Runtime
from reminderbot.services import onboarding, preferences, subscription_settings
from reminderbot.services import subscription_prompts as prompts
from reminderbot.services.guard import refuse
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.models import PatientStatus, Person
from reminderbot.store.people import find_person


@dataclass(frozen=True)
class Tapped:
    """The replies to a tap ([] when the button is stale or not the tapper's) and their locale."""

    replies: list[Reply]
    locale: str


async def answer_tap(rt: Runtime, asker: Asker, chat_id: int, data: str) -> Tapped:
    """Handle a tap on a consent, onboarding or settings button."""
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        replies = _tap(rt, session, asker, person, chat_id, data, now)
        locale = rt.locale_for(asker.language_code, person)
    return Tapped(replies, locale)


def _tap(
    rt: Runtime,
    session: AsyncSession,
    asker: Asker,
    person: Person | None,
    chat_id: int,
    data: str,
    now: datetime,
) -> list[Reply]:
    if data == prompts.CONSENT_YES:
        return onboarding.agree(rt, session, asker, person, chat_id, now)
    if data == prompts.CONSENT_NO:
        return onboarding.decline(rt, asker, person)
    if person is None or person.patient is None:
        # Onboarding and settings buttons are a subscribed person's own: a caregiver's or a
        # coordinator's tap (forged or forwarded) is refused through the guard and audited.
        # Someone the bot keeps nothing about (never consented, or erased by /delete) leaves
        # nothing stored, not even an audit row: that would store them again.
        if person is not None:
            refuse(session, asker.telegram_id, action_of(data), now)
        return []
    status = person.patient.status
    awaiting = person.awaiting
    if data.startswith(prompts.LANGUAGE_PREFIX):
        locale = data.removeprefix(prompts.LANGUAGE_PREFIX)
        if rt.catalog.has_locale(locale) and awaiting == onboarding.AWAIT_LANGUAGE:
            return preferences.choose_language(rt, person, locale, now)
        return []
    if data.startswith(prompts.TIMEZONE_PREFIX):
        zone = data.removeprefix(prompts.TIMEZONE_PREFIX)
        if is_valid_timezone(zone) and awaiting == onboarding.AWAIT_TIMEZONE:
            return preferences.choose_timezone(rt, person, zone, now)
        return []
    if awaiting == onboarding.AWAIT_TIMES_CONFIRM and status == PatientStatus.ONBOARDING:
        if data == prompts.TIMES_KEEP:
            person.awaiting = None
            return onboarding.finish_onboarding(rt, session, person, now)
        if data == prompts.TIMES_CHANGE:
            return preferences.start_changing_times(rt, person)
    if data == prompts.QUIET_OFF and awaiting == onboarding.AWAIT_QUIET_HOURS:
        return preferences.clear_quiet_hours(rt, person, now)
    if status in (PatientStatus.ONBOARDING, PatientStatus.STOPPED):
        return []
    return subscription_settings.menu_tap(rt, session, person, data, now)


async def answer_text(rt: Runtime, asker: Asker, typed: str) -> list[Reply]:
    """Free text in onboarding and settings, or a short helpful reply.

    Text that answers a check-in, a calcium question or a coordinator's prompt is theirs: the
    caller offers it to those first.
    """
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        if person is None or person.patient is None:
            return [onboarding.consent_needed(rt, asker.language_code, person)]
        return _typed(rt, session, person, typed, now)


def _typed(
    rt: Runtime, session: AsyncSession, person: Person, typed: str, now: datetime
) -> list[Reply]:
    awaiting = person.awaiting
    if awaiting == onboarding.AWAIT_TIMEZONE:
        return preferences.typed_timezone(rt, person, typed, now)
    if awaiting in (onboarding.AWAIT_CHECKIN_TIME, onboarding.AWAIT_MORNING_TIME):
        return preferences.typed_time(rt, session, person, typed, now)
    if awaiting == onboarding.AWAIT_QUIET_HOURS:
        return preferences.typed_quiet_hours(rt, person, typed, now)
    if awaiting in (onboarding.AWAIT_LANGUAGE, onboarding.AWAIT_TIMES_CONFIRM):
        # The answer is a button; show the question again rather than guess.
        return onboarding.current_step(rt, person)[1:]
    return [Reply(rt.text(person.language, "common.unknown_text"))]
