"""Alerts: raising one (check-in or calcium), telling the right people, repeating, acknowledging."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.escalation import Assessment
from reminderbot.content.renderer import Renderer
from reminderbot.delivery import callbacks
from reminderbot.delivery.outbox import Message, about_patient, enqueue
from reminderbot.runtime import Runtime
from reminderbot.services.replies import Asker, Reply, keyboard
from reminderbot.store.audience import Recipient, caregivers, coordinators, is_coordinator
from reminderbot.store.models import Alert, AlertState, CheckIn, OutboxDelivery, Person
from reminderbot.store.people import add_audit

log = logging.getLogger(__name__)

ACK = "ack"
# The coordinators' "Resolve" action; the acknowledgement reply offers it.
RESOLVE = "alr"


def _flag_name(r: Renderer, locale: str, flag: str) -> str:
    key = f"alert.flag.{flag}"
    return r.text(locale, key) if r.has(key) else flag


def _reason_name(r: Renderer, locale: str, reason: str) -> str:
    code = reason.split(":", 1)[0]
    return r.text(locale, f"alert.reason.{code}")


def _told(r: Renderer, locale: str, told_keys: Sequence[str]) -> str:
    # The first paragraph of the first advice is what the patient acts on; the rest is detail.
    if not told_keys:
        return r.text(locale, "alert.none")
    return r.text(locale, told_keys[0]).split("\n\n", 1)[0]


@dataclass(frozen=True)
class PainCause:
    """A check-in that needs the team: its assessment, recent trend and what was advised."""

    checkin: CheckIn
    assessment: Assessment
    trend: Sequence[int]
    told_keys: Sequence[str]
    caregiver_name: str | None = None

    @property
    def tier(self) -> int:
        """The assessment's tier."""
        return self.assessment.tier

    @property
    def reasons(self) -> list[str]:
        """Why the check-in alerts, as stored on the alert."""
        return list(self.assessment.reasons)

    @property
    def checkin_id(self) -> int | None:
        """The check-in the alert belongs to."""
        return self.checkin.id

    def render(self, r: Renderer, locale: str, patient: Person) -> str:
        """The alert text in one recipient's language."""
        return render_alert(
            r,
            locale,
            patient=patient,
            checkin=self.checkin,
            assessment=self.assessment,
            trend=self.trend,
            told_keys=self.told_keys,
            caregiver_name=self.caregiver_name,
        )


@dataclass(frozen=True)
class CalciumCause:
    """An abnormal blood calcium result: its band, the reading as typed and in mmol/L."""

    tier: int
    band: str
    reading: str
    mmol: str
    advice_key: str

    @property
    def reasons(self) -> list[str]:
        """Why the result alerts, as stored on the alert."""
        return [f"calcium:{self.band}"]

    @property
    def checkin_id(self) -> int | None:
        """A calcium result belongs to no check-in."""
        return None

    def render(self, r: Renderer, locale: str, patient: Person) -> str:
        """The alert text in one recipient's language."""
        return r.text(
            locale,
            "alert.calcium_message",
            urgency=r.text(locale, f"alert.urgency.t{self.tier}"),
            patient_name=patient.display_name or "—",
            patient_id=patient.id,
            reading=self.reading,
            mmol=self.mmol,
            told=_told(r, locale, [self.advice_key]),
        )


AlertCause = PainCause | CalciumCause


def render_alert(
    r: Renderer,
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
    flags = [x.split(":", 1)[1] for x in assessment.reasons if x.startswith("red_flag:")]
    none = r.text(locale, "alert.none")
    separator = r.text(locale, "common.list_separator")
    reasons = [x for x in assessment.reasons if not x.startswith("red_flag:")]
    usual = f"{assessment.usual:g}" if assessment.usual is not None else "—"
    return r.text(
        locale,
        "alert.message",
        urgency=r.text(locale, f"alert.urgency.t{assessment.tier}"),
        patient_name=patient.display_name or "—",
        patient_id=patient.id,
        proxy=(
            r.text(locale, "alert.proxy", caregiver_name=caregiver_name) if caregiver_name else ""
        ),
        score=checkin.score,
        usual=usual,
        trend=" → ".join(str(s) for s in trend) or r.text(locale, "alert.no_history"),
        flags=separator.join(_flag_name(r, locale, f) for f in flags) or none,
        reasons=separator.join(_reason_name(r, locale, x) for x in reasons) or none,
        told=_told(r, locale, told_keys),
        note=r.text(locale, "alert.note", note=checkin.note) if checkin.note else "",
    )


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
        kind="alert",
        unique_key=f"alert:{alert.id}:{recipient.chat_id}:{round_}",
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
        first_keys = {f"alert:{alert.id}:{x.chat_id}:0": x for x in staff}
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
            unique_key=f"ack:{alert.id}:{x.chat_id}",
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
    if not alert_key.isdigit() or not await is_coordinator(
        session, asker.telegram_id, rt.settings.coordinator_ids
    ):
        add_audit(
            session,
            at=now,
            action="refused:acknowledge",
            actor_telegram_id=asker.telegram_id,
            details={"alert": alert_key},
        )
        return [Reply(rt.text(locale, "alert.not_allowed"))]
    zone = ZoneInfo(person.timezone if person else rt.settings.default_timezone)
    alert, newly = await acknowledge(
        session,
        rt,
        alert_id=int(alert_key),
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
