"""The one send path of a process: its pacer and counters, and the outbox for failed replies.

The Application's rate limiter (`telegram/rate_limiter.py`) and the dispatcher share one
SendPath per process; a reply that cannot be sent after its retries is handed to
`OutboxDeferral` and the dispatcher keeps trying.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminderbot.clock import Clock
from reminderbot.delivery import outbox_keys
from reminderbot.delivery.kinds import MessageKind
from reminderbot.delivery.outbox import Message, enqueue
from reminderbot.delivery.pacing import Pacer
from reminderbot.delivery.stats import DispatchStats
from reminderbot.store.models import Person

log = logging.getLogger(__name__)

JSONDict = dict[str, Any]


@dataclass
class SendPath:
    """What every send of one process shares: the pacer and the counters."""

    pacer: Pacer
    stats: DispatchStats = field(default_factory=DispatchStats)
    # Called after a reply was put in the outbox: the dispatcher of this process looks at once.
    on_queued: Callable[[], None] | None = None


def shared_send_path(bot: Any) -> SendPath | None:
    """The send path of an Application's bot (its rate limiter's), for the same process."""
    send_path = getattr(getattr(bot, "rate_limiter", None), "send_path", None)
    return send_path if isinstance(send_path, SendPath) else None


class OutboxDeferral:
    """Puts a reply that could not be sent in the outbox, as kind "reply" (urgent, at least once).

    Text messages only: a photo or document is not stored (its error reaches the handler).
    """

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    async def __call__(self, endpoint: str, data: JSONDict) -> JSONDict | None:
        """Enqueue the message; return a Message-shaped result for python-telegram-bot."""
        chat_id = chat_id_of(data.get("chat_id"))
        text = data.get("text")
        if endpoint != "sendMessage" or chat_id is None or not isinstance(text, str):
            return None
        now = self.clock.now()
        async with self.sessions.begin() as session:
            recipient = await session.scalar(select(Person.id).where(Person.chat_id == chat_id))
            payload = {"text": text, "buttons": _buttons(data.get("reply_markup"))}
            await enqueue(
                session,
                [
                    Message(
                        chat_id=chat_id,
                        recipient_id=recipient,
                        kind=MessageKind.REPLY,
                        unique_key=outbox_keys.queued_reply(chat_id, uuid.uuid4().hex),
                        payload=payload,
                        not_before=now,
                    )
                ],
                now,
            )
        log.warning("reply queued in the outbox after failed attempts chat=%d", chat_id)
        return {
            "message_id": 0,
            "date": int(now.timestamp()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
            "text": text,
        }


def chat_id_of(value: Any) -> int | None:
    """A Bot API chat_id as a number, or None (a channel named by @username)."""
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return None


def _buttons(markup: Any) -> list[list[list[str]]]:
    """Rows of [label, callback data] from an inline keyboard (PTB object or its dict)."""
    if markup is None:
        return []
    if hasattr(markup, "to_dict"):
        markup = markup.to_dict()
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    return [
        [[str(b.get("text", "")), str(b.get("callback_data", ""))] for b in row]
        for row in rows or []
    ]
