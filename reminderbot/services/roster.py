"""The coordinators' roster: every patient with status, last answer and silence, worst first.

Order: open (unresolved) alerts first, highest tier first, unacknowledged before acknowledged;
then patients the bot cannot reach; then active and paused patients by check-ins missed, then
by their last tier; then patients still onboarding; stopped patients last; ties by patient
number. A coordinator opening the first page sees who needs a call now, and the patient number
keeps every page stable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.content import Catalog
from reminderbot.delivery import outbox_keys
from reminderbot.delivery.kinds import PROMPT_KINDS
from reminderbot.services.admin_common import load_patient
from reminderbot.services.schedule_admin import ScheduleView, schedule_views
from reminderbot.store.models import (
    Alert,
    AlertState,
    CaregiverLink,
    CheckIn,
    DeliveryState,
    OutboxDelivery,
    PatientProfile,
    PatientStatus,
    Person,
)

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 200
# A prompt younger than this is still open, not missed (the escalation rules' nudge delay).
DEFAULT_OPEN_FOR = timedelta(hours=3)
RECENT_CHECKINS = 5


@dataclass(frozen=True)
class RosterRow:
    """One patient in the roster."""

    person_id: int
    name: str | None
    status: str
    program: str
    last_score: int | None
    last_tier: int | None
    last_answer_at: datetime | None
    missed_checkins: int
    caregivers: int
    open_alert_tier: int | None
    unacknowledged_alerts: int


@dataclass(frozen=True)
class RosterPage:
    """One page of the roster and the total number of patients."""

    rows: tuple[RosterRow, ...]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class CheckInView:
    """One answered check-in."""

    checkin_id: int
    source: str
    prompted_at: datetime
    answered_at: datetime | None
    score: int | None
    tier: int | None
    finished: bool


@dataclass(frozen=True)
class AlertView:
    """One alert not resolved yet (open, or acknowledged and being dealt with)."""

    alert_id: int
    tier: int
    state: str
    reasons: tuple[str, ...]
    created_at: datetime
    acknowledged_at: datetime | None


@dataclass(frozen=True)
class PatientDetail:
    """Everything a coordinator looks at for one patient."""

    person_id: int
    name: str | None
    language: str
    timezone: str
    status: str
    status_changed_at: datetime
    consent_at: datetime
    program: str
    quiet_hours: tuple[str, str] | None
    tags: tuple[str, ...]
    caregivers: int
    schedules: tuple[ScheduleView, ...]
    recent_checkins: tuple[CheckInView, ...]
    open_alerts: tuple[AlertView, ...]


def _missed_count(answered_at: ColumnElement[datetime], cutoff: datetime) -> ColumnElement[int]:
    """Sent prompts since the last answer that nobody answered (snoozed copies not counted)."""
    return (
        select(func.count(OutboxDelivery.id))
        .where(
            OutboxDelivery.recipient_id == PatientProfile.person_id,
            OutboxDelivery.kind.in_(PROMPT_KINDS),
            OutboxDelivery.state == DeliveryState.SENT,
            OutboxDelivery.sent_at <= cutoff,
            or_(answered_at.is_(None), OutboxDelivery.sent_at > answered_at),
            ~OutboxDelivery.unique_key.contains(outbox_keys.SNOOZE_MARK),
            ~exists().where(CheckIn.prompt_key == OutboxDelivery.unique_key),
        )
        .scalar_subquery()
    )


async def roster(
    session: AsyncSession,
    now: datetime,
    *,
    offset: int = 0,
    limit: int = DEFAULT_PAGE_SIZE,
    open_for: timedelta = DEFAULT_OPEN_FOR,
) -> RosterPage:
    """One page of patients, most worrying first (see the module docstring for the order)."""
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, offset)
    ranked = (
        select(
            CheckIn.patient_id,
            CheckIn.score,
            CheckIn.tier,
            CheckIn.answered_at,
            func.row_number()
            .over(
                partition_by=CheckIn.patient_id,
                order_by=(CheckIn.answered_at.desc(), CheckIn.id.desc()),
            )
            .label("rank"),
        )
        .where(CheckIn.score.is_not(None), CheckIn.answered_at.is_not(None))
        .subquery("ranked")
    )
    latest = select(ranked).where(ranked.c.rank == 1).subquery("latest")
    missed = _missed_count(latest.c.answered_at, now - open_for).label("missed")
    caregivers = (
        select(func.count(CaregiverLink.id))
        .where(
            CaregiverLink.patient_id == PatientProfile.person_id,
            CaregiverLink.revoked_at.is_(None),
        )
        .scalar_subquery()
        .label("caregivers")
    )
    open_tier = (
        select(func.max(Alert.tier))
        .where(Alert.patient_id == PatientProfile.person_id, Alert.state != AlertState.RESOLVED)
        .scalar_subquery()
        .label("open_tier")
    )
    unacknowledged = (
        select(func.count(Alert.id))
        .where(Alert.patient_id == PatientProfile.person_id, Alert.state == AlertState.OPEN)
        .scalar_subquery()
        .label("unacknowledged")
    )
    status_rank = case(
        (PatientProfile.status == PatientStatus.UNREACHABLE, 0),
        (PatientProfile.status.in_([PatientStatus.ACTIVE, PatientStatus.PAUSED]), 1),
        (PatientProfile.status == PatientStatus.ONBOARDING, 2),
        else_=3,
    )
    # Computed once in an inner query so that the outer one can order by them on any backend.
    facts = (
        select(
            Person.id,
            Person.display_name,
            PatientProfile.status,
            PatientProfile.program,
            latest.c.score,
            latest.c.tier,
            latest.c.answered_at,
            missed,
            caregivers,
            open_tier,
            unacknowledged,
            status_rank.label("status_rank"),
        )
        .join(PatientProfile, PatientProfile.person_id == Person.id)
        .outerjoin(latest, latest.c.patient_id == Person.id)
        .subquery("facts")
    )
    stmt = (
        select(facts)
        .order_by(
            func.coalesce(facts.c.open_tier, -1).desc(),
            facts.c.unacknowledged.desc(),
            facts.c.status_rank,
            facts.c.missed.desc(),
            func.coalesce(facts.c.tier, -1).desc(),
            facts.c.id,
        )
        .offset(offset)
        .limit(limit)
    )
    rows = tuple(
        RosterRow(
            person_id=r.id,
            name=r.display_name,
            status=PatientStatus(r.status).value,
            program=r.program,
            last_score=r.score,
            last_tier=r.tier,
            last_answer_at=r.answered_at,
            missed_checkins=int(r.missed or 0),
            caregivers=int(r.caregivers or 0),
            open_alert_tier=r.open_tier,
            unacknowledged_alerts=int(r.unacknowledged or 0),
        )
        for r in (await session.execute(stmt)).all()
    )
    total = int(await session.scalar(select(func.count()).select_from(PatientProfile)) or 0)
    return RosterPage(rows=rows, total=total, offset=offset, limit=limit)


async def patient_detail(
    session: AsyncSession, patient_id: int, *, catalog: Catalog, locale: str
) -> PatientDetail:
    """One patient's profile, schedules in words, recent check-ins and open alerts."""
    person = await load_patient(session, patient_id)
    profile = person.patient
    assert profile is not None
    checkins = (
        await session.scalars(
            select(CheckIn)
            .where(CheckIn.patient_id == person.id)
            .order_by(CheckIn.prompted_at.desc(), CheckIn.id.desc())
            .limit(RECENT_CHECKINS)
        )
    ).all()
    alerts = (
        await session.scalars(
            select(Alert)
            .where(Alert.patient_id == person.id, Alert.state != AlertState.RESOLVED)
            .order_by(Alert.created_at, Alert.id)
        )
    ).all()
    caregivers = await session.scalar(
        select(func.count(CaregiverLink.id)).where(
            CaregiverLink.patient_id == person.id, CaregiverLink.revoked_at.is_(None)
        )
    )
    quiet = (
        (profile.quiet_start.strftime("%H:%M"), profile.quiet_end.strftime("%H:%M"))
        if profile.quiet_start is not None and profile.quiet_end is not None
        else None
    )
    return PatientDetail(
        person_id=person.id,
        name=person.display_name,
        language=person.language,
        timezone=person.timezone,
        status=profile.status.value,
        status_changed_at=profile.status_changed_at,
        consent_at=profile.consent_at,
        program=profile.program,
        quiet_hours=quiet,
        tags=tuple(profile.tags or ()),
        caregivers=int(caregivers or 0),
        schedules=schedule_views(person, catalog, locale),
        recent_checkins=tuple(
            CheckInView(
                checkin_id=c.id,
                source=c.source,
                prompted_at=c.prompted_at,
                answered_at=c.answered_at,
                score=c.score,
                tier=c.tier,
                finished=c.answers.get("step") == "done",
            )
            for c in checkins
        ),
        open_alerts=tuple(
            AlertView(
                alert_id=a.id,
                tier=a.tier,
                state=a.state.value,
                reasons=tuple(a.reasons),
                created_at=a.created_at,
                acknowledged_at=a.acknowledged_at,
            )
            for a in alerts
        ),
    )
