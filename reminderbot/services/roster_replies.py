"""Coordinator views in chat: the roster (/patients) a page at a time, and one patient (/patient).

The caller has checked the coordinator role; every view of a patient's data is audited here.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.content.describe import format_local_datetime
from reminderbot.delivery import buttons, callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import roster
from reminderbot.services.admin_common import AdminInputError, parse_patient_id
from reminderbot.services.coordinators import Coordinator
from reminderbot.services.replies import Reply, keyboard
from reminderbot.services.schedule_admin import ScheduleView
from reminderbot.store.people import add_audit

PAGE = buttons.ROSTER_PAGE
ACTIONS = frozenset({PAGE})
PAGE_SIZE = 10


def _when(rt: Runtime, who: Coordinator, at: datetime | None) -> str:
    if at is None:
        return "—"
    return format_local_datetime(
        rt.catalog, who.locale, at.astimezone(ZoneInfo(who.person.timezone))
    )


def _source(rt: Runtime, locale: str, source: str) -> str:
    """How a check-in came about, in words (older rows may carry codes with no text)."""
    key = f"coordinator.source.{source}"
    return rt.text(locale, key) if key in rt.catalog.keys else source


def schedule_line(rt: Runtime, locale: str, view: ScheduleView) -> str:
    """One schedule as a line of the patient and schedule views."""
    return rt.text(
        locale,
        "coordinator.patient.schedule",
        number=view.schedule_id,
        kind=rt.text(locale, f"coordinator.schedule.kind.{view.kind}"),
        description=view.description,
        next=view.next_local or "—",
    )


def error_reply(rt: Runtime, who: Coordinator, exc: AdminInputError) -> list[Reply]:
    """A refused input, explained in the coordinator's language."""
    return [Reply(exc.render(rt.catalog, who.locale))]


# --- /patients ----------------------------------------------------------------------------------


async def patients(
    rt: Runtime, session: AsyncSession, who: Coordinator, page: int, now: datetime
) -> list[Reply]:
    """One page of the roster, most worrying first, with previous/next buttons."""
    result = await roster.roster(session, now, offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    add_audit(
        session,
        at=now,
        action="view:roster",
        actor_telegram_id=who.person.telegram_user_id,
        details={"patients": [row.person_id for row in result.rows]},
    )
    locale = who.locale
    if not result.rows:
        return [Reply(rt.text(locale, "coordinator.roster.none"))]
    pages = (result.total + PAGE_SIZE - 1) // PAGE_SIZE
    lines = [
        rt.text(locale, "coordinator.roster.header", page=page + 1, pages=pages, total=result.total)
    ]
    for row in result.rows:
        last = (
            rt.text(
                locale,
                "coordinator.roster.last",
                score=row.last_score,
                tier=row.last_tier if row.last_tier is not None else 0,
                when=_when(rt, who, row.last_answer_at),
            )
            if row.last_score is not None
            else rt.text(locale, "coordinator.roster.never")
        )
        alert = (
            rt.text(locale, "coordinator.roster.open_alert", tier=row.open_alert_tier)
            if row.open_alert_tier is not None
            else ""
        )
        lines.append(
            rt.text(
                locale,
                "coordinator.roster.row",
                patient_id=row.person_id,
                name=row.name or "—",
                status=rt.text(locale, f"coordinator.status.{row.status}"),
                last=last,
                missed=row.missed_checkins,
                alert=alert,
            )
        )
    buttons = []
    if page > 0:
        buttons.append(
            (rt.text(locale, "coordinator.roster.previous"), callbacks.build(PAGE, str(page - 1)))
        )
    if page + 1 < pages:
        buttons.append(
            (rt.text(locale, "coordinator.roster.next"), callbacks.build(PAGE, str(page + 1)))
        )
    return [Reply("\n".join(lines), keyboard(buttons) if buttons else ())]


# --- /patient <id> ------------------------------------------------------------------------------


async def patient(
    rt: Runtime, session: AsyncSession, who: Coordinator, args: list[str], now: datetime
) -> tuple[list[Reply], int | None]:
    """One patient's profile, schedules, check-ins and open alerts, and their id when found."""
    try:
        # ASCII digits in range only; anything else gets the line saying what a number is.
        patient_id = parse_patient_id(args[0] if args else "")
        detail = await roster.patient_detail(
            session, patient_id, catalog=rt.catalog, locale=who.locale
        )
    except AdminInputError as exc:
        return error_reply(rt, who, exc), None
    add_audit(
        session,
        at=now,
        action="view:patient",
        actor_telegram_id=who.person.telegram_user_id,
        subject_person_id=detail.person_id,
    )
    locale = who.locale
    schedules = "\n".join(schedule_line(rt, locale, view) for view in detail.schedules) or "—"
    checkins = (
        "\n".join(
            rt.text(
                locale,
                "coordinator.patient.checkin",
                when=_when(rt, who, c.answered_at or c.prompted_at),
                score="—" if c.score is None else c.score,
                tier="—" if c.tier is None else c.tier,
                source=_source(rt, locale, c.source),
            )
            for c in detail.recent_checkins
        )
        or "—"
    )
    alerts = ", ".join(f"#{a.alert_id} (T{a.tier})" for a in detail.open_alerts) or "—"
    quiet = "–".join(detail.quiet_hours) if detail.quiet_hours else "—"
    text = rt.text(
        locale,
        "coordinator.patient.details",
        name=detail.name or "—",
        patient_id=detail.person_id,
        status=rt.text(locale, f"coordinator.status.{detail.status}"),
        program=detail.program,
        timezone=detail.timezone,
        language=rt.catalog.locale_names.get(detail.language, detail.language),
        quiet=quiet,
        caregivers=detail.caregivers,
        schedules=schedules,
        checkins=checkins,
        alerts=alerts,
    )
    return [Reply(text)], detail.person_id
