"""Coordinator and caregiver actions: acknowledging alerts, pain trend charts."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InputFile, Update, User
from telegram.ext import ContextTypes

from reminderbot.charts.trend import (
    TrendLabels,
    TrendPoint,
    can_draw,
    render_trend_png,
    summarize,
)
from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import alerts
from reminderbot.store.audience import is_coordinator
from reminderbot.store.models import Alert, CaregiverLink, CheckIn, Person
from reminderbot.store.people import add_audit, find_person
from reminderbot.telegram import coordinator_flow
from reminderbot.telegram.replies import Reply, keyboard, send_replies

log = logging.getLogger(__name__)

TREND_DAYS = 30


async def acknowledge_alert(
    rt: Runtime,
    session: AsyncSession,
    user: User,
    person: Person | None,
    alert_key: str,
    now: datetime,
) -> list[Reply]:
    """A coordinator's "Acknowledge": only coordinators may; the others are told."""
    locale = rt.locale_for(user.language_code, person)
    if not alert_key.isdigit() or not await is_coordinator(
        session, user.id, rt.settings.coordinator_ids
    ):
        add_audit(
            session,
            at=now,
            action="refused:acknowledge",
            actor_telegram_id=user.id,
            details={"alert": alert_key},
        )
        return [Reply(rt.text(locale, "alert.not_allowed"))]
    zone = ZoneInfo(person.timezone if person else rt.settings.default_timezone)
    alert, newly = await alerts.acknowledge(
        session,
        rt.alert_context,
        alert_id=int(alert_key),
        by=person,
        by_telegram_id=user.id,
        by_name=(person.display_name if person else None) or user.first_name,
        now=now,
        zone=zone,
    )
    if alert is None:
        return []
    patient = await session.get(Person, alert.patient_id)
    assert patient is not None
    if newly:
        log.info("alert acknowledged alert=%d by=%d", alert.id, user.id)
        resolve = (
            rt.text(locale, "coordinator.alerts.resolve_button"),
            callbacks.build(coordinator_flow.RESOLVE, str(alert.id)),
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


async def _may_view(
    rt: Runtime, session: AsyncSession, user: User, viewer: Person | None, patient_id: int
) -> bool:
    if viewer is not None and viewer.id == patient_id and viewer.patient is not None:
        return True
    if await is_coordinator(session, user.id, rt.settings.coordinator_ids):
        return True
    if viewer is None:
        return False
    link = await session.scalar(
        select(CaregiverLink.id).where(
            CaregiverLink.patient_id == patient_id,
            CaregiverLink.caregiver_id == viewer.id,
            CaregiverLink.revoked_at.is_(None),
        )
    )
    return link is not None


async def send_trend(rt: Runtime, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/trend [patient id]: the chart and a one-line summary, for those allowed to see it."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None
    assert chat is not None
    now = rt.clock.now()
    args = context.args or []
    async with rt.sessions.begin() as session:
        viewer = await find_person(session, user.id)
        locale = viewer.language if viewer else rt.catalog.resolve_locale(user.language_code)
        if args and not args[0].lstrip("#").isdigit():
            await send_replies(update, context, [Reply(rt.text(locale, "trend.usage"))])
            return
        patient_id = int(args[0].lstrip("#")) if args else (viewer.id if viewer else -1)
        patient = await session.get(Person, patient_id)
        if patient is None or not await _may_view(rt, session, user, viewer, patient_id):
            add_audit(
                session,
                at=now,
                action="refused:trend",
                actor_telegram_id=user.id,
                details={"patient": patient_id},
            )
            # The refusal is on record before the reply goes out.
            await session.commit()
            await send_replies(update, context, [Reply(rt.text(locale, "trend.not_allowed"))])
            return
        if viewer is None or viewer.id != patient_id:
            add_audit(
                session,
                at=now,
                action="view:trend",
                actor_telegram_id=user.id,
                subject_person_id=patient_id,
            )
        since = now - timedelta(days=TREND_DAYS)
        rows = await session.scalars(
            select(CheckIn).where(
                CheckIn.patient_id == patient_id,
                CheckIn.score.is_not(None),
                CheckIn.answered_at >= since,
            )
        )
        points = [
            TrendPoint(at=c.answered_at or c.prompted_at, score=int(c.score or 0), tier=c.tier)
            for c in rows.all()
        ]
        alert_times = list(
            (
                await session.scalars(
                    select(Alert.created_at).where(
                        Alert.patient_id == patient_id, Alert.created_at >= since
                    )
                )
            ).all()
        )
        zone = ZoneInfo(viewer.timezone if viewer else patient.timezone)
        name = patient.display_name or f"#{patient.id}"
    labels = _labels(rt, locale, name)
    if not can_draw(labels.title, labels.y_label, labels.no_data, *labels.bands):
        # Without a CJK font Chinese labels would be empty boxes; English ones stay readable,
        # and the caption below the chart is still in the reader's language.
        log.warning("no CJK font for chart labels; drawing them in English (fonts-noto-cjk)")
        labels = _labels(rt, "en", name if can_draw(name) else f"#{patient_id}")
    # Rendering is CPU work; a worker thread keeps the bot answering meanwhile.
    png = await asyncio.to_thread(render_trend_png, points, alert_times, now, zone, labels)
    summary = summarize(points, now)
    caption = _summary_text(rt, locale, summary, len(alert_times))
    photo = InputFile(png, filename="pain-chart.png")
    await context.bot.send_photo(chat.id, photo, caption=caption)


def _labels(rt: Runtime, locale: str, name: str) -> TrendLabels:
    return TrendLabels(
        title=rt.text(locale, "trend.title", name=name),
        y_label=rt.text(locale, "trend.y_label"),
        no_data=rt.text(locale, "trend.no_data"),
        bands=(
            rt.text(locale, "trend.band.none"),
            rt.text(locale, "trend.band.mild"),
            rt.text(locale, "trend.band.moderate"),
            rt.text(locale, "trend.band.severe"),
        ),
    )


def _summary_text(rt: Runtime, locale: str, summary: object, alert_count: int) -> str:
    count = getattr(summary, "count", 0)
    if not count:
        return rt.text(locale, "trend.summary_none")
    median = getattr(summary, "median_7d", None)
    return rt.text(
        locale,
        "trend.summary",
        count=count,
        last=getattr(summary, "last", None),
        median="—" if median is None else f"{median:g}",
        direction=rt.text(locale, f"trend.direction.{getattr(summary, 'direction', 'unknown')}"),
        alerts=alert_count,
    )
