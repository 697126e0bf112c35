"""Periodic checks beside the tick: unacknowledged emergencies, silence, weekly summaries."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, selectinload

from reminderbot.delivery import outbox_keys
from reminderbot.delivery.kinds import PROMPT_KINDS, MessageKind
from reminderbot.delivery.outbox import about_patient, enqueue, text_message
from reminderbot.runtime import Runtime
from reminderbot.services import alerts
from reminderbot.services.checkin_records import by_prompt
from reminderbot.store.audience import caregivers, coordinators
from reminderbot.store.models import (
    Alert,
    CaregiverLink,
    CheckIn,
    DeliveryState,
    OutboxDelivery,
    PatientProfile,
    PatientStatus,
    Person,
)

log = logging.getLogger(__name__)

# Prompts older than this are not looked at again: their silence has been dealt with.
LOOKBACK = timedelta(days=2)


@dataclass
class WatchReport:
    """What one pass queued."""

    alert_repeats: int = 0
    nudges: int = 0
    silence_notices: int = 0
    weekly_summaries: int = 0


async def watch(rt: Runtime, now: datetime) -> WatchReport:
    """Repeat unacknowledged emergencies, nudge silent patients, tell the team about silence."""
    report = WatchReport()
    rules = rt.escalation
    async with rt.sessions.begin() as session:
        report.alert_repeats = await alerts.repeat_unacknowledged(
            session, rt, now, timedelta(minutes=rules.alert_repeat_minutes)
        )
        report.nudges = await _nudge(session, rt, now)
        report.silence_notices = await _silence(session, rt, now)
        report.weekly_summaries = await _weekly(session, rt, now)
    if report.alert_repeats or report.nudges or report.silence_notices:
        log.info(
            "watch repeats=%d nudges=%d silence=%d",
            report.alert_repeats,
            report.nudges,
            report.silence_notices,
        )
    return report


async def _unanswered_prompts(
    session: AsyncSession, now: datetime, older_than: timedelta
) -> list[OutboxDelivery]:
    stmt = (
        select(OutboxDelivery)
        .join(PatientProfile, PatientProfile.person_id == OutboxDelivery.recipient_id)
        .where(
            OutboxDelivery.kind.in_(PROMPT_KINDS),
            OutboxDelivery.state == DeliveryState.SENT,
            OutboxDelivery.sent_at <= now - older_than,
            OutboxDelivery.sent_at >= now - older_than - LOOKBACK,
            PatientProfile.status == PatientStatus.ACTIVE,
        )
    )
    rows = list((await session.scalars(stmt)).all())
    # A snoozed copy repeats a prompt: its silence is the prompt's, counted once.
    firsts = [r for r in rows if not outbox_keys.is_snoozed(r.unique_key)]
    return [r for r in firsts if await by_prompt(session, r.unique_key) is None]


async def _nudge(session: AsyncSession, rt: Runtime, now: datetime) -> int:
    """One gentle nudge per unanswered check-in, nudge_after_hours after it was sent."""
    hours = rt.escalation.nudge_after_hours
    prompts = await _unanswered_prompts(session, now, timedelta(hours=hours))
    messages = []
    for prompt in prompts:
        person = await session.get(Person, prompt.recipient_id)
        if person is None:
            continue
        messages.append(
            text_message(
                chat_id=person.chat_id,
                recipient_id=person.id,
                kind=MessageKind.REMINDER,
                unique_key=outbox_keys.nudge(prompt.unique_key),
                text=rt.renderer.text(person.language, "alert.silence.nudge"),
                now=now,
            )
        )
    await enqueue(session, messages, now)
    return len(messages)


async def _silence(session: AsyncSession, rt: Runtime, now: datetime) -> int:
    """After K unanswered check-ins in a row, tell caregivers and coordinators once."""
    rules = rt.escalation
    k = rules.missed_in_a_row
    overdue = timedelta(hours=rules.nudge_after_hours)
    candidates = await session.scalars(
        select(OutboxDelivery.recipient_id)
        .distinct()
        .where(
            OutboxDelivery.kind.in_(PROMPT_KINDS),
            OutboxDelivery.state.in_([DeliveryState.SENT, DeliveryState.MISSED]),
            OutboxDelivery.not_before <= now - overdue,
            OutboxDelivery.not_before >= now - overdue - LOOKBACK,
        )
    )
    messages = []
    for patient_id in candidates.all():
        recent = list(
            (
                await session.scalars(
                    select(OutboxDelivery)
                    .where(
                        OutboxDelivery.recipient_id == patient_id,
                        OutboxDelivery.kind.in_(PROMPT_KINDS),
                        OutboxDelivery.state.in_([DeliveryState.SENT, DeliveryState.MISSED]),
                        OutboxDelivery.not_before <= now - overdue,
                    )
                    .order_by(OutboxDelivery.not_before.desc())
                    .limit(k)
                )
            ).all()
        )
        if len(recent) < k:
            continue
        if any([await by_prompt(session, r.unique_key) for r in recent]):
            continue
        patient = await session.get(Person, patient_id, options=[selectinload(Person.patient)])
        if patient is None or patient.patient is None:
            continue
        if patient.patient.status != PatientStatus.ACTIVE:
            continue
        team = [
            *await coordinators(session, rt.settings.coordinator_ids),
            *await caregivers(session, patient.id),
        ]
        for member in team:
            messages.append(
                about_patient(
                    patient.id,
                    chat_id=member.chat_id,
                    recipient_id=member.person_id,
                    # One notice per run of silence: keyed by its newest unanswered prompt.
                    unique_key=outbox_keys.silence(recent[0].unique_key, member.chat_id),
                    text=rt.renderer.text(
                        member.language,
                        "alert.silence.notice",
                        patient_name=patient.display_name or "—",
                        patient_id=patient.id,
                        count=k,
                    ),
                    now=now,
                )
            )
    await enqueue(session, messages, now)
    return len(messages)


# Weekly summaries go out on Monday mornings, caregiver's local time.
WEEKLY_WEEKDAY = 0
WEEKLY_HOUR = 9


async def _weekly(session: AsyncSession, rt: Runtime, now: datetime) -> int:
    """A Monday-morning summary of the last 7 days to each caregiver who opted in."""
    caregiver = aliased(Person)
    rows = (
        await session.execute(
            select(CaregiverLink, caregiver)
            .join(caregiver, caregiver.id == CaregiverLink.caregiver_id)
            .where(CaregiverLink.revoked_at.is_(None), CaregiverLink.receives_weekly.is_(True))
        )
    ).all()
    messages = []
    since = now - timedelta(days=7)
    for link, member in rows:
        local = now.astimezone(ZoneInfo(member.timezone))
        if local.weekday() != WEEKLY_WEEKDAY or local.hour < WEEKLY_HOUR:
            continue
        year, week, _ = local.isocalendar()
        patient = await session.get(Person, link.patient_id)
        if patient is None:
            continue
        scores = sorted(
            score
            for score in (
                await session.scalars(
                    select(CheckIn.score).where(
                        CheckIn.patient_id == patient.id,
                        CheckIn.score.is_not(None),
                        CheckIn.answered_at >= since,
                    )
                )
            ).all()
            if score is not None
        )
        alert_count = await session.scalar(
            select(func.count())
            .select_from(Alert)
            .where(Alert.patient_id == patient.id, Alert.created_at >= since)
        )
        text = rt.renderer.text(
            member.language,
            "alert.weekly.summary" if scores else "alert.weekly.none",
            patient_name=patient.display_name or "—",
            patient_id=patient.id,
            count=len(scores),
            median=f"{median(scores):g}" if scores else "—",
            highest=max(scores) if scores else "—",
            alerts=alert_count or 0,
        )
        messages.append(
            about_patient(
                link.patient_id,
                chat_id=member.chat_id,
                recipient_id=member.id,
                kind=MessageKind.SUMMARY,
                unique_key=outbox_keys.weekly(link.id, year, week),
                text=text,
                now=now,
            )
        )
    await enqueue(session, messages, now)
    return len(messages)
