"""Alerts: raising one from a check-in, telling the right people, repeating, acknowledging."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.escalation import Assessment
from reminderbot.content import Catalog
from reminderbot.delivery import callbacks
from reminderbot.delivery.outbox import Message, about_patient, enqueue
from reminderbot.store.audience import Recipient, caregivers, coordinators
from reminderbot.store.models import Alert, AlertState, CheckIn, OutboxDelivery, Person
from reminderbot.store.people import add_audit

log = logging.getLogger(__name__)

ACK = "ack"


@dataclass(frozen=True)
class AlertContext:
    """What every alert text needs besides the check-in itself."""

    catalog: Catalog
    common: dict[str, Any]
    coordinator_ids: Sequence[int]


def _text(ctx: AlertContext, locale: str, key: str, **values: Any) -> str:
    return ctx.catalog.text(locale, key, **{**ctx.common, **values})


def _flag_name(ctx: AlertContext, locale: str, flag: str) -> str:
    key = f"alert.flag.{flag}"
    return _text(ctx, locale, key) if key in ctx.catalog.keys else flag


def _reason_name(ctx: AlertContext, locale: str, reason: str) -> str:
    code = reason.split(":", 1)[0]
    return _text(ctx, locale, f"alert.reason.{code}")


def _told(ctx: AlertContext, locale: str, told_keys: Sequence[str]) -> str:
    # The first paragraph of the first advice is what the patient acts on; the rest is detail.
    if not told_keys:
        return _text(ctx, locale, "alert.none")
    return _text(ctx, locale, told_keys[0]).split("\n\n", 1)[0]


def render_alert(
    ctx: AlertContext,
    locale: str,
    *,
    patient: Person,
    checkin: CheckIn,
    assessment: Assessment,
    trend: Sequence[int],
    told_keys: Sequence[str],
    caregiver_name: str | None,
) -> str:
    """The alert text in one recipient's language: who, score and trend, flags, what was told."""
    flags = [r.split(":", 1)[1] for r in assessment.reasons if r.startswith("red_flag:")]
    none = _text(ctx, locale, "alert.none")
    separator = _text(ctx, locale, "common.list_separator")
    reasons = [r for r in assessment.reasons if not r.startswith("red_flag:")]
    usual = f"{assessment.usual:g}" if assessment.usual is not None else "—"
    return _text(
        ctx,
        locale,
        "alert.message",
        urgency=_text(ctx, locale, f"alert.urgency.t{assessment.tier}"),
        patient_name=patient.display_name or "—",
        patient_id=patient.id,
        proxy=(
            _text(ctx, locale, "alert.proxy", caregiver_name=caregiver_name)
            if caregiver_name
            else ""
        ),
        score=checkin.score,
        usual=usual,
        trend=" → ".join(str(s) for s in trend) or _text(ctx, locale, "alert.no_history"),
        flags=separator.join(_flag_name(ctx, locale, f) for f in flags) or none,
        reasons=separator.join(_reason_name(ctx, locale, r) for r in reasons) or none,
        told=_told(ctx, locale, told_keys),
        note=_text(ctx, locale, "alert.note", note=checkin.note) if checkin.note else "",
    )


async def audience(
    session: AsyncSession, ctx: AlertContext, patient_id: int, tier: int
) -> tuple[list[Recipient], list[Recipient]]:
    """(coordinators to notify, caregivers to notify) for a tier.

    T1 goes to the coordinators' work list only (no message) and to caregivers who chose to
    receive more than alerts; T2 and T3 go to every coordinator and every caregiver at once.
    """
    if tier <= 0:
        return [], []
    if tier == 1:
        return [], await caregivers(session, patient_id, copies_only=True)
    return (
        await coordinators(session, ctx.coordinator_ids),
        await caregivers(session, patient_id),
    )


async def _queue(
    session: AsyncSession,
    ctx: AlertContext,
    alert: Alert,
    render: Callable[[str], str],
    now: datetime,
) -> int:
    """Queue an alert to its audience, each in their language; coordinators get Acknowledge."""
    staff, family = await audience(session, ctx, alert.patient_id, alert.tier)
    messages = []
    for recipient, is_staff in [(r, True) for r in staff] + [(r, False) for r in family]:
        locale = recipient.language
        ack = [_text(ctx, locale, "alert.acknowledge_button"), callbacks.build(ACK, str(alert.id))]
        messages.append(
            Message(
                chat_id=recipient.chat_id,
                recipient_id=recipient.person_id,
                kind="alert",
                unique_key=f"alert:{alert.id}:{recipient.chat_id}:0",
                payload={
                    "text": render(locale),
                    "buttons": [[ack]] if is_staff else [],
                    "alert_id": alert.id,
                    "patient_id": alert.patient_id,
                },
                not_before=now,
            )
        )
    await enqueue(session, messages, now)
    log.info(
        "alert raised alert=%d person=%d tier=%d recipients=%d",
        alert.id,
        alert.patient_id,
        alert.tier,
        len(messages),
    )
    return len(messages)


async def raise_alert(
    session: AsyncSession,
    ctx: AlertContext,
    *,
    patient: Person,
    checkin: CheckIn,
    assessment: Assessment,
    trend: Sequence[int],
    told_keys: Sequence[str],
    caregiver_name: str | None,
    now: datetime,
) -> Alert:
    """Record the alert and queue its messages in the same transaction as the check-in."""
    alert = Alert(
        patient_id=patient.id,
        checkin_id=checkin.id,
        tier=assessment.tier,
        reasons=list(assessment.reasons),
        state=AlertState.OPEN,
        created_at=now,
    )
    session.add(alert)
    await session.flush()

    def render(locale: str) -> str:
        return render_alert(
            ctx,
            locale,
            patient=patient,
            checkin=checkin,
            assessment=assessment,
            trend=trend,
            told_keys=told_keys,
            caregiver_name=caregiver_name,
        )

    await _queue(session, ctx, alert, render, now)
    return alert


async def raise_calcium_alert(
    session: AsyncSession,
    ctx: AlertContext,
    *,
    patient: Person,
    tier: int,
    band: str,
    reading: str,
    mmol: str,
    advice_key: str,
    now: datetime,
) -> Alert:
    """Record an abnormal blood calcium result as an alert and queue it like a pain alert."""
    alert = Alert(
        patient_id=patient.id,
        tier=tier,
        reasons=[f"calcium:{band}"],
        state=AlertState.OPEN,
        created_at=now,
    )
    session.add(alert)
    await session.flush()

    def render(locale: str) -> str:
        return _text(
            ctx,
            locale,
            "alert.calcium_message",
            urgency=_text(ctx, locale, f"alert.urgency.t{tier}"),
            patient_name=patient.display_name or "—",
            patient_id=patient.id,
            reading=reading,
            mmol=mmol,
            told=_told(ctx, locale, [advice_key]),
        )

    await _queue(session, ctx, alert, render, now)
    return alert


async def repeat_unacknowledged(
    session: AsyncSession, ctx: AlertContext, now: datetime, every: timedelta
) -> int:
    """Re-send open emergency (T3) alerts to coordinators every `every` until acknowledged."""
    stmt = select(Alert).where(Alert.state == AlertState.OPEN, Alert.tier >= 3)
    alerts = list((await session.scalars(stmt)).all())
    if not alerts:
        return 0
    staff = await coordinators(session, ctx.coordinator_ids)
    messages = []
    for alert in alerts:
        rounds = int((now - alert.created_at) / every)
        if rounds < 1:
            continue
        # Repeat exactly what each coordinator was sent first, with how long it has waited.
        first_keys = {f"alert:{alert.id}:{r.chat_id}:0": r for r in staff}
        originals = await session.scalars(
            select(OutboxDelivery).where(OutboxDelivery.unique_key.in_(list(first_keys)))
        )
        for original in originals.all():
            recipient = first_keys[original.unique_key]
            prefix = _text(
                ctx,
                recipient.language,
                "alert.repeat_prefix",
                minutes=int((now - alert.created_at).total_seconds() // 60),
            )
            messages.append(
                Message(
                    chat_id=recipient.chat_id,
                    recipient_id=recipient.person_id,
                    kind="alert",
                    unique_key=f"alert:{alert.id}:{recipient.chat_id}:{rounds}",
                    payload={**original.payload, "text": prefix + original.payload["text"]},
                    not_before=now,
                )
            )
    await enqueue(session, messages, now)
    return len(messages)


async def acknowledge(
    session: AsyncSession,
    ctx: AlertContext,
    *,
    alert_id: int,
    by: Person | None,
    by_telegram_id: int,
    by_name: str,
    now: datetime,
    zone: ZoneInfo,
) -> tuple[Alert | None, bool]:
    """Acknowledge an open alert; returns (alert, newly acknowledged) and tells the others."""
    alert = await session.get(Alert, alert_id, with_for_update=True)
    if alert is None:
        return None, False
    if alert.state != AlertState.OPEN:
        return alert, False
    alert.state = AlertState.ACKNOWLEDGED
    alert.acknowledged_at = now
    alert.acknowledged_by_id = by.id if by is not None else None
    patient = await session.get(Person, alert.patient_id)
    assert patient is not None
    add_audit(
        session,
        at=now,
        action="alert:acknowledge",
        actor_telegram_id=by_telegram_id,
        subject_person_id=patient.id,
        details={"alert": alert.id},
    )
    staff = await coordinators(session, ctx.coordinator_ids)
    family = await caregivers(session, patient.id)
    at = now.astimezone(zone).strftime("%H:%M")
    messages = [
        about_patient(
            patient.id,
            chat_id=r.chat_id,
            recipient_id=r.person_id,
            unique_key=f"ack:{alert.id}:{r.chat_id}",
            text=_text(
                ctx,
                r.language,
                "alert.acknowledged",
                patient_name=patient.display_name or "—",
                patient_id=patient.id,
                by=by_name,
                at=at,
            ),
            now=now,
        )
        for r in [*staff, *family]
        if r.chat_id != by_telegram_id
    ]
    await enqueue(session, messages, now)
    return alert, True


def trend_scores(
    history: Iterable[tuple[datetime, int]], now: datetime, days: int = 7
) -> list[int]:
    """Scores of the last `days` days, oldest first, for the alert's trend line."""
    since = now - timedelta(days=days)
    return [score for at, score in sorted(history) if at >= since]


@dataclass(frozen=True)
class Resolution:
    """A resolved alert and its patient, for the resolver's confirmation."""

    alert: Alert
    patient: Person | None


async def resolve_alert(
    session: AsyncSession,
    ctx: AlertContext,
    *,
    alert_id: int,
    by: Person,
    note: str | None,
    now: datetime,
) -> Resolution | None:
    """Close an alert with an optional note and tell the other coordinators; None if closed."""
    alert = await session.get(Alert, alert_id, with_for_update=True)
    if alert is None or alert.state == AlertState.RESOLVED:
        return None
    if alert.state == AlertState.OPEN:
        # Resolving implies someone looked: the alert stops repeating as acknowledged would.
        alert.acknowledged_at = now
        alert.acknowledged_by_id = by.id
    alert.state = AlertState.RESOLVED
    alert.resolved_at = now
    alert.resolved_by_id = by.id
    alert.resolution_note = note
    add_audit(
        session,
        at=now,
        action="alert:resolve",
        actor_telegram_id=by.telegram_user_id,
        subject_person_id=alert.patient_id,
        details={"alert": alert.id, "with_note": note is not None},
    )
    patient = await session.get(Person, alert.patient_id)
    others = [
        r for r in await coordinators(session, ctx.coordinator_ids) if r.chat_id != by.chat_id
    ]
    await enqueue(
        session,
        [
            about_patient(
                alert.patient_id,
                chat_id=r.chat_id,
                recipient_id=r.person_id,
                unique_key=f"resolved:{alert.id}:{r.chat_id}",
                text=ctx.catalog.text(
                    r.language,
                    "coordinator.alerts.resolved_notice",
                    **{
                        **ctx.common,
                        "alert_id": alert.id,
                        "patient_name": (patient.display_name if patient else None) or "—",
                        "by": by.display_name or "—",
                    },
                ),
                now=now,
            )
            for r in others
        ],
        now,
    )
    log.info("alert resolved alert=%d by=%d", alert.id, by.telegram_user_id)
    return Resolution(alert, patient)
