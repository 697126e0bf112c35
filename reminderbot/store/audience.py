"""Who hears about a patient: coordinators and the caregivers linked to them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.store.models import CaregiverLink, Person, Role


@dataclass(frozen=True)
class Recipient:
    """A chat to write to, the person behind it when known, and their language."""

    chat_id: int
    person_id: int | None
    language: str
    name: str | None = None


async def coordinators(session: AsyncSession, configured_ids: Iterable[int]) -> list[Recipient]:
    """Coordinators: the configured Telegram ids plus people with the coordinator role."""
    by_chat: dict[int, Recipient] = {uid: Recipient(uid, None, "en") for uid in configured_ids}
    configured = list(by_chat)
    stmt = select(Person).where(
        (Person.role == Role.COORDINATOR) | Person.telegram_user_id.in_(configured)
    )
    for person in (await session.scalars(stmt)).all():
        by_chat[person.chat_id] = Recipient(
            person.chat_id, person.id, person.language, person.display_name
        )
    return list(by_chat.values())


async def is_coordinator(
    session: AsyncSession, telegram_user_id: int, configured_ids: Iterable[int]
) -> bool:
    """Say whether a Telegram user is a coordinator (by configuration or by role)."""
    if telegram_user_id in set(configured_ids):
        return True
    role = await session.scalar(
        select(Person.role).where(Person.telegram_user_id == telegram_user_id)
    )
    return role == Role.COORDINATOR


async def caregivers(
    session: AsyncSession, patient_id: int, *, copies_only: bool = False
) -> list[Recipient]:
    """Active caregivers of a patient who receive alerts (or, with copies_only, copies too)."""
    stmt = (
        select(Person)
        .join(CaregiverLink, CaregiverLink.caregiver_id == Person.id)
        .where(
            CaregiverLink.patient_id == patient_id,
            CaregiverLink.revoked_at.is_(None),
            CaregiverLink.receives_alerts.is_(True),
        )
    )
    if copies_only:
        stmt = stmt.where(CaregiverLink.receives_copies.is_(True))
    return [
        Recipient(p.chat_id, p.id, p.language, p.display_name)
        for p in (await session.scalars(stmt)).all()
    ]


async def active_link(
    session: AsyncSession, patient_id: int, caregiver_id: int
) -> CaregiverLink | None:
    """The active link between a patient and a caregiver, if there is one."""
    return await session.scalar(
        select(CaregiverLink).where(
            CaregiverLink.patient_id == patient_id,
            CaregiverLink.caregiver_id == caregiver_id,
            CaregiverLink.revoked_at.is_(None),
        )
    )
