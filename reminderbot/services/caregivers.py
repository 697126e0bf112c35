"""Caregivers: single-use invite tokens, links with receive options, revocation and leaving.

Tokens are random (secrets), shown once in the invite link and stored only as a SHA-256 hash,
so a database copy cannot be used to join as someone's caregiver.
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from reminderbot.store.models import (
    Alert,
    CaregiverLink,
    DeliveryState,
    InviteToken,
    OutboxDelivery,
    Person,
)

# 18 random bytes: 24 URL-safe characters, well inside Telegram's 64-character start parameter.
TOKEN_BYTES = 18
TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
MAX_TOKEN_LENGTH = 64


class InviteStatus(enum.StrEnum):
    """What an invite token turned out to be when someone opened it."""

    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    OWN = "own"
    ALREADY_LINKED = "already_linked"


class ReceiveOption(enum.StrEnum):
    """What a caregiver chose to receive; alerts are always part of it."""

    ALERTS = "alerts"
    COPIES = "copies"
    WEEKLY = "weekly"
    ALL = "all"


@dataclass(frozen=True)
class InviteCheck:
    """The outcome of looking up a token: its status and, when found, the invite and patient."""

    status: InviteStatus
    invite: InviteToken | None = None
    patient: Person | None = None


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_token(text: str) -> bool:
    """Whether a /start parameter could be an invite token at all (cheap check before the DB)."""
    return 16 <= len(text) <= MAX_TOKEN_LENGTH and set(text) <= TOKEN_ALPHABET


def create_invite(session: AsyncSession, patient: Person, now: datetime, ttl: timedelta) -> str:
    """Store a new single-use invite for `patient` and return the token (shown only once)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        InviteToken(
            token_hash=hash_token(token),
            patient_id=patient.id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return token


async def check_invite(
    session: AsyncSession, token: str, invitee_telegram_id: int, now: datetime
) -> InviteCheck:
    """Look a token up and say whether this Telegram user may accept it now."""
    if not looks_like_token(token):
        return InviteCheck(InviteStatus.UNKNOWN)
    invite = await session.scalar(
        select(InviteToken).where(InviteToken.token_hash == hash_token(token))
    )
    if invite is None:
        return InviteCheck(InviteStatus.UNKNOWN)
    patient = await session.get(Person, invite.patient_id, options=[selectinload(Person.patient)])
    if patient is None or patient.patient is None:
        return InviteCheck(InviteStatus.REVOKED, invite)
    if invite.revoked_at is not None:
        return InviteCheck(InviteStatus.REVOKED, invite, patient)
    if invite.used_at is not None:
        return InviteCheck(InviteStatus.USED, invite, patient)
    if invite.expires_at <= now:
        return InviteCheck(InviteStatus.EXPIRED, invite, patient)
    if patient.telegram_user_id == invitee_telegram_id:
        return InviteCheck(InviteStatus.OWN, invite, patient)
    existing = await session.scalar(
        select(CaregiverLink)
        .join(Person, Person.id == CaregiverLink.caregiver_id)
        .where(
            CaregiverLink.patient_id == patient.id,
            Person.telegram_user_id == invitee_telegram_id,
            CaregiverLink.revoked_at.is_(None),
        )
    )
    if existing is not None:
        return InviteCheck(InviteStatus.ALREADY_LINKED, invite, patient)
    return InviteCheck(InviteStatus.VALID, invite, patient)


async def use_invite(
    session: AsyncSession, invite: InviteToken, caregiver: Person, now: datetime
) -> CaregiverLink | None:
    """Spend the invite and link the caregiver; None when another tap spent it first."""
    # A conditional UPDATE, so two people racing for one link cannot both get it.
    spent = await session.execute(
        update(InviteToken)
        .where(
            InviteToken.id == invite.id,
            InviteToken.used_at.is_(None),
            InviteToken.revoked_at.is_(None),
            InviteToken.expires_at > now,
        )
        .values(used_at=now, used_by_id=caregiver.id)
        .execution_options(synchronize_session=False)
    )
    if not getattr(spent, "rowcount", 0):
        return None
    link = CaregiverLink(
        patient_id=invite.patient_id,
        caregiver_id=caregiver.id,
        receives_alerts=True,
        receives_copies=False,
        receives_weekly=False,
        created_at=now,
    )
    session.add(link)
    await session.flush()
    return link


async def open_invites(session: AsyncSession, patient_id: int, now: datetime) -> list[InviteToken]:
    """Invites of a patient that could still be accepted, newest first."""
    stmt = (
        select(InviteToken)
        .where(
            InviteToken.patient_id == patient_id,
            InviteToken.used_at.is_(None),
            InviteToken.revoked_at.is_(None),
            InviteToken.expires_at > now,
        )
        .order_by(InviteToken.created_at.desc())
    )
    return list((await session.scalars(stmt)).all())


async def cancel_open_invites(session: AsyncSession, patient_id: int, now: datetime) -> int:
    """Revoke every invite of the patient that has not been used; returns how many."""
    result = await session.execute(
        update(InviteToken)
        .where(
            InviteToken.patient_id == patient_id,
            InviteToken.used_at.is_(None),
            InviteToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class LinkView:
    """One active caregiver link with the other side's person."""

    link: CaregiverLink
    other: Person


async def caregivers_of(session: AsyncSession, patient_id: int) -> list[LinkView]:
    """Active caregivers of a patient, oldest link first."""
    stmt = (
        select(CaregiverLink, Person)
        .join(Person, Person.id == CaregiverLink.caregiver_id)
        .where(CaregiverLink.patient_id == patient_id, CaregiverLink.revoked_at.is_(None))
        .order_by(CaregiverLink.created_at, CaregiverLink.id)
    )
    return [LinkView(link, person) for link, person in (await session.execute(stmt)).all()]


async def patients_of(session: AsyncSession, caregiver_id: int) -> list[LinkView]:
    """Patients a caregiver follows, oldest link first."""
    stmt = (
        select(CaregiverLink, Person)
        .join(Person, Person.id == CaregiverLink.patient_id)
        .where(CaregiverLink.caregiver_id == caregiver_id, CaregiverLink.revoked_at.is_(None))
        .order_by(CaregiverLink.created_at, CaregiverLink.id)
        .options(selectinload(Person.patient))
    )
    return [LinkView(link, person) for link, person in (await session.execute(stmt)).all()]


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


def set_receive_option(link: CaregiverLink, option: ReceiveOption) -> None:
    """Apply a caregiver's choice; alerts stay on whatever they choose."""
    link.receives_alerts = True
    link.receives_copies = option in (ReceiveOption.COPIES, ReceiveOption.ALL)
    link.receives_weekly = option in (ReceiveOption.WEEKLY, ReceiveOption.ALL)


def receive_option(link: CaregiverLink) -> ReceiveOption:
    """The option that matches a link's current flags."""
    if link.receives_copies and link.receives_weekly:
        return ReceiveOption.ALL
    if link.receives_copies:
        return ReceiveOption.COPIES
    if link.receives_weekly:
        return ReceiveOption.WEEKLY
    return ReceiveOption.ALERTS


async def end_link(session: AsyncSession, link: CaregiverLink, now: datetime) -> int:
    """Revoke (or leave) a link at once; cancels queued messages about the patient to them.

    Returns how many queued messages were cancelled. The dispatcher only starts a send on a row
    that is still pending, so nothing cancelled here goes out, even if a worker holds it.
    """
    link.revoked_at = now
    return await cancel_queued_about(session, link.caregiver_id, link.patient_id)


async def cancel_queued_about(session: AsyncSession, recipient_id: int, patient_id: int) -> int:
    """Cancel pending outbox rows to `recipient_id` that concern `patient_id`."""
    rows = (
        await session.execute(
            select(OutboxDelivery.id, OutboxDelivery.payload).where(
                OutboxDelivery.recipient_id == recipient_id,
                OutboxDelivery.state == DeliveryState.PENDING,
            )
        )
    ).all()
    if not rows:
        return 0
    alert_ids = {row.payload.get("alert_id") for row in rows} - {None}
    alert_patients: dict[int, int] = {}
    if alert_ids:
        found = await session.execute(
            select(Alert.id, Alert.patient_id).where(Alert.id.in_(alert_ids))
        )
        alert_patients = {alert_id: pid for alert_id, pid in found.all()}
    doomed = [
        row.id
        for row in rows
        if row.payload.get("patient_id") == patient_id
        or alert_patients.get(row.payload.get("alert_id", -1)) == patient_id
    ]
    return await _cancel(session, doomed)


async def _cancel(session: AsyncSession, ids: Sequence[int]) -> int:
    if not ids:
        return 0
    result = await session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id.in_(ids), OutboxDelivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.CANCELLED, last_error="caregiver link ended")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
