"""Caregivers in chat: /caregiver, invite links opened with /start, and the caregiver buttons.

Thin adapters: the use cases, their rights checks and audit live in services/caregivers.
"""

from __future__ import annotations

from telegram import User

from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import caregivers, checkins, onboarding
from reminderbot.services.replies import Reply
from reminderbot.telegram.coordinator_flow import asker_of

ACTIONS = caregivers.ACTIONS


async def command(rt: Runtime, user: User, bot_username: str) -> list[Reply]:
    """/caregiver: invite and manage caregivers, or manage whom one follows."""
    return await caregivers.caregiver_command(
        rt, asker_of(user), bot_username, onboarding.current_step
    )


async def open_invite(rt: Runtime, user: User, token: str) -> list[Reply]:
    """`/start <token>`: the invite offer, or why the link cannot work."""
    return await caregivers.open_invite(rt, asker_of(user), token)


async def button(rt: Runtime, user: User, chat_id: int, data: callbacks.ButtonData) -> list[Reply]:
    """A caregiver button; [] when stale or not the tapping user's to press."""
    # A proxy score starts a check-in; that conversation is the check-in flow's.
    return await caregivers.button(rt, asker_of(user), chat_id, data, checkins.begin)
