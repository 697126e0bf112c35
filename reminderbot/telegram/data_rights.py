"""/mydata and /delete: a person downloads or erases everything the bot keeps about them.

Thin adapters: the export, the erasure and their rights checks live in services/data_rights.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ContextTypes

from reminderbot.runtime import Runtime
from reminderbot.services import data_rights
from reminderbot.telegram.coordinator_flow import asker_of
from reminderbot.telegram.replies import close_keyboard, send_replies

Context = ContextTypes.DEFAULT_TYPE

class DataRightsHandlers:
    """Handlers for the data-rights commands and their confirmation buttons."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def mydata(self, update: Update, context: Context) -> None:
        """/mydata: a JSON file of everything stored about the asking person."""
        user = update.effective_user
        assert user is not None
        await send_replies(update, context, await data_rights.my_data(self.rt, asker_of(user)))

    async def delete(self, update: Update, context: Context) -> None:
        """/delete: explain what erasing means and ask to confirm with a button."""
        user = update.effective_user
        assert user is not None
        await send_replies(update, context, await data_rights.ask_delete(self.rt, asker_of(user)))

    async def button(self, update: Update, context: Context) -> None:
        """The confirmation buttons: only the person the question was asked of may answer."""
        query, user = update.callback_query, update.effective_user
        assert query is not None and user is not None
        answer = await data_rights.confirm_delete(self.rt, asker_of(user), query.data or "")
        if answer.reply is None:
            await query.answer(answer.refusal, show_alert=True)
            return
        await query.answer()
        await close_keyboard(update)
        await send_replies(update, context, [answer.reply])
