"""Pain trend charts: who may see whose, and the data and texts a chart is drawn from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.charts.trend import TrendLabels, TrendPoint, TrendSummary, summarize
from reminderbot.delivery.buttons import parse_id
from reminderbot.runtime import Runtime
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.audience import is_coordinator
from reminderbot.store.models import Alert, CaregiverLink, CheckIn, Person
from reminderbot.store.people import add_audit, find_person

TREND_DAYS = 30


@dataclass(frozen=True)
class TrendChart:
    """What a chart is drawn from, with its labels and caption in the reader's language."""

    patient_id: int
    name: str
    points: list[TrendPoint]
    alert_times: list[datetime]
    now: datetime
    zone: ZoneInfo
    labels: TrendLabels
    caption: str


async def _may_view(
    rt: Runtime, session: AsyncSession, asker: Asker, viewer: Person | None, patient_id: int
) -> bool:
    if viewer is not None and viewer.id == patient_id and viewer.patient is not None:
        return True
    if await is_coordinator(session, asker.telegram_id, rt.settings.coordinator_ids):
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


async def pain_trend(
    rt: Runtime, asker: Asker, args: Sequence[str], now: datetime
) -> TrendChart | list[Reply]:
    """/trend [patient id]: the chart's data for one allowed to see it, else a refusal reply."""
    async with rt.sessions.begin() as session:
        viewer = await find_person(session, asker.telegram_id)
        locale = viewer.language if viewer else rt.catalog.resolve_locale(asker.language_code)
        asked = parse_id(args[0].removeprefix("#")) if args else None
        if args and asked is None:
            return [Reply(rt.text(locale, "trend.usage"))]
        patient_id = asked if asked is not None else (viewer.id if viewer else -1)
        patient = await session.get(Person, patient_id)
        if patient is None or not await _may_view(rt, session, asker, viewer, patient_id):
            add_audit(
                session,
                at=now,
                action="refused:trend",
                actor_telegram_id=asker.telegram_id,
                details={"patient": patient_id},
            )
            return [Reply(rt.text(locale, "trend.not_allowed"))]
        if viewer is None or viewer.id != patient_id:
            add_audit(
                session,
                at=now,
                action="view:trend",
                actor_telegram_id=asker.telegram_id,
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
    return TrendChart(
        patient_id=patient_id,
        name=name,
        points=points,
        alert_times=alert_times,
        now=now,
        zone=zone,
        labels=trend_labels(rt, locale, name),
        caption=_summary_text(rt, locale, summarize(points, now), len(alert_times)),
    )


def trend_labels(rt: Runtime, locale: str, name: str) -> TrendLabels:
    """The chart's title, axis label, empty-chart text and pain bands in one language."""
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


def _summary_text(rt: Runtime, locale: str, summary: TrendSummary, alert_count: int) -> str:
    if not summary.count:
        return rt.text(locale, "trend.summary_none")
    median = summary.median_7d
    return rt.text(
        locale,
        "trend.summary",
        count=summary.count,
        last=summary.last,
        median="—" if median is None else f"{median:g}",
        direction=rt.text(locale, f"trend.direction.{summary.direction}"),
        alerts=alert_count,
    )
