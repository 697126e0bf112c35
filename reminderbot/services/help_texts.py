"""Fixed answers in the asker's language: /help, unknown commands, messages that are not text."""

from __future__ import annotations

from reminderbot.runtime import Runtime
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.audience import is_coordinator
from reminderbot.store.people import find_person


async def help_replies(rt: Runtime, asker: Asker) -> list[Reply]:
    """/help: what the bot can do; coordinators also get their own commands."""
    async with rt.sessions() as session:
        person = await find_person(session, asker.telegram_id)
        staff_member = await is_coordinator(session, asker.telegram_id, rt.settings.coordinator_ids)
    locale = rt.locale_for(asker.language_code, person)
    replies = [Reply(rt.text(locale, "common.help"))]
    if staff_member:
        replies.append(Reply(rt.text(locale, "coordinator.help")))
    return replies


async def catalog_reply(rt: Runtime, asker: Asker, key: str) -> list[Reply]:
    """One catalog text in the asker's language (their stored one, else their app's)."""
    async with rt.sessions() as session:
        person = await find_person(session, asker.telegram_id)
    return [Reply(rt.text(rt.locale_for(asker.language_code, person), key))]
