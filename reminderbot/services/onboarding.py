"""Onboarding: /start, consent, then language, time zone and preferred times, one step at a time.

Nothing is stored before the person taps "I agree": the introduction is built from what Telegram
says about them, and the tap creates the person and their patient profile.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.runtime import Runtime
from reminderbot.services import subscription_prompts as prompts
from reminderbot.services import subscriptions
from reminderbot.services.awaiting import Awaiting
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.models import PatientStatus, Person
from reminderbot.store.people import find_person

log = logging.getLogger(__name__)

# What the next tap or free text from a person answers (stored in person.awaiting), in
# onboarding and in settings.
# The names predate services/awaiting, which declares them.
AWAIT_LANGUAGE = Awaiting.LANGUAGE
AWAIT_TIMEZONE = Awaiting.TIMEZONE
AWAIT_TIMES_CONFIRM = Awaiting.TIMES_CONFIRM
AWAIT_CHECKIN_TIME = Awaiting.CHECKIN_TIME
AWAIT_MORNING_TIME = Awaiting.MORNING_TIME
AWAIT_QUIET_HOURS = Awaiting.QUIET_HOURS

# Display names are stored cut to the column's length.
_NAME_LIMIT = 128


def is_onboarding(person: Person) -> bool:
    """Say whether the person agreed but has not finished setting up."""
    return person.patient is not None and person.patient.status == PatientStatus.ONBOARDING


def consent_needed(rt: Runtime, language_code: str | None, person: Person | None) -> Reply:
    """What someone without a subscription of their own is told when they use a patient feature."""
    if person is not None and person.patient is None:
        # A caregiver or coordinator without a subscription of their own.
        return Reply(rt.text(person.language, "caregiver.not_a_patient_help"))
    return Reply(rt.text(rt.locale_for(language_code, None), "onboarding.consent.needed"))


def first_step(rt: Runtime, person: Person) -> list[Reply]:
    """Start onboarding after consent: language when there is a choice, else time zone."""
    if len(rt.catalog.locales) > 1:
        person.awaiting = AWAIT_LANGUAGE
        return [prompts.ask_language(rt, person.language)]
    person.awaiting = AWAIT_TIMEZONE
    return [prompts.ask_timezone(rt, person)]


def current_step(rt: Runtime, person: Person) -> list[Reply]:
    """Ask again whatever onboarding step the person is on (after /start mid-way)."""
    locale = person.language
    if person.awaiting == AWAIT_LANGUAGE:
        prompt = prompts.ask_language(rt, locale)
    elif person.awaiting == AWAIT_TIMES_CONFIRM:
        prompt = prompts.ask_times(rt, person)
    elif person.awaiting == AWAIT_CHECKIN_TIME:
        prompt = Reply(rt.text(locale, "onboarding.times.ask_checkin"))
    elif person.awaiting == AWAIT_MORNING_TIME:
        prompt = Reply(rt.text(locale, "onboarding.times.ask_morning"))
    else:
        person.awaiting = AWAIT_TIMEZONE
        prompt = prompts.ask_timezone(rt, person)
    return [Reply(rt.text(locale, "onboarding.summary.continue")), prompt]


def finish_onboarding(
    rt: Runtime, session: AsyncSession, person: Person, now: datetime
) -> list[Reply]:
    """Activate the subscription and show the schedule the patient will receive."""
    slots = subscriptions.slot_times(person, rt.default_program)
    subscriptions.complete_onboarding(session, person, rt.default_program, slots, now)
    return [prompts.schedule_summary(rt, person, "onboarding.summary.done")]


async def start(rt: Runtime, asker: Asker) -> list[Reply]:
    """/start: ask consent, continue onboarding, welcome back after /stop, or show the schedule."""
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        if person is None or person.patient is None:
            # Nothing is stored before consent: the introduction is built from the update.
            locale = rt.locale_for(asker.language_code, None)
            replies = [prompts.welcome(rt, locale, asker.first_name)]
        elif is_onboarding(person):
            replies = current_step(rt, person)
        elif person.patient.status in (PatientStatus.STOPPED, PatientStatus.UNREACHABLE):
            subscriptions.resubscribe(session, person, now)
            replies = [prompts.schedule_summary(rt, person, "onboarding.summary.welcome_back")]
        else:
            summary = "onboarding.summary.already_subscribed"
            replies = [prompts.schedule_summary(rt, person, summary)]
    log.info("start user=%d known=%s", asker.telegram_id, person is not None)
    return replies


def agree(
    rt: Runtime,
    session: AsyncSession,
    asker: Asker,
    person: Person | None,
    chat_id: int,
    now: datetime,
) -> list[Reply]:
    """The "I agree" tap: the first moment anything is stored; [] for someone already a patient."""
    if person is None:
        person = subscriptions.record_consent(
            session,
            subscriptions.NewPerson(
                telegram_user_id=asker.telegram_id,
                chat_id=chat_id,
                display_name=asker.first_name[:_NAME_LIMIT] or None,
                language=rt.locale_for(asker.language_code, None),
                timezone=rt.settings.default_timezone,
            ),
            now,
        )
    elif person.patient is None:
        subscriptions.add_patient_profile(session, person, now)
        if not person.display_name and asker.first_name:
            person.display_name = asker.first_name[:_NAME_LIMIT]
    else:
        return []
    return [Reply(rt.text(person.language, "onboarding.consent.agreed")), *first_step(rt, person)]


def decline(rt: Runtime, asker: Asker, person: Person | None) -> list[Reply]:
    """The "Not now" tap: nothing is stored; [] for someone who already agreed."""
    if person is not None and person.patient is not None:
        return []
    locale = rt.locale_for(asker.language_code, None)
    return [Reply(rt.text(locale, "onboarding.consent.declined"))]
