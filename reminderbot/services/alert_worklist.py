"""The coordinators' alert work list: paging through unresolved alerts, resolving with a note.

The caller has checked the coordinator role; every page shown is audited here.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.content.describe import format_local_datetime
from reminderbot.delivery import buttons, callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import alerts
from reminderbot.services.awaiting import Awaiting, stored
from reminderbot.services.coordinators import Coordinator, display_name
from reminderbot.services.replies import Reply, keyboard
from reminderbot.store.models import Alert, AlertState, Person
from reminderbot.store.people import add_audit

RESOLVE = buttons.RESOLVE
RESOLVE_SKIP_NOTE = buttons.RESOLVE_SKIP_NOTE
MORE_ALERTS = buttons.MORE_ALERTS
ACTIONS = frozenset({RESOLVE, RESOLVE_SKIP_NOTE, MORE_ALERTS})
AWAIT_NOTE = Awaiting.NOTE
ALERTS_PER_PAGE = 5


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
            by=display_name(by),
            at=format_local_datetime(rt.catalog, locale, at.astimezone(zone)),
        )
    else:
        state = rt.text(locale, "coordinator.alerts.state_open")
    text = rt.text(
        locale,
        "coordinator.alerts.card",
        urgency=rt.text(locale, f"alert.urgency.t{alert.tier}"),
        alert_id=alert.id,
        patient_name=display_name(patient),
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


async def ask_note(rt: Runtime, session: AsyncSession, who: Coordinator, key: str) -> list[Reply]:
    """After Resolve: ask for a note (typed next) or offer to resolve without one."""
    alert_id = buttons.parse_id(key)
    alert = await session.get(Alert, alert_id) if alert_id is not None else None
    if alert is None or alert.state == AlertState.RESOLVED:
        return [Reply(rt.text(who.locale, "coordinator.alerts.already_resolved"))]
    patient = await session.get(Person, alert.patient_id)
    who.person.awaiting = stored(Awaiting.NOTE, alert.id)
    return [
        Reply(
            rt.text(
                who.locale,
                "coordinator.alerts.ask_note",
                alert_id=alert.id,
                patient_name=display_name(patient),
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
    done = await alerts.resolve_alert(
        session, rt, alert_id=alert_id, by=who.person, note=note, now=now
    )
    if done is None:
        return [Reply(rt.text(who.locale, "coordinator.alerts.already_resolved"))]
    return [
        Reply(
            rt.text(
                who.locale,
                "coordinator.alerts.resolved",
                alert_id=done.alert.id,
                patient_name=display_name(done.patient),
            )
        )
    ]


async def resolve_without_note(
    rt: Runtime, session: AsyncSession, who: Coordinator, key: str, now: datetime
) -> list[Reply]:
    """The 'no note' button: only for the alert whose note is being asked for."""
    if who.person.awaiting != stored(Awaiting.NOTE, key):
        return []
    return await resolve(rt, session, who, int(key), None, now)


async def typed_note(
    rt: Runtime, session: AsyncSession, who: Coordinator, typed: str, now: datetime
) -> list[Reply]:
    """The resolution note a coordinator typed after tapping Resolve."""
    awaiting = who.person.awaiting or ""
    alert_id = buttons.parse_id(awaiting.removeprefix(AWAIT_NOTE))
    note = typed.strip()[:2000]
    if alert_id is None or not note:
        who.person.awaiting = None
        return [Reply(rt.text(who.locale, "coordinator.alerts.already_resolved"))]
    return await resolve(rt, session, who, alert_id, note, now)
