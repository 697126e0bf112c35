"""What every coordinator tool shares: who acts, typed input errors, and looking patients up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from reminderbot.store.models import PatientProfile, Person
from reminderbot.store.people import add_audit

if TYPE_CHECKING:
    from reminderbot.content import Catalog

# Telegram user ids are positive and fit in 52 bits (Bot API: "at most 52 significant bits").
MAX_TELEGRAM_ID = 2**52
# ASCII digits only: `\d` would also take "١٢" or "１２", which nobody means as a number.
_PATIENT_ID_RE = re.compile(r"#?([0-9]{1,9})")


class AdminInputError(ValueError):
    """Bad input to a coordinator tool: a catalog key and its values, shown in the asker's language.

    Raised before anything is changed, so the caller's transaction holds nothing to undo.
    """

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values

    def render(self, catalog: Catalog, locale: str) -> str:
        """The message in `locale`, e.g. for a CLI line or a Telegram reply."""
        return catalog.text(locale, self.key, **self.values)


@dataclass(frozen=True)
class Actor:
    """Who makes a coordinator change, for the audit log: the CLI, or a coordinator in Telegram."""

    via: str
    telegram_id: int | None = None


CLI_ACTOR = Actor(via="cli")


def audit(
    session: AsyncSession,
    actor: Actor,
    now: datetime,
    action: str,
    subject_person_id: int | None = None,
    **details: Any,
) -> None:
    """Record a coordinator change (ids and codes only, never names or free text)."""
    add_audit(
        session,
        at=now,
        action=action,
        actor_telegram_id=actor.telegram_id,
        subject_person_id=subject_person_id,
        details={"via": actor.via, **details},
    )


def parse_patient_id(text: str) -> int:
    """Read a patient number as shown in lists and alerts ("12" or "#12")."""
    match = _PATIENT_ID_RE.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise AdminInputError("admin.patient.bad_id", typed=text.strip()[:40])
    return int(match.group(1))


def parse_telegram_id(text: str) -> int:
    """Read a Telegram user id: a positive whole number."""
    value = text.strip()
    if not re.fullmatch(r"[0-9]{1,19}", value) or not 0 < int(value) < MAX_TELEGRAM_ID:
        raise AdminInputError("admin.coordinator.bad_id", typed=value[:40])
    return int(value)


def parse_page(text: str) -> int:
    """Read a page number, counted from 1."""
    value = text.strip()
    if not re.fullmatch(r"[0-9]{1,7}", value) or not 0 < int(value) < 1_000_000:
        raise AdminInputError("admin.page.bad", typed=value[:40])
    return int(value)


def parse_day(text: str) -> date:
    """Read a calendar date written YYYY-MM-DD."""
    value = text.strip()
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise AdminInputError("admin.date.bad", typed=value[:40]) from None


async def load_patient(session: AsyncSession, patient_id: int) -> Person:
    """The person with a patient profile and schedules behind a patient number, or an error."""
    person = await session.scalar(
        select(Person)
        .join(PatientProfile, PatientProfile.person_id == Person.id)
        .where(Person.id == patient_id)
        .options(selectinload(Person.patient).selectinload(PatientProfile.schedules))
    )
    if person is None or person.patient is None:
        raise AdminInputError("admin.patient.unknown", patient_id=patient_id)
    return person
