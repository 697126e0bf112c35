"""A tapped inline button, one entry point per family of the registry (delivery/buttons).

The Telegram adapter routes each family here by pattern; each entry checks the family's right
with the guard (refusals audited), lets the owning service handle the tap, and returns the
replies with the locale of the tapping person ([] when the button no longer applies).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from reminderbot.delivery import buttons
from reminderbot.delivery.buttons import Family, Right
from reminderbot.runtime import Runtime
from reminderbot.services import (
    alerts,
    caregivers,
    checkins,
    coordinator_desk,
    guard,
    scheduled_answers,
    subscription_answers,
)
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.people import find_person

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tapped:
    """The replies to a tap ([] when the button is stale or not the tapper's) and their locale."""

    replies: list[Reply]
    locale: str


async def _locale(rt: Runtime, asker: Asker) -> str:
    async with rt.sessions.begin() as session:
        return rt.locale_for(asker.language_code, await find_person(session, asker.telegram_id))


async def settings(rt: Runtime, asker: Asker, chat_id: int, data: str) -> Tapped:
    """Consent, onboarding and settings buttons (the subscription's own state decides)."""
    tapped = await subscription_answers.answer_tap(rt, asker, chat_id, data)
    return Tapped(tapped.replies, tapped.locale)


async def scheduled(rt: Runtime, asker: Asker, chat_id: int, data: str) -> Tapped:
    """A score, snooze or calcium button on a scheduled message: only its recipient's."""
    now = rt.clock.now()
    parsed = buttons.parse(data)
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        locale = rt.locale_for(asker.language_code, person)
        if parsed is None or not await guard.has_right(
            rt, session, asker.telegram_id, person, Right.PATIENT
        ):
            guard.refuse(session, asker.telegram_id, "button", now, action=buttons.action_of(data))
            return Tapped([], locale)
        assert person is not None
        replies = await scheduled_answers.answer_button(rt, session, person, parsed, now)
    return Tapped(replies or [], locale)


async def checkin_step(rt: Runtime, asker: Asker, chat_id: int, data: str) -> Tapped:
    """An answer inside a check-in: its patient's, or the reporting caregiver's."""
    now = rt.clock.now()
    parsed = buttons.parse(data)
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        locale = rt.locale_for(asker.language_code, person)
        checkin_id = buttons.parse_id(parsed.key) if parsed else None
        if (
            parsed is None
            or checkin_id is None
            or person is None
            or not await guard.has_right(
                rt, session, asker.telegram_id, person, Right.PATIENT_OR_REPORTER
            )
        ):
            guard.refuse(session, asker.telegram_id, "checkin_button", now, checkin=checkin_id)
            return Tapped([], locale)
        replies = await checkins.answer_tap(rt, session, person, parsed.key, parsed.value, now)
    return Tapped(replies, locale)


async def acknowledge(rt: Runtime, asker: Asker, chat_id: int, data: str) -> Tapped:
    """ "Acknowledge" under an alert: coordinators only (checked and audited in services/alerts)."""
    now = rt.clock.now()
    parsed = buttons.parse(data)
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        locale = rt.locale_for(asker.language_code, person)
        key = parsed.key if parsed else ""
        replies = await alerts.acknowledge_tap(rt, session, asker, person, key, now)
    return Tapped(replies, locale)


async def coordinator(rt: Runtime, asker: Asker, chat_id: int, data: str) -> Tapped:
    """Work-list, broadcast, roster and schedule buttons: the role is checked afresh."""
    parsed = buttons.parse(data)
    if parsed is None:
        return await unknown(rt, asker, chat_id, data)
    replies = await coordinator_desk.button(rt, asker, chat_id, parsed)
    return Tapped(replies, await _locale(rt, asker))


async def caregiver(rt: Runtime, asker: Asker, chat_id: int, data: str) -> Tapped:
    """Invite answers and caregiver-link buttons, checked against the tapper's own links."""
    parsed = buttons.parse(data)
    if parsed is None:
        return await unknown(rt, asker, chat_id, data)
    # A proxy score starts a check-in; that conversation is the check-in service's.
    replies = await caregivers.button(rt, asker, chat_id, parsed)
    return Tapped(replies, await _locale(rt, asker))


async def unknown(rt: Runtime, asker: Asker, chat_id: int, data: str) -> Tapped:
    """Data no registered action matches: a stale button from an older version, or forged."""
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        guard.refuse(session, asker.telegram_id, "unknown_button", now)
        return Tapped([], rt.locale_for(asker.language_code, person))


# Which entry point answers each family; the Telegram adapter registers one handler per family.
BY_FAMILY = {
    Family.CONSENT: settings,
    Family.SETTINGS: settings,
    Family.SCHEDULED: scheduled,
    Family.CHECKIN: checkin_step,
    Family.ALERT: acknowledge,
    Family.COORDINATOR: coordinator,
    Family.CAREGIVER: caregiver,
}
