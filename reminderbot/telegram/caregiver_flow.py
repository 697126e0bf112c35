"""Caregivers in chat: /caregiver and invite links opened with /start.

Thin adapters: the use cases, their rights checks and audit live in services/caregivers; the
caregiver buttons are routed by family in telegram/app (services/button_taps).
"""

from __future__ import annotations

from telegram import User

from reminderbot.runtime import Runtime
from reminderbot.services import caregivers, onboarding
from reminderbot.services.replies import Reply
from reminderbot.telegram.coordinator_flow import asker_of


async def command(rt: Runtime, user: User, bot_username: str) -> list[Reply]:
    """/caregiver: invite and manage caregivers, or manage whom one follows."""
    return await caregivers.caregiver_command(
        rt, asker_of(user), bot_username, onboarding.current_step
    )


async def open_invite(rt: Runtime, user: User, token: str) -> list[Reply]:
    """`/start <token>`: the invite offer, or why the link cannot work."""
    return await caregivers.open_invite(rt, asker_of(user), token)
