"""The one guard for buttons and commands: rights come from the database, refusals are audited.

Callback data and command arguments only say what was asked for; whether the tapping or
writing user may is looked up afresh here, as the button registry (delivery/buttons) declares.
Every refusal leaves an audit row `refused:<action>` with the asker's Telegram id, and only ids
and codes, never text the user sent.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.delivery.buttons import Right
from reminderbot.runtime import Runtime
from reminderbot.store.audience import is_coordinator
from reminderbot.store.models import CaregiverLink, Person
from reminderbot.store.people import add_audit

log = logging.getLogger(__name__)


def refuse(
    session: AsyncSession,
    asker_telegram_id: int,
    action: str,
    now: datetime,
    /,
    **ids: int | str | None,
) -> None:
    """Audit a refusal as `refused:<action>`; `ids` hold ids and codes only, never user text."""
    add_audit(
        session,
        at=now,
        action=f"refused:{action}",
        actor_telegram_id=asker_telegram_id,
        details={k: v for k, v in ids.items() if v is not None} or None,
    )
    log.warning("refused user=%d action=%s", asker_telegram_id, action)


async def has_right(
    rt: Runtime,
    session: AsyncSession,
    asker_telegram_id: int,
    person: Person | None,
    right: Right,
    patient_id: int | None = None,
) -> bool:
    """Whether the asker holds `right` (about `patient_id` when one is named), per the database."""
    if right is Right.ANYONE:
        return True
    if right is Right.COORDINATOR:
        return await is_coordinator(session, asker_telegram_id, rt.settings.coordinator_ids)
    if person is None:
        return False
    if right is Right.SELF:
        return patient_id is None or patient_id == person.id
    if right is Right.PATIENT:
        return person.patient is not None and patient_id in (None, person.id)
    if right is Right.CAREGIVER:
        return patient_id is not None and await _follows(session, person.id, patient_id)
    # PATIENT_OR_REPORTER: the check-in decides the details (services/checkins.may_answer).
    return person.patient is not None or await _follows_anyone(session, person.id)


async def _follows(session: AsyncSession, caregiver_id: int, patient_id: int) -> bool:
    link = await session.scalar(
        select(CaregiverLink.id).where(
            CaregiverLink.patient_id == patient_id,
            CaregiverLink.caregiver_id == caregiver_id,
            CaregiverLink.revoked_at.is_(None),
        )
    )
    return link is not None


async def _follows_anyone(session: AsyncSession, caregiver_id: int) -> bool:
    link = await session.scalar(
        select(CaregiverLink.id).where(
            CaregiverLink.caregiver_id == caregiver_id, CaregiverLink.revoked_at.is_(None)
        )
    )
    return link is not None
