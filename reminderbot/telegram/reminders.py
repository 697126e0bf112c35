"""Answers to scheduled messages: check-in scores, snoozes, calcium test buttons and results."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.calcium import CalciumParseError, assess_calcium, parse_calcium
from reminderbot.care.recurrence import resolve_local
from reminderbot.delivery import callbacks
from reminderbot.delivery.outbox import Message, enqueue
from reminderbot.runtime import Runtime
from reminderbot.services import alerts, checkins
from reminderbot.store.models import CalciumResult, OutboxDelivery, Person
from reminderbot.store.people import add_audit
from reminderbot.telegram import checkin_flow
from reminderbot.telegram.replies import Reply

log = logging.getLogger(__name__)

AWAIT_CALCIUM = "calcium_value"
PAIN_KEY_PREFIX = "pain:"


async def owned_delivery(session: AsyncSession, person: Person, key: str) -> OutboxDelivery | None:
    """The scheduled message a button belongs to, only if it was sent to this person."""
    row = await session.scalar(select(OutboxDelivery).where(OutboxDelivery.unique_key == key))
    if row is None or row.recipient_id != person.id:
        return None
    return row


async def answer_button(
    rt: Runtime, session: AsyncSession, person: Person, data: callbacks.ButtonData, now: datetime
) -> list[Reply] | None:
    """Handle a tap on a scheduled message; None when it is not this person's to press."""
    if data.action == callbacks.CHECKIN and data.key.startswith(PAIN_KEY_PREFIX):
        # An on-demand prompt (/pain) names its patient; only that patient may answer it.
        if data.key.split(":")[1] != str(person.id) or not _is_score(data.value):
            return None
        return await _begin_checkin(
            rt, session, person, data.key, "on_demand", None, int(data.value), now
        )
    row = await owned_delivery(session, person, data.key)
    if row is None:
        add_audit(
            session,
            at=now,
            action="refused:button",
            actor_telegram_id=person.telegram_user_id,
            details={"action": data.action},
        )
        return None
    locale = person.language
    if data.action == callbacks.CHECKIN and _is_score(data.value):
        prompted = row.sent_at or row.not_before
        return await _begin_checkin(
            rt, session, person, data.key, row.kind, prompted, int(data.value), now
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
        person.awaiting = AWAIT_CALCIUM
        return [Reply(rt.text(locale, "delivery.calcium.ask_value"))]
    return None


def _is_score(value: str) -> bool:
    return value.isdigit() and int(value) <= 10


async def _begin_checkin(
    rt: Runtime,
    session: AsyncSession,
    person: Person,
    key: str,
    source: str,
    prompted_at: datetime | None,
    score: int,
    now: datetime,
) -> list[Reply]:
    # A late tap on an old prompt still counts, once; a double tap finds the check-in made.
    if await checkins.by_prompt(session, key) is not None:
        return [Reply(rt.text(person.language, "delivery.checkin.already"))]
    return await checkin_flow.begin(
        rt,
        session,
        person,
        prompt_key=key,
        source=source,
        prompted_at=prompted_at or now,
        score=score,
        now=now,
    )


def _same_time_tomorrow(person: Person, row: OutboxDelivery, now: datetime) -> datetime:
    zone = ZoneInfo(person.timezone)
    wall = row.not_before.astimezone(zone).time().replace(tzinfo=None)
    return resolve_local(now.astimezone(zone).date() + timedelta(days=1), wall, zone)


async def _repeat_later(
    session: AsyncSession, person: Person, row: OutboxDelivery, at: datetime, now: datetime
) -> None:
    # The copy keeps the original buttons, so an answer still counts for the original prompt;
    # the key makes a double tap on the same snooze button queue it only once.
    base = row.unique_key.split("~", 1)[0]
    await enqueue(
        session,
        [
            Message(
                chat_id=person.chat_id,
                recipient_id=person.id,
                kind=row.kind,
                unique_key=f"{base}~{int(at.timestamp()) // 60}",
                payload=row.payload,
                not_before=at,
                schedule_id=row.schedule_id,
            )
        ],
        now,
    )


def ask_calcium(rt: Runtime, person: Person) -> list[Reply]:
    """Ask for a calcium result (after /calcium or the reminder's button)."""
    person.awaiting = AWAIT_CALCIUM
    return [Reply(rt.text(person.language, "delivery.calcium.ask_value"))]


async def typed_calcium(
    rt: Runtime, session: AsyncSession, person: Person, typed: str, now: datetime
) -> list[Reply]:
    """Read a calcium result, store it, and explain it; an abnormal one raises an alert."""
    locale = person.language
    try:
        reading = parse_calcium(typed)
    except CalciumParseError as exc:
        return [Reply(rt.text(locale, f"calcium.parse.{exc.code}"))]
    assessment = assess_calcium(reading, rt.calcium_ranges)
    person.awaiting = None
    zone = ZoneInfo(person.timezone)
    session.add(
        CalciumResult(
            patient_id=person.id,
            measured_on=now.astimezone(zone).date(),
            value=reading.value,
            unit=reading.unit,
            albumin=reading.albumin,
            albumin_unit=reading.albumin_unit,
            corrected_mmol_l=reading.corrected_mmol_l,
            created_at=now,
        )
    )
    shown = reading.corrected_mmol_l if reading.corrected_mmol_l is not None else reading.mmol_l
    if assessment.abnormal:
        await alerts.raise_calcium_alert(
            session,
            rt.alert_context,
            patient=person,
            tier=assessment.tier,
            band=assessment.band,
            reading=f"{reading.value:g} {reading.unit}",
            mmol=f"{shown:.2f}",
            advice_key=assessment.advice_key,
            now=now,
        )
    summary = rt.text(
        locale,
        "calcium.recorded",
        value=f"{reading.value:g}",
        unit=reading.unit,
        mmol=f"{shown:.2f}",
    )
    return [Reply(summary), Reply(rt.text(locale, assessment.advice_key))]
