"""Coordinators in chat: thin adapters over services/coordinator_desk.

Every entry point there checks the coordinator role afresh; a refusal is audited, and so is
every view of a patient's data. Coordinator buttons are routed by family in telegram/app.
"""

from __future__ import annotations

from telegram import User

from reminderbot.runtime import Runtime
from reminderbot.services import coordinator_desk
from reminderbot.services.replies import Asker, Reply


def asker_of(user: User) -> Asker:
    """Who wrote or tapped, as services know them."""
    return Asker(user.id, user.first_name or "", user.language_code)


def awaits_text(awaiting: str | None) -> bool:
    """Whether a pending question is one a coordinator answers by typing."""
    return coordinator_desk.awaits_text(awaiting)


async def typed(rt: Runtime, user: User, text: str) -> list[Reply] | None:
    """A note, broadcast text or schedule value typed when asked; None when not asked."""
    return await coordinator_desk.typed(rt, asker_of(user), text)
