"""Sending the Replies that services computed, after their transaction committed."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from reminderbot.services.replies import Reply, keyboard

__all__ = ["Reply", "close_keyboard", "keyboard", "markup", "send_replies"]


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    """Return the reply's inline keyboard (label, callback data) or None."""
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in reply.buttons
        ]
    )


async def send_replies(
    update: Update, context: ContextTypes.DEFAULT_TYPE, replies: Sequence[Reply]
) -> None:
    """Send replies, in order, to the chat the update came from."""
    chat = update.effective_chat
    if chat is None:
        return
    for reply in replies:
        if reply.photo is not None:
            await context.bot.send_photo(
                chat.id, reply.photo, caption=reply.text or None, reply_markup=markup(reply)
            )
        elif reply.document is not None:
            name, content = reply.document
            await context.bot.send_document(
                chat.id,
                content,
                filename=name,
                caption=reply.text or None,
                reply_markup=markup(reply),
            )
        else:
            await context.bot.send_message(chat.id, reply.text, reply_markup=markup(reply))


async def close_keyboard(update: Update) -> None:
    """Remove the buttons from the message that was tapped, so it cannot be tapped twice."""
    query = update.callback_query
    if query is None or query.message is None:
        return
    message = query.message
    if getattr(message, "reply_markup", None) is None:
        return
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except BadRequest as exc:
        # A quick double tap: the first tap already closed this keyboard.
        if "not modified" not in str(exc).lower():
            raise
