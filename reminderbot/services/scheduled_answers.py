"""Taps on scheduled messages: a check-in score, a snooze, the calcium test's buttons."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.recurrence import resolve_local
from reminderbot.delivery import callbacks, outbox_keys
from reminderbot.delivery.buttons import parse_number
from reminderbot.delivery.outbox import enqueue, later_copy
from reminderbot.runtime import Runtime
from reminderbot.services import calcium_results, checkins
from reminderbot.services.calcium_results import ask_calcium
from reminderbot.services.guard import refuse
from reminderbot.services.replies import Reply
from reminderbot.store.models import OutboxDelivery, Person
from reminderbot.store.people import add_audit

log = logging.getLogger(__name__)


async def owned_delivery(session: AsyncSession, person: Person, key: str) -> OutboxDelivery | None:
    """The scheduled message a button belongs to, only if it was sent to this person."""
    row = await session.scalar(select(OutboxDelivery).where(OutboxDelivery.unique_key == key))
    if row is None or row.recipient_id != person.id:
        return None
    return row


def _is_score(value: str) -> bool:
    return parse_number(value, maximum=10) is not None


async def answer_button(
    rt: Runtime, session: AsyncSession, person: Person, data: callbacks.ButtonData, now: datetime
) -> list[Reply] | None:
    """Handle a tap on a scheduled message; None when it is not this person's to press."""
    if data.action == callbacks.CHECKIN and outbox_keys.is_pain_prompt(data.key):
        # An on-demand prompt (/pain) names its patient; only that patient may answer it.
        if outbox_keys.pain_patient(data.key) != person.id:
            refuse(session, person.telegram_user_id, "button", now, action=data.action)
            return None
        if not _is_score(data.value):
            return None
        return await checkins.begin_from_prompt(
            rt,
            session,
            person,
            prompt_key=data.key,
            source="on_demand",
            prompted_at=now,
            score=int(data.value),
            now=now,
        )
    if data.action == calcium_results.CALCIUM_UNIT:
        # The unit question follows a typed result, not a scheduled message; its key names
        # the patient, so only that patient may answer it.
        return await calcium_results.answer_unit(rt, session, person, data, now)
    row = await owned_delivery(session, person, data.key)
    if row is None:
        refuse(session, person.telegram_user_id, "button", now, action=data.action)
        return None
    locale = person.language
    if data.action == callbacks.CHECKIN and _is_score(data.value):
        return await checkins.begin_from_prompt(
            rt,
            session,
            person,
            prompt_key=data.key,
            source=row.kind,
            prompted_at=row.sent_at or row.not_before or now,
            score=int(data.value),
            now=now,
        )
    if data.action == callbacks.SNOOZE_HOUR:
        await _repeat_later(session, person, row, now + timedelta(hours=1), now)
        return [Reply(rt.text(locale, "delivery.snooze.hour_done"))]
    if data.action == callbacks.CALCIUM_TOMORROW:
        await _repeat_later(session, person, row, _same_time_tomorrow(person, row, now), now)
        return [Reply(rt.text(locale, "delivery.snooze.day_done"))]
    if data.action == callbacks.CALCIUM_DONE:
        add_audit(
            session,
            at=now,
            action="calcium:test_done",
            actor_telegram_id=person.telegram_user_id,
            subject_person_id=person.id,
        )
        return [Reply(rt.text(locale, "delivery.calcium.done"))]
    if data.action == callbacks.CALCIUM_LOG:
        return ask_calcium(rt, person)
    return None


def _same_time_tomorrow(person: Person, row: OutboxDelivery, now: datetime) -> datetime:
    zone = ZoneInfo(person.timezone)
    wall = row.not_before.astimezone(zone).time().replace(tzinfo=None)
    return resolve_local(now.astimezone(zone).date() + timedelta(days=1), wall, zone)


async def _repeat_later(
    session: AsyncSession, person: Person, row: OutboxDelivery, at: datetime, now: datetime
) -> None:
    # The copy keeps the original buttons, so an answer still counts for the original prompt;
    # the key makes a double tap on the same snooze button queue it only once.
    key = outbox_keys.snoozed(row.unique_key, at)
    copy = later_copy(row, chat_id=person.chat_id, recipient_id=person.id, unique_key=key, at=at)
    await enqueue(session, [copy], now)
