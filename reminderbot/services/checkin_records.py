"""Check-ins in the database: history, open prompts, who answers, new check-ins, follow-ups."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from reminderbot.care.escalation import PastCheckIn
from reminderbot.delivery import outbox_keys
from reminderbot.delivery.kinds import PROMPT_KINDS
from reminderbot.store.models import (
    CheckIn,
    DeliveryState,
    OutboxDelivery,
    Person,
    Schedule,
    ScheduleKind,
)


async def past_checkins(
    session: AsyncSession, patient_id: int, now: datetime, days: int = 30
) -> list[PastCheckIn]:
    """Answered check-ins of the last `days` days, oldest first."""
    stmt = (
        select(CheckIn)
        .where(
            CheckIn.patient_id == patient_id,
            CheckIn.score.is_not(None),
            CheckIn.answered_at >= now - timedelta(days=days),
        )
        .order_by(CheckIn.answered_at)
    )
    return [
        PastCheckIn(
            at=c.answered_at or c.prompted_at,
            score=int(c.score or 0),
            worsened=bool(c.answers.get("worsened", False)),
            # Stable moderate pain alerts once, not daily: the rules need the earlier tiers.
            tier=c.tier,
        )
        for c in (await session.scalars(stmt)).all()
        if c.answers.get("step") == "done"
    ]


async def by_prompt(session: AsyncSession, prompt_key: str) -> CheckIn | None:
    """The check-in that answers a prompt, if any."""
    return await session.scalar(select(CheckIn).where(CheckIn.prompt_key == prompt_key))


async def open_prompt(
    session: AsyncSession, person: Person, now: datetime, within: timedelta
) -> OutboxDelivery | None:
    """The newest check-in prompt sent to this person recently that is still unanswered."""
    stmt = (
        select(OutboxDelivery)
        .where(
            OutboxDelivery.recipient_id == person.id,
            OutboxDelivery.kind.in_(PROMPT_KINDS),
            OutboxDelivery.state == DeliveryState.SENT,
            OutboxDelivery.sent_at >= now - within,
        )
        .order_by(OutboxDelivery.sent_at.desc())
        .limit(5)
    )
    for row in (await session.scalars(stmt)).all():
        if await by_prompt(session, outbox_keys.prompt_of(row.unique_key)) is None:
            return row
    return None


def start(
    session: AsyncSession,
    person: Person,
    *,
    prompt_key: str,
    source: str,
    prompted_at: datetime,
    score: int,
    now: datetime,
    reporter: Person | None = None,
) -> CheckIn:
    """Create the check-in with its first answer; a caregiver's report is stored as proxy."""
    checkin = CheckIn(
        patient_id=person.id,
        reporter_id=reporter.id if reporter is not None else person.id,
        source="proxy" if reporter is not None else source,
        prompt_key=prompt_key,
        prompted_at=prompted_at,
        answered_at=now,
        score=score,
        answers={"now": score},
    )
    session.add(checkin)
    return checkin


def schedule_followup(person: Person, now: datetime, hours: float) -> Schedule:
    """A one-off check-in sooner than usual, after a worrying answer."""
    assert person.patient is not None
    at = now + timedelta(hours=hours)
    schedule = Schedule(
        kind=ScheduleKind.FOLLOWUP,
        rule={"type": "once", "at": at.isoformat()},
        local_times=["00:00"],
        next_fire_at=at,
        active=True,
        created_at=now,
        updated_at=now,
    )
    person.patient.schedules.append(schedule)
    return schedule


async def parties(session: AsyncSession, checkin: CheckIn) -> tuple[Person, Person]:
    """(patient, the person answering): the same person unless a caregiver reports for them."""
    patient = await session.get(Person, checkin.patient_id, options=[selectinload(Person.patient)])
    assert patient is not None
    if patient.patient is not None and "schedules" in inspect(patient.patient).unloaded:
        # Finishing may plan a follow-up, which appends to the schedules.
        await session.refresh(patient.patient, ["schedules"])
    if checkin.reporter_id is None or checkin.reporter_id == patient.id:
        return patient, patient
    reporter = await session.get(Person, checkin.reporter_id)
    return patient, reporter or patient
