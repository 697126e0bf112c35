"""Coordinator use cases as chat entry points: each checks the role afresh in its own transaction.

/alerts, /broadcast, /checkin, /patients, /patient, /schedule, the buttons they put under their
replies, and the text a coordinator types when asked (a resolution note, a broadcast, a new
schedule value). Someone who is not a coordinator gets a kind refusal, and the refusal is audited.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.delivery import buttons, callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import (
    alert_worklist,
    broadcasts,
    coordinators,
    roster_replies,
    schedule_replies,
)
from reminderbot.services import awaiting as awaited
from reminderbot.services.awaiting import Awaiting
from reminderbot.services.coordinators import Coordinator
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.people import find_person

log = logging.getLogger(__name__)

ACTIONS = (
    alert_worklist.ACTIONS | broadcasts.ACTIONS | roster_replies.ACTIONS | schedule_replies.ACTIONS
)
# Roster pages (counted from 0 in buttons, from 1 in /patients) stay far below this.
MAX_PAGE = 1_000_000

Act = Callable[[AsyncSession, Coordinator, datetime], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class PatientShown:
    """The /patient replies, and the patient's id when one was found (for the chart after)."""

    replies: list[Reply]
    patient_id: int | None


def awaits_text(awaiting: str | None) -> bool:
    """Whether a person's pending question is one a coordinator answers by typing."""
    return awaited.is_coordinator_text(awaiting)


async def _as_coordinator(
    rt: Runtime, asker: Asker, chat_id: int, action: str, act: Act
) -> list[Reply]:
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        who = await coordinators.authorize(rt, session, asker, person, chat_id, action, now)
        if who is None:
            replies = coordinators.not_allowed(rt, asker, person)
        else:
            replies = await act(session, who, now)
    log.info(
        "coordinator action user=%d action=%s allowed=%s",
        asker.telegram_id,
        action,
        who is not None,
    )
    return replies


async def alerts(rt: Runtime, asker: Asker, chat_id: int) -> list[Reply]:
    """/alerts: the first page of unresolved alerts."""

    async def act(session: AsyncSession, who: Coordinator, now: datetime) -> list[Reply]:
        return await alert_worklist.alert_list(rt, session, who, now)

    return await _as_coordinator(rt, asker, chat_id, "alerts", act)


async def broadcast(rt: Runtime, asker: Asker, chat_id: int) -> list[Reply]:
    """/broadcast: ask for the audience."""

    async def act(session: AsyncSession, who: Coordinator, now: datetime) -> list[Reply]:
        return broadcasts.start(rt, who)

    return await _as_coordinator(rt, asker, chat_id, "broadcast", act)


async def checkin(rt: Runtime, asker: Asker, chat_id: int, args: list[str]) -> list[Reply]:
    """/checkin <patient id>: ask a patient for a pain check-in now."""

    async def act(session: AsyncSession, who: Coordinator, now: datetime) -> list[Reply]:
        return await coordinators.ask_now(rt, session, who, args, now)

    return await _as_coordinator(rt, asker, chat_id, "checkin", act)


async def patients(rt: Runtime, asker: Asker, chat_id: int, args: list[str]) -> list[Reply]:
    """/patients [page]: one page of the roster (pages count from 1; else the usage line)."""
    number = buttons.parse_id(args[0], maximum=MAX_PAGE) if args else 1

    async def act(session: AsyncSession, who: Coordinator, now: datetime) -> list[Reply]:
        if number is None:
            return [Reply(rt.text(who.locale, "coordinator.roster.usage"))]
        return await roster_replies.patients(rt, session, who, number - 1, now)

    return await _as_coordinator(rt, asker, chat_id, "patients", act)


async def patient(rt: Runtime, asker: Asker, chat_id: int, args: list[str]) -> PatientShown:
    """/patient <id>: one patient's details."""
    found: list[int] = []

    async def act(session: AsyncSession, who: Coordinator, now: datetime) -> list[Reply]:
        replies, patient_id = await roster_replies.patient(rt, session, who, args, now)
        found.extend([patient_id] if patient_id is not None else [])
        return replies

    replies = await _as_coordinator(rt, asker, chat_id, "patient", act)
    return PatientShown(replies, found[0] if found else None)


async def schedule(rt: Runtime, asker: Asker, chat_id: int, args: list[str]) -> list[Reply]:
    """/schedule <id>: a patient's schedules with buttons to change them."""

    async def act(session: AsyncSession, who: Coordinator, now: datetime) -> list[Reply]:
        return await schedule_replies.schedule(rt, session, who, args, now)

    return await _as_coordinator(rt, asker, chat_id, "schedule", act)


async def button(
    rt: Runtime, asker: Asker, chat_id: int, data: callbacks.ButtonData
) -> list[Reply]:
    """A coordinator button; [] when stale. The role is checked again, not assumed."""

    async def act(session: AsyncSession, who: Coordinator, now: datetime) -> list[Reply]:
        action, key = data.action, data.key
        # Every key of these buttons is a number the bot wrote; anything else is stale or forged.
        number = buttons.parse_number(key, maximum=buttons.MAX_ID)
        if action == alert_worklist.RESOLVE:
            return await alert_worklist.ask_note(rt, session, who, key)
        if action == alert_worklist.RESOLVE_SKIP_NOTE and number:
            return await alert_worklist.resolve_without_note(rt, session, who, key, now)
        if action == alert_worklist.MORE_ALERTS and number is not None:
            return await alert_worklist.alert_list(rt, session, who, now, offset=number)
        if action == broadcasts.BROADCAST_TO:
            return broadcasts.choose_audience(rt, who, key)
        if action == broadcasts.BROADCAST_SEND:
            return await broadcasts.send(rt, session, who, key, now)
        if action == broadcasts.BROADCAST_CANCEL:
            return await broadcasts.cancel(rt, session, who)
        if action == roster_replies.PAGE and number is not None and number <= MAX_PAGE:
            return await roster_replies.patients(rt, session, who, number, now)
        if action in schedule_replies.ACTIONS:
            return await schedule_replies.button(rt, session, who, data, now)
        return []

    return await _as_coordinator(rt, asker, chat_id, data.action, act)


async def typed(rt: Runtime, asker: Asker, text: str) -> list[Reply] | None:
    """Text a coordinator typed when asked; None when the asker was not asked for any."""
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        if person is None or not awaits_text(person.awaiting):
            return None
        who = await coordinators.authorize(
            rt, session, asker, person, person.chat_id, "coordinator_text", now
        )
        question = awaited.parse(person.awaiting)
        if who is None:
            person.awaiting = None
            return coordinators.not_allowed(rt, asker, person)
        if question is not None and question.kind is Awaiting.NOTE:
            return await alert_worklist.typed_note(rt, session, who, text, now)
        if question is not None and question.kind is Awaiting.SCHEDULE:
            return await schedule_replies.typed_value(rt, session, who, text, now)
        return await broadcasts.preview(rt, session, who, text, now)
