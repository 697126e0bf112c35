"""Coordinators in chat: thin adapters over services/coordinator_desk.

Every entry point there checks the coordinator role afresh; a refusal is audited, and so is
every view of a patient's data.
"""

from __future__ import annotations

from telegram import User

from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import alert_worklist, coordinator_desk
from reminderbot.services.replies import Asker, Reply

ACTIONS = coordinator_desk.ACTIONS
# The Resolve button also sits under alert messages built in telegram/staff.
RESOLVE = alert_worklist.RESOLVE


def asker_of(user: User) -> Asker:
    """Who wrote or tapped, as services know them."""
    return Asker(user.id, user.first_name or "", user.language_code)


def awaits_text(awaiting: str | None) -> bool:
    """Whether a pending question is one a coordinator answers by typing."""
    return coordinator_desk.awaits_text(awaiting)


async def button(rt: Runtime, user: User, chat_id: int, data: callbacks.ButtonData) -> list[Reply]:
    """A coordinator button; the role is checked again in the service."""
    return await coordinator_desk.button(rt, asker_of(user), chat_id, data)


async def typed(rt: Runtime, user: User, text: str) -> list[Reply] | None:
    """A note, broadcast text or schedule value typed when asked; None when not asked."""
    return await coordinator_desk.typed(rt, asker_of(user), text)
