"""Alerts: raising one (check-in or calcium), telling the right people, repeating, acknowledging."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.delivery import buttons, callbacks, outbox_keys
from reminderbot.delivery.kinds import MessageKind
from reminderbot.delivery.outbox import Message, about_patient, enqueue
from reminderbot.runtime import Runtime
from reminderbot.services import guard
from reminderbot.services.alert_texts import AlertCause, CalciumCause, PainCause
from reminderbot.services.replies import Asker, Reply, keyboard
from reminderbot.store.audience import Recipient, caregivers, coordinators
from reminderbot.store.models import Alert, AlertState, OutboxDelivery, Person
from reminderbot.store.people import add_audit

log = logging.getLogger(__name__)

__all__ = [
    "ACK",
    "RESOLVE",
    "AlertCause",
    "CalciumCause",
    "PainCause",
    "acknowledge",
    "acknowledge_tap",
    "audience",
    "raise_alert",
    "repeat_unacknowledged",
    "trend_scores",
]

ACK = buttons.ACKNOWLEDGE
# The coordinators' "Resolve" action; the acknowledgement reply offers it.
RESOLVE = buttons.RESOLVE


async def audience(
    session: AsyncSession, rt: Runtime, patient_id: int, tier: int
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
        await coordinators(session, rt.settings.coordinator_ids),
        await caregivers(session, patient_id),
    )


def _alert_message(
    alert: Alert,
    recipient: Recipient,
    text: str,
    buttons: list[list[list[str]]],
    round_: int,
    now: datetime,
) -> Message:
    """One copy of an alert; round 0 is the first sending, later rounds are repeats."""
    return about_patient(
        alert.patient_id,
        chat_id=recipient.chat_id,
        recipient_id=recipient.person_id,
        kind=MessageKind.ALERT,
        unique_key=outbox_keys.alert(alert.id, recipient.chat_id, round_),
        text=text,
        now=now,
        buttons=buttons,
        alert_id=alert.id,
    )


async def raise_alert(
    session: AsyncSession, rt: Runtime, *, patient: Person, cause: AlertCause, now: datetime
) -> Alert:
    """Record the alert and queue it to its audience in the caller's transaction.

    Each recipient reads it in their language; coordinators' copies carry Acknowledge.
    """
    alert = Alert(
        patient_id=patient.id,
        checkin_id=cause.checkin_id,
        tier=cause.tier,
        reasons=cause.reasons,
        state=AlertState.OPEN,
        created_at=now,
    )
    session.add(alert)
    await session.flush()
    r = rt.renderer
    staff, family = await audience(session, rt, alert.patient_id, alert.tier)
    messages = []
    for recipient, is_staff in [(x, True) for x in staff] + [(x, False) for x in family]:
        locale = recipient.language
        ack = [r.text(locale, "alert.acknowledge_button"), callbacks.build(ACK, str(alert.id))]
        text = cause.render(r, locale, patient)
        buttons = [[ack]] if is_staff else []
        messages.append(_alert_message(alert, recipient, text, buttons, 0, now))
    await enqueue(session, messages, now)
    log.info(
        "alert raised alert=%d person=%d tier=%d recipients=%d",
        alert.id,
        alert.patient_id,
        alert.tier,
        len(messages),
    )
    return alert


async def repeat_unacknowledged(
    session: AsyncSession, rt: Runtime, now: datetime, every: timedelta
) -> int:
    """Re-send open emergency (T3) alerts to coordinators every `every` until acknowledged."""
    stmt = select(Alert).where(Alert.state == AlertState.OPEN, Alert.tier >= 3)
    open_alerts = list((await session.scalars(stmt)).all())
    if not open_alerts:
        return 0
    staff = await coordinators(session, rt.settings.coordinator_ids)
    messages = []
    for alert in open_alerts:
        rounds = int((now - alert.created_at) / every)
        if rounds < 1:
            continue
        # Repeat exactly what each coordinator was sent first, with how long it has waited.
        first_keys = {outbox_keys.alert(alert.id, x.chat_id, 0): x for x in staff}
        originals = await session.scalars(
            select(OutboxDelivery).where(OutboxDelivery.unique_key.in_(list(first_keys)))
        )
        for original in originals.all():
            recipient = first_keys[original.unique_key]
            prefix = rt.renderer.text(
                recipient.language,
                "alert.repeat_prefix",
                minutes=int((now - alert.created_at).total_seconds() // 60),
            )
            text = prefix + original.payload["text"]
            buttons = original.payload.get("buttons") or []
            messages.append(_alert_message(alert, recipient, text, buttons, rounds, now))
    await enqueue(session, messages, now)
    return len(messages)


async def acknowledge(
    session: AsyncSession,
    rt: Runtime,
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
    staff = await coordinators(session, rt.settings.coordinator_ids)
    family = await caregivers(session, patient.id)
    at = now.astimezone(zone).strftime("%H:%M")
    messages = [
        about_patient(
            patient.id,
            chat_id=x.chat_id,
            recipient_id=x.person_id,
            unique_key=outbox_keys.acknowledged(alert.id, x.chat_id),
            text=rt.renderer.text(
                x.language,
                "alert.acknowledged",
                patient_name=patient.display_name or "—",
                patient_id=patient.id,
                by=by_name,
                at=at,
            ),
            now=now,
        )
        for x in [*staff, *family]
        if x.chat_id != by_telegram_id
    ]
    await enqueue(session, messages, now)
    return alert, True


async def acknowledge_tap(
    rt: Runtime,
    session: AsyncSession,
    asker: Asker,
    person: Person | None,
    alert_key: str,
    now: datetime,
) -> list[Reply]:
    """A coordinator's "Acknowledge": only coordinators may; the others are told."""
    locale = rt.locale_for(asker.language_code, person)
    alert_id = buttons.parse_id(alert_key)
    if alert_id is None or not await guard.has_right(
        rt, session, asker.telegram_id, person, buttons.BY_CODE[ACK].right
    ):
        guard.refuse(session, asker.telegram_id, "acknowledge", now, alert=alert_id)
        return [Reply(rt.text(locale, "alert.not_allowed"))]
    zone = ZoneInfo(person.timezone if person else rt.settings.default_timezone)
    alert, newly = await acknowledge(
        session,
        rt,
        alert_id=alert_id,
        by=person,
        by_telegram_id=asker.telegram_id,
        by_name=(person.display_name if person else None) or asker.first_name,
        now=now,
        zone=zone,
    )
    if alert is None:
        return []
    patient = await session.get(Person, alert.patient_id)
    assert patient is not None
    if newly:
        log.info("alert acknowledged alert=%d by=%d", alert.id, asker.telegram_id)
        resolve = (
            rt.text(locale, "coordinator.alerts.resolve_button"),
            callbacks.build(RESOLVE, str(alert.id)),
        )
        return [
            Reply(
                rt.text(
                    locale,
                    "alert.acknowledged_you",
                    patient_name=patient.display_name or "—",
                    patient_id=patient.id,
                ),
                keyboard([resolve]),
            )
        ]
    by = await session.get(Person, alert.acknowledged_by_id) if alert.acknowledged_by_id else None
    at = alert.acknowledged_at.astimezone(zone).strftime("%H:%M") if alert.acknowledged_at else "—"
    return [
        Reply(
            rt.text(
                locale,
                "alert.already_acknowledged",
                by=(by.display_name if by else None) or "—",
                at=at,
            )
        )
    ]


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
    rt: Runtime,
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
        r for r in await coordinators(session, rt.settings.coordinator_ids)
        if r.chat_id != by.chat_id
    ]
    await enqueue(
        session,
        [
            about_patient(
                alert.patient_id,
                chat_id=r.chat_id,
                recipient_id=r.person_id,
                unique_key=outbox_keys.resolved(alert.id, r.chat_id),
                text=rt.renderer.text(
                    r.language,
                    "coordinator.alerts.resolved_notice",
                    alert_id=alert.id,
                    patient_name=(patient.display_name if patient else None) or "—",
                    by=by.display_name or "—",
                ),
                now=now,
            )
            for r in others
        ],
        now,
    )
    log.info("alert resolved alert=%d by=%d", alert.id, by.telegram_user_id)
    return Resolution(alert, patient)
