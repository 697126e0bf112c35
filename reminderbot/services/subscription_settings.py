"""A subscription's settings: the /settings menu and its buttons, pause and resume, /stop."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.runtime import Runtime
from reminderbot.services import subscription_prompts as prompts
from reminderbot.services import subscriptions
from reminderbot.services.onboarding import (
    AWAIT_LANGUAGE,
    AWAIT_QUIET_HOURS,
    AWAIT_TIMEZONE,
    consent_needed,
    current_step,
    is_onboarding,
)
from reminderbot.services.preferences import start_changing_times
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.models import PatientStatus, Person
from reminderbot.store.people import find_person

log = logging.getLogger(__name__)


def overview(rt: Runtime, asker: Asker, person: Person | None) -> list[Reply]:
    """The /settings menu, or what has to come first (consent, finishing onboarding, /start)."""
    if person is None or person.patient is None:
        return [consent_needed(rt, asker.language_code, person)]
    if is_onboarding(person):
        first = Reply(rt.text(person.language, "settings.finish_onboarding_first"))
        return [first, *current_step(rt, person)[1:]]
    if person.patient.status == PatientStatus.STOPPED:
        return [Reply(rt.text(person.language, "settings.not_subscribed"))]
    # Opening the menu abandons any half-answered setting.
    person.awaiting = None
    return [prompts.settings_overview(rt, person)]


async def show(rt: Runtime, asker: Asker) -> list[Reply]:
    """/settings: current values with a button for each."""
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        return overview(rt, asker, person)


def menu_tap(
    rt: Runtime, session: AsyncSession, person: Person, data: str, now: datetime
) -> list[Reply]:
    """A button of the settings menu; [] when it does not apply to the patient's status."""
    assert person.patient is not None
    locale = person.language
    if data == prompts.SET_TIMEZONE:
        person.awaiting = AWAIT_TIMEZONE
        return [prompts.ask_timezone(rt, person)]
    if data == prompts.SET_TIMES:
        return start_changing_times(rt, person)
    if data == prompts.SET_QUIET:
        person.awaiting = AWAIT_QUIET_HOURS
        return [prompts.ask_quiet_hours(rt, locale)]
    if data == prompts.SET_LANGUAGE and len(rt.catalog.locales) > 1:
        person.awaiting = AWAIT_LANGUAGE
        return [prompts.ask_language(rt, locale)]
    if data == prompts.SET_PAUSE and person.patient.status == PatientStatus.ACTIVE:
        subscriptions.pause(session, person, now)
        return [Reply(rt.text(locale, "settings.paused"))]
    if data == prompts.SET_RESUME and person.patient.status == PatientStatus.PAUSED:
        subscriptions.resume(session, person, now)
        return [Reply(rt.text(locale, "settings.resumed"))]
    return []


async def unsubscribe(rt: Runtime, asker: Asker) -> list[Reply]:
    """/stop: unsubscribe and cancel queued messages; nothing more is sent until /start."""
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        if person is None or person.patient is None:
            return [consent_needed(rt, asker.language_code, person)]
        if person.patient.status in (PatientStatus.STOPPED, PatientStatus.UNREACHABLE):
            return [Reply(rt.text(person.language, "settings.stop.already"))]
        cancelled = await subscriptions.stop(session, person, now)
    log.info("stop user=%d cancelled_deliveries=%d", asker.telegram_id, cancelled)
    return [Reply(rt.text(person.language, "settings.stop.done"))]
