"""Coordinators: granted by REMINDERBOT_COORDINATOR_IDS or by role; listing, granting, revoking.

Also who counts as a coordinator behind a chat update (`authorize`, refusals audited) and asking
a patient for a check-in now (/checkin).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from reminderbot.delivery import outbox_keys, payloads
from reminderbot.delivery.buttons import Right, parse_id
from reminderbot.delivery.kinds import MessageKind
from reminderbot.delivery.outbox import Message, enqueue
from reminderbot.runtime import Runtime
from reminderbot.services import guard
from reminderbot.services.admin_common import Actor, AdminInputError, audit
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.models import CaregiverLink, PatientProfile, PatientStatus, Person, Role
from reminderbot.store.people import add_audit

log = logging.getLogger(__name__)

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


# --- the coordinator behind a chat update -------------------------------------------------------


@dataclass(frozen=True)
class Coordinator:
    """The coordinator behind an update: their person row and language."""

    person: Person
    locale: str


def display_name(person: Person | None) -> str:
    """A person's name as coordinators see it, or a dash."""
    return (person.display_name if person else None) or "—"


async def authorize(
    rt: Runtime,
    session: AsyncSession,
    asker: Asker,
    person: Person | None,
    chat_id: int,
    action: str,
    now: datetime,
) -> Coordinator | None:
    """The coordinator, or None (refusal audited) when the asker is not one.

    A coordinator granted by configuration who never wrote before gets a person row now, so
    that acknowledgements, notes and the audit trail can name them.
    """
    if not await guard.has_right(rt, session, asker.telegram_id, person, Right.COORDINATOR):
        guard.refuse(session, asker.telegram_id, action, now)
        return None
    if person is None:
        person = Person(
            telegram_user_id=asker.telegram_id,
            chat_id=chat_id,
            display_name=(asker.first_name or "")[:128] or None,
            language=rt.catalog.resolve_locale(asker.language_code),
            timezone=rt.settings.default_timezone,
            role=Role.COORDINATOR,
            created_at=now,
            updated_at=now,
        )
        session.add(person)
        await session.flush()
    return Coordinator(person, person.language)


def not_allowed(rt: Runtime, asker: Asker, person: Person | None) -> list[Reply]:
    """The kind refusal for someone who is not a coordinator."""
    locale = rt.locale_for(asker.language_code, person)
    return [Reply(rt.text(locale, "coordinator.not_allowed"))]


# --- /checkin <patient> -------------------------------------------------------------------------


async def ask_now(
    rt: Runtime,
    session: AsyncSession,
    who: Coordinator,
    args: list[str],
    now: datetime,
) -> list[Reply]:
    """Send a patient a pain check-in now, at follow-up priority."""
    patient_id = parse_id(args[0].removeprefix("#")) if args else None
    if patient_id is None:
        return [Reply(rt.text(who.locale, "coordinator.checkin.usage"))]
    patient = await session.get(Person, patient_id)
    profile = await session.get(PatientProfile, patient_id) if patient else None
    if patient is None or profile is None:
        return [Reply(rt.text(who.locale, "coordinator.unknown_patient", patient_id=patient_id))]
    if profile.status != PatientStatus.ACTIVE:
        return [
            Reply(
                rt.text(
                    who.locale,
                    "coordinator.checkin.not_active",
                    patient_name=display_name(patient),
                    status=rt.text(who.locale, f"coordinator.status.{profile.status.value}"),
                )
            )
        ]
    prompt_key = outbox_keys.ask(patient.id, now)
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
                kind=MessageKind.FOLLOWUP,
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
    return [
        Reply(rt.text(who.locale, "coordinator.checkin.sent", patient_name=display_name(patient)))
    ]
