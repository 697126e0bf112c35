"""Small helpers shared by the onboarding and settings service tests."""

from __future__ import annotations

from sqlalchemy import func, select

from reminderbot.services.replies import Asker, Reply
from reminderbot.store.models import AuditEvent, PatientProfile, Person
from reminderbot.store.people import find_person
from tests.services.conftest import World

# Telegram ids of the seeded people (tests/services/seed.py).
ZOE_TG = 5001  # active, Europe/Berlin
ADA_TG = 5002  # active, Asia/Shanghai
BOB_TG = 5003  # paused
CARL_TG = 5004  # stopped
DANA_TG = 5005  # agreed, still onboarding, nothing answered yet
EVE_TG = 5006  # unreachable
STRANGER_TG = 9001  # has never written


def asker(telegram_id: int, first_name: str = "Mia", language_code: str | None = "en") -> Asker:
    """Someone writing or tapping, as the Telegram adapter describes them."""
    return Asker(telegram_id, first_name, language_code)


async def load(world: World, telegram_id: int) -> Person:
    """The stored person with their profile and schedules, read in a fresh session."""
    async with world.sessions() as session:
        person = await find_person(session, telegram_id)
    assert person is not None
    return person


async def row_counts(world: World) -> tuple[int, int, int]:
    """How many people, patient profiles and audit events are stored."""
    async with world.sessions() as session:
        return (
            await session.scalar(select(func.count()).select_from(Person)) or 0,
            await session.scalar(select(func.count()).select_from(PatientProfile)) or 0,
            await session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


async def audit_actions(world: World, telegram_id: int) -> list[str]:
    """The audited actions of one Telegram user, oldest first."""
    async with world.sessions() as session:
        rows = await session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.actor_telegram_id == telegram_id)
            .order_by(AuditEvent.id)
        )
        return list(rows)


def button_data(reply: Reply) -> list[str]:
    """The callback data of a reply's buttons, row by row."""
    return [data for row in reply.buttons for _, data in row]
