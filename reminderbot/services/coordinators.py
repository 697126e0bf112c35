"""Coordinators: granted by REMINDERBOT_COORDINATOR_IDS or by role; listing, granting, revoking."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from reminderbot.services.admin_common import Actor, AdminInputError, audit
from reminderbot.store.models import CaregiverLink, Person, Role

SETTING_NAME = "REMINDERBOT_COORDINATOR_IDS"


class Source(enum.StrEnum):
    """Where a coordinator's rights come from."""

    SETTING = "setting"
    ROLE = "role"


@dataclass(frozen=True)
class CoordinatorEntry:
    """One coordinator and every source of their rights."""

    telegram_user_id: int
    person_id: int | None
    name: str | None
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class GrantResult:
    """What `grant` did: created the person, changed the role, or nothing (already had it)."""

    telegram_user_id: int
    person_id: int
    created: bool
    changed: bool
    also_by_setting: bool


@dataclass(frozen=True)
class RevokeResult:
    """What `revoke` did: the role left (None: no other role), and whether the setting grants."""

    telegram_user_id: int
    person_id: int
    new_role: Role | None
    still_by_setting: bool


async def list_coordinators(
    session: AsyncSession, configured_ids: Iterable[int]
) -> list[CoordinatorEntry]:
    """Every coordinator, by setting or by role, ordered by Telegram id."""
    configured = set(configured_ids)
    people = {
        p.telegram_user_id: p
        for p in (
            await session.scalars(
                select(Person).where(
                    (Person.role == Role.COORDINATOR) | Person.telegram_user_id.in_(configured)
                )
            )
        ).all()
    }
    entries = []
    for uid in sorted(configured | set(people)):
        person = people.get(uid)
        sources = []
        if uid in configured:
            sources.append(Source.SETTING)
        if person is not None and person.role == Role.COORDINATOR:
            sources.append(Source.ROLE)
        entries.append(
            CoordinatorEntry(
                telegram_user_id=uid,
                person_id=person.id if person else None,
                name=person.display_name if person else None,
                sources=tuple(sources),
            )
        )
    return entries


async def grant(
    session: AsyncSession,
    telegram_user_id: int,
    *,
    configured_ids: Iterable[int],
    default_timezone: str,
    actor: Actor,
    now: datetime,
) -> GrantResult:
    """Give a Telegram user the coordinator role, creating the person if they never wrote."""
    person = await session.scalar(select(Person).where(Person.telegram_user_id == telegram_user_id))
    by_setting = telegram_user_id in set(configured_ids)
    if person is not None and person.role == Role.COORDINATOR:
        return GrantResult(telegram_user_id, person.id, False, False, by_setting)
    created = person is None
    if person is None:
        # In a private chat the chat id is the user id, so alerts can reach them right away.
        person = Person(
            telegram_user_id=telegram_user_id,
            chat_id=telegram_user_id,
            display_name=None,
            language="en",
            timezone=default_timezone,
            role=Role.COORDINATOR,
            created_at=now,
            updated_at=now,
        )
        session.add(person)
        await session.flush()
        previous = None
    else:
        previous = person.role.value
        person.role = Role.COORDINATOR
        person.updated_at = now
    audit(
        session,
        actor,
        now,
        "coordinator:grant",
        person.id,
        telegram_id=telegram_user_id,
        created=created,
        previous_role=previous,
    )
    return GrantResult(telegram_user_id, person.id, created, True, by_setting)


async def revoke(
    session: AsyncSession,
    telegram_user_id: int,
    *,
    configured_ids: Iterable[int],
    actor: Actor,
    now: datetime,
) -> RevokeResult:
    """Take the coordinator role away; a patient goes back to PATIENT, a caregiver to CAREGIVER."""
    by_setting = telegram_user_id in set(configured_ids)
    person = await session.scalar(
        select(Person)
        .where(Person.telegram_user_id == telegram_user_id)
        .options(selectinload(Person.patient))
    )
    if person is None or person.role != Role.COORDINATOR:
        if by_setting:
            raise AdminInputError("admin.coordinator.only_by_setting", telegram_id=telegram_user_id)
        raise AdminInputError("admin.coordinator.not_coordinator", telegram_id=telegram_user_id)
    remaining = await _role_without_coordination(session, person)
    # The model has no "nobody" role: PATIENT without a patient profile grants nothing.
    person.role = remaining or Role.PATIENT
    person.updated_at = now
    audit(
        session,
        actor,
        now,
        "coordinator:revoke",
        person.id,
        telegram_id=telegram_user_id,
        new_role=remaining.value if remaining else None,
        still_by_setting=by_setting,
    )
    return RevokeResult(telegram_user_id, person.id, remaining, by_setting)


async def _role_without_coordination(session: AsyncSession, person: Person) -> Role | None:
    if person.patient is not None:
        return Role.PATIENT
    link = await session.scalar(
        select(CaregiverLink.id).where(
            CaregiverLink.caregiver_id == person.id, CaregiverLink.revoked_at.is_(None)
        )
    )
    return Role.CAREGIVER if link is not None else None
