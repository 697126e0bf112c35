"""Repository for people, patient profiles and their schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from reminderbot.store.models import (
    AuditEvent,
    DeliveryState,
    OutboxDelivery,
    PatientProfile,
    PatientStatus,
    Person,
    Schedule,
)


async def find_person(session: AsyncSession, telegram_user_id: int) -> Person | None:
    """Load a person by Telegram user id, with their patient profile and schedules."""
    stmt = (
        select(Person)
        .where(Person.telegram_user_id == telegram_user_id)
        .options(selectinload(Person.patient).selectinload(PatientProfile.schedules))
    )
    return (await session.scalars(stmt)).one_or_none()


def add_audit(
    session: AsyncSession,
    *,
    at: datetime,
    action: str,
    actor_telegram_id: int | None,
    subject_person_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Record who did what to whose data (ids and codes only, never free text)."""
    session.add(
        AuditEvent(
            at=at,
            action=action,
            actor_telegram_id=actor_telegram_id,
            subject_person_id=subject_person_id,
            details=details or {},
        )
    )


async def due_schedules(session: AsyncSession, now: datetime, limit: int = 1000) -> list[Schedule]:
    """Return active schedules of active patients whose next fire instant has come."""
    stmt = (
        select(Schedule)
        .join(PatientProfile, PatientProfile.person_id == Schedule.patient_id)
        .where(
            Schedule.active.is_(True),
            Schedule.next_fire_at.is_not(None),
            Schedule.next_fire_at <= now,
            PatientProfile.status == PatientStatus.ACTIVE,
        )
        .order_by(Schedule.next_fire_at)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def cancel_pending_deliveries(session: AsyncSession, recipient_id: int) -> int:
    """Cancel messages still waiting for a recipient; return how many were cancelled."""
    result = await session.execute(
        update(OutboxDelivery)
        .where(
            OutboxDelivery.recipient_id == recipient_id,
            OutboxDelivery.state == DeliveryState.PENDING,
        )
        .values(state=DeliveryState.CANCELLED)
    )
    return int(getattr(result, "rowcount", 0) or 0)
