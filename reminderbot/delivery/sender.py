"""Sending an outbox payload through python-telegram-bot."""

from __future__ import annotations

from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup


def markup(buttons: list[list[list[str]]]) -> InlineKeyboardMarkup | None:
    """Build an inline keyboard from stored rows of [label, callback data]."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )


class BotSender:
    """Sends with a PTB Bot; errors propagate as PTB's exceptions for classification."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: int, payload: dict[str, Any]) -> int | None:
        """Send one message and return its Telegram message id."""
        message = await self.bot.send_message(
            chat_id, payload["text"], reply_markup=markup(payload.get("buttons") or [])
        )
        return message.message_id

    async def close(self) -> None:
        """Nothing to release: the Bot's owner shuts it down."""
