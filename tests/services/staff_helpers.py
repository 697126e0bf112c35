"""Small shared helpers for the coordinator and caregiver service tests."""

from __future__ import annotations

from sqlalchemy import select

from reminderbot.services.replies import Asker, Reply
from reminderbot.store.models import AuditEvent, OutboxDelivery
from tests.services.conftest import World
from tests.services.seed import CAREGIVER_TG, COORDINATOR_TG

NURSE = Asker(COORDINATOR_TG, "Kim", "en")
CARER = Asker(CAREGIVER_TG, "Charles", "en")
STRANGER = Asker(9999, "Eve", "en")


async def audits(world: World, action: str) -> list[AuditEvent]:
    """Audit events with this action, oldest first."""
    async with world.sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list((await session.scalars(stmt)).all())


async def outbox(world: World, kind: str | None = None) -> list[OutboxDelivery]:
    """Outbox rows (of one kind), oldest first."""
    async with world.sessions() as session:
        stmt = select(OutboxDelivery).order_by(OutboxDelivery.id)
        if kind is not None:
            stmt = stmt.where(OutboxDelivery.kind == kind)
        return list((await session.scalars(stmt)).all())


def button(reply: Reply, label: str) -> str:
    """The callback data of the button with this label."""
    return next(data for row in reply.buttons for text, data in row if text == label)
