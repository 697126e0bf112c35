"""Coordinators in chat: the alert work list, resolving with a note, broadcasts, asking now.

Every entry point checks the coordinator role afresh; a refusal is audited, and so is every
view of a patient's data.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import User

from reminderbot.content.describe import format_local_datetime
from reminderbot.delivery import callbacks, payloads
from reminderbot.delivery.outbox import Message, about_patient, enqueue
from reminderbot.runtime import Runtime
from reminderbot.services import alerts
from reminderbot.store.audience import coordinators, is_coordinator
from reminderbot.store.models import (
    Alert,
    AlertState,
    PatientProfile,
    PatientStatus,
    Person,
    Role,
)
from reminderbot.store.people import add_audit
from reminderbot.telegram.replies import Reply, keyboard

log = logging.getLogger(__name__)

RESOLVE = "alr"
RESOLVE_SKIP_NOTE = "aln"
MORE_ALERTS = "alm"
BROADCAST_TO = "bct"
BROADCAST_SEND = "bcs"
BROADCAST_CANCEL = "bcx"
ACTIONS = frozenset(
    {RESOLVE, RESOLVE_SKIP_NOTE, MORE_ALERTS, BROADCAST_TO, BROADCAST_SEND, BROADCAST_CANCEL}
)
AWAIT_NOTE = "note:"
AWAIT_BROADCAST = "broadcast:"
ALERTS_PER_PAGE = 5
EVERYONE = "*"
BROADCAST_MAX = 3500
# Drafts live in the bot's per-user memory: a broadcast is written and confirmed in one sitting
# with the process that handles updates; after a restart the coordinator simply starts again.
DRAFT = "broadcast_draft"


@dataclass(frozen=True)
class Coordinator:
    """The coordinator behind an update: their person row and language."""

    person: Person
    locale: str


async def authorize(
    rt: Runtime,
    session: AsyncSession,
    user: User,
    person: Person | None,
    chat_id: int,
    action: str,
    now: datetime,
) -> Coordinator | None:
    """The coordinator, or None (refusal audited) when the user is not one.

    A coordinator granted by configuration who never wrote before gets a person row now, so
    that acknowledgements, notes and the audit trail can name them.
    """
    if not await is_coordinator(session, user.id, rt.settings.coordinator_ids):
        add_audit(session, at=now, action=f"refused:{action}", actor_telegram_id=user.id)
        log.warning("refused coordinator action user=%d action=%s", user.id, action)
        return None
    if person is None:
        person = Person(
            telegram_user_id=user.id,
            chat_id=chat_id,
            display_name=(user.first_name or "")[:128] or None,
            language=rt.catalog.resolve_locale(user.language_code),
            timezone=rt.settings.default_timezone,
            role=Role.COORDINATOR,
            created_at=now,
            updated_at=now,
        )
        session.add(person)
        await session.flush()
    return Coordinator(person, person.language)


def not_allowed(rt: Runtime, user: User, person: Person | None) -> list[Reply]:
    """The kind refusal for someone who is not a coordinator."""
    locale = rt.locale_for(user.language_code, person)
    return [Reply(rt.text(locale, "coordinator.not_allowed"))]


def _name(person: Person | None) -> str:
    return (person.display_name if person else None) or "—"


# --- /alerts ------------------------------------------------------------------------------------


async def alert_list(
    rt: Runtime, session: AsyncSession, who: Coordinator, now: datetime, offset: int = 0
) -> list[Reply]:
    """Open and acknowledged alerts, oldest first, a page at a time, each with its buttons."""
    unresolved = Alert.state != AlertState.RESOLVED
    total = int(await session.scalar(select(func.count(Alert.id)).where(unresolved)) or 0)
    stmt = (
        select(Alert, Person)
        .join(Person, Person.id == Alert.patient_id)
        .where(unresolved)
        .order_by(Alert.created_at, Alert.id)
        .offset(offset)
        .limit(ALERTS_PER_PAGE)
    )
    rows = (await session.execute(stmt)).all()
    locale, zone = who.locale, ZoneInfo(who.person.timezone)
    add_audit(
        session,
        at=now,
        action="view:alerts",
        actor_telegram_id=who.person.telegram_user_id,
        details={"alerts": [alert.id for alert, _ in rows]},
    )
    if not rows:
        return [Reply(rt.text(locale, "coordinator.alerts.none"))]
    replies = [Reply(rt.text(locale, "coordinator.alerts.header", count=total))]
    for alert, patient in rows:
        replies.append(await _alert_card(rt, session, locale, zone, alert, patient))
    shown = offset + len(rows)
    if shown < total:
        replies.append(
            Reply(
                rt.text(locale, "coordinator.alerts.more", count=total - shown),
                keyboard(
                    [
                        (
                            rt.text(locale, "coordinator.alerts.more_button"),
                            callbacks.build(MORE_ALERTS, str(shown)),
                        )
                    ]
                ),
            )
        )
    return replies


async def _alert_card(
    rt: Runtime,
    session: AsyncSession,
    locale: str,
    zone: ZoneInfo,
    alert: Alert,
    patient: Person,
) -> Reply:
    reasons = rt.text(locale, "common.list_separator").join(
        rt.text(locale, f"alert.reason.{r.split(':', 1)[0]}")
        if f"alert.reason.{r.split(':', 1)[0]}" in rt.catalog.keys
        else r
        for r in alert.reasons
    )
    if alert.state == AlertState.ACKNOWLEDGED:
        by = (
            await session.get(Person, alert.acknowledged_by_id)
            if alert.acknowledged_by_id
            else None
        )
        at = alert.acknowledged_at or alert.created_at
        state = rt.text(
            locale,
            "coordinator.alerts.state_acknowledged",
            by=_name(by),
            at=format_local_datetime(rt.catalog, locale, at.astimezone(zone)),
        )
    else:
        state = rt.text(locale, "coordinator.alerts.state_open")
    text = rt.text(
        locale,
        "coordinator.alerts.card",
        urgency=rt.text(locale, f"alert.urgency.t{alert.tier}"),
        alert_id=alert.id,
        patient_name=_name(patient),
        patient_id=patient.id,
        raised=format_local_datetime(rt.catalog, locale, alert.created_at.astimezone(zone)),
        reasons=reasons or rt.text(locale, "alert.none"),
        state=state,
    )
    row = []
    if alert.state == AlertState.OPEN:
        row.append(
            (
                rt.text(locale, "alert.acknowledge_button"),
                callbacks.build(alerts.ACK, str(alert.id)),
            )
        )
    row.append(
        (
            rt.text(locale, "coordinator.alerts.resolve_button"),
            callbacks.build(RESOLVE, str(alert.id)),
        )
    )
    return Reply(text, keyboard(row))


async def _ask_note(rt: Runtime, session: AsyncSession, who: Coordinator, key: str) -> list[Reply]:
    alert = await session.get(Alert, int(key)) if key.isdigit() else None
    if alert is None or alert.state == AlertState.RESOLVED:
        return [Reply(rt.text(who.locale, "coordinator.alerts.already_resolved"))]
    patient = await session.get(Person, alert.patient_id)
    who.person.awaiting = f"{AWAIT_NOTE}{alert.id}"
    return [
        Reply(
            rt.text(
                who.locale,
                "coordinator.alerts.ask_note",
                alert_id=alert.id,
                patient_name=_name(patient),
            ),
            keyboard(
                [
                    (
                        rt.text(who.locale, "coordinator.alerts.no_note_button"),
                        callbacks.build(RESOLVE_SKIP_NOTE, str(alert.id)),
                    )
                ]
            ),
        )
    ]


async def resolve(
    rt: Runtime,
    session: AsyncSession,
    who: Coordinator,
    alert_id: int,
    note: str | None,
    now: datetime,
) -> list[Reply]:
    """Close an alert with an optional note; the other coordinators are told."""
    who.person.awaiting = None
    alert = await session.get(Alert, alert_id, with_for_update=True)
    if alert is None or alert.state == AlertState.RESOLVED:
        return [Reply(rt.text(who.locale, "coordinator.alerts.already_resolved"))]
    if alert.state == AlertState.OPEN:
        # Resolving implies someone looked: the alert stops repeating as acknowledged would.
        alert.acknowledged_at = now
        alert.acknowledged_by_id = who.person.id
    alert.state = AlertState.RESOLVED
    alert.resolved_at = now
    alert.resolved_by_id = who.person.id
    alert.resolution_note = note
    add_audit(
        session,
        at=now,
        action="alert:resolve",
        actor_telegram_id=who.person.telegram_user_id,
        subject_person_id=alert.patient_id,
        details={"alert": alert.id, "with_note": note is not None},
    )
    patient = await session.get(Person, alert.patient_id)
    others = [
        r
        for r in await coordinators(session, rt.settings.coordinator_ids)
        if r.chat_id != who.person.chat_id
    ]
    await enqueue(
        session,
        [
            about_patient(
                alert.patient_id,
                chat_id=r.chat_id,
                recipient_id=r.person_id,
                unique_key=f"resolved:{alert.id}:{r.chat_id}",
                text=rt.text(
                    r.language,
                    "coordinator.alerts.resolved_notice",
                    alert_id=alert.id,
                    patient_name=_name(patient),
                    by=_name(who.person),
                ),
                now=now,
            )
            for r in others
        ],
        now,
    )
    log.info("alert resolved alert=%d by=%d", alert.id, who.person.telegram_user_id)
    return [
        Reply(
            rt.text(
                who.locale,
                "coordinator.alerts.resolved",
                alert_id=alert.id,
                patient_name=_name(patient),
            )
        )
    ]


async def typed_note(
    rt: Runtime, session: AsyncSession, who: Coordinator, typed: str, now: datetime
) -> list[Reply]:
    """The resolution note a coordinator typed after tapping Resolve."""
    awaiting = who.person.awaiting or ""
    key = awaiting.removeprefix(AWAIT_NOTE)
    note = typed.strip()[:2000]
    if not key.isdigit() or not note:
        who.person.awaiting = None
        return [Reply(rt.text(who.locale, "coordinator.alerts.already_resolved"))]
    return await resolve(rt, session, who, int(key), note, now)


# --- /broadcast ---------------------------------------------------------------------------------


def broadcast_start(rt: Runtime, who: Coordinator) -> list[Reply]:
    """Ask whom the broadcast is for: everyone, or one program's patients."""
    rows = [
        [
            (
                rt.text(who.locale, "coordinator.broadcast.everyone"),
                callbacks.build(BROADCAST_TO, EVERYONE),
            )
        ]
    ]
    rows += [
        [
            (
                rt.text(who.locale, "coordinator.broadcast.program", program=name),
                callbacks.build(BROADCAST_TO, name),
            )
        ]
        for name in sorted(rt.programs)
    ]
    return [Reply(rt.text(who.locale, "coordinator.broadcast.ask_audience"), keyboard(*rows))]


async def _audience(session: AsyncSession, target: str) -> list[Person]:
    stmt = (
        select(Person)
        .join(PatientProfile, PatientProfile.person_id == Person.id)
        .where(PatientProfile.status == PatientStatus.ACTIVE)
        .order_by(Person.id)
    )
    if target != EVERYONE:
        stmt = stmt.where(PatientProfile.program == target)
    return list((await session.scalars(stmt)).all())


def broadcast_audience(rt: Runtime, who: Coordinator, target: str) -> list[Reply]:
    """Remember the audience and ask for the text."""
    if target != EVERYONE and target not in rt.programs:
        return []
    who.person.awaiting = f"{AWAIT_BROADCAST}{target}"[:32]
    return [Reply(rt.text(who.locale, "coordinator.broadcast.ask_text", limit=BROADCAST_MAX))]


async def broadcast_text(
    rt: Runtime,
    session: AsyncSession,
    who: Coordinator,
    typed: str,
    user_data: dict[str, Any],
) -> list[Reply]:
    """Show the draft and how many patients it would reach, with Send and Cancel."""
    target = (who.person.awaiting or "").removeprefix(AWAIT_BROADCAST)
    text = typed.strip()
    if len(text) > BROADCAST_MAX:
        return [
            Reply(
                rt.text(
                    who.locale,
                    "coordinator.broadcast.too_long",
                    limit=BROADCAST_MAX,
                    length=len(text),
                )
            )
        ]
    who.person.awaiting = None
    count = len(await _audience(session, target))
    user_data[DRAFT] = {"target": target, "text": text}
    audience = (
        rt.text(who.locale, "coordinator.broadcast.everyone")
        if target == EVERYONE
        else rt.text(who.locale, "coordinator.broadcast.program", program=target)
    )
    return [
        Reply(
            rt.text(
                who.locale,
                "coordinator.broadcast.confirm",
                count=count,
                audience=audience,
                text=text,
            ),
            keyboard(
                [
                    (
                        rt.text(who.locale, "coordinator.broadcast.send_button", count=count),
                        callbacks.build(BROADCAST_SEND, target),
                    )
                ],
                [
                    (
                        rt.text(who.locale, "coordinator.broadcast.cancel_button"),
                        callbacks.build(BROADCAST_CANCEL, "-"),
                    )
                ],
            ),
        )
    ]


async def broadcast_send(
    rt: Runtime,
    session: AsyncSession,
    who: Coordinator,
    target: str,
    user_data: dict[str, Any],
    now: datetime,
) -> list[Reply]:
    """Queue the confirmed draft at routine priority, one outbox row per patient."""
    draft = user_data.pop(DRAFT, None)
    if not draft or draft.get("target") != target:
        return [Reply(rt.text(who.locale, "coordinator.broadcast.expired"))]
    patients = await _audience(session, target)
    stamp = int(now.timestamp())
    messages = [
        Message(
            chat_id=p.chat_id,
            recipient_id=p.id,
            kind="broadcast",
            unique_key=f"broadcast:{who.person.id}:{stamp}:{p.id}",
            payload=payloads.payload(draft["text"]),
            not_before=now,
        )
        for p in patients
    ]
    await enqueue(session, messages, now)
    add_audit(
        session,
        at=now,
        action="broadcast:send",
        actor_telegram_id=who.person.telegram_user_id,
        details={"audience": target, "recipients": len(messages)},
    )
    log.info("broadcast queued by=%d recipients=%d", who.person.telegram_user_id, len(messages))
    return [Reply(rt.text(who.locale, "coordinator.broadcast.queued", count=len(messages)))]


# --- /checkin <patient> -------------------------------------------------------------------------


async def ask_now(
    rt: Runtime,
    session: AsyncSession,
    who: Coordinator,
    args: list[str],
    now: datetime,
) -> list[Reply]:
    """Send a patient a pain check-in now, at follow-up priority."""
    key = args[0].lstrip("#") if args else ""
    if not key.isdigit():
        return [Reply(rt.text(who.locale, "coordinator.checkin.usage"))]
    patient = await session.get(Person, int(key))
    profile = await session.get(PatientProfile, int(key)) if patient else None
    if patient is None or profile is None:
        return [Reply(rt.text(who.locale, "coordinator.unknown_patient", patient_id=key))]
    if profile.status != PatientStatus.ACTIVE:
        return [
            Reply(
                rt.text(
                    who.locale,
                    "coordinator.checkin.not_active",
                    patient_name=_name(patient),
                    status=rt.text(who.locale, f"coordinator.status.{profile.status.value}"),
                )
            )
        ]
    prompt_key = f"ask:{patient.id}:{int(now.timestamp())}"
    body = payloads.checkin_payload(
        rt.catalog,
        patient.language,
        prompt_key,
        emergency_number=rt.settings.emergency_number,
        care_team_contact=rt.settings.care_team_contact,
    )
    await enqueue(
        session,
        [
            Message(
                chat_id=patient.chat_id,
                recipient_id=patient.id,
                kind="followup",
                unique_key=prompt_key,
                payload={**body, "patient_id": patient.id},
                not_before=now,
            )
        ],
        now,
    )
    add_audit(
        session,
        at=now,
        action="checkin:ask_now",
        actor_telegram_id=who.person.telegram_user_id,
        subject_person_id=patient.id,
    )
    return [Reply(rt.text(who.locale, "coordinator.checkin.sent", patient_name=_name(patient)))]


# --- buttons ------------------------------------------------------------------------------------


async def button(
    rt: Runtime,
    session: AsyncSession,
    who: Coordinator,
    data: callbacks.ButtonData,
    user_data: dict[str, Any],
    now: datetime,
) -> list[Reply]:
    """A coordinator button (the caller has checked the role)."""
    if data.action == RESOLVE:
        return await _ask_note(rt, session, who, data.key)
    if data.action == RESOLVE_SKIP_NOTE and data.key.isdigit():
        if who.person.awaiting != f"{AWAIT_NOTE}{data.key}":
            return []
        return await resolve(rt, session, who, int(data.key), None, now)
    if data.action == MORE_ALERTS and data.key.isdigit():
        return await alert_list(rt, session, who, now, offset=int(data.key))
    if data.action == BROADCAST_TO:
        return broadcast_audience(rt, who, data.key)
    if data.action == BROADCAST_SEND:
        return await broadcast_send(rt, session, who, data.key, user_data, now)
    if data.action == BROADCAST_CANCEL:
        user_data.pop(DRAFT, None)
        return [Reply(rt.text(who.locale, "coordinator.broadcast.cancelled"))]
    return []
