"""PTB handlers: who is asking, parse, one step of the conversation, reply after commit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

from reminderbot.delivery import buttons
from reminderbot.delivery.buttons import Family
from reminderbot.runtime import Runtime
from reminderbot.services import (
    button_taps,
    coordinator_desk,
    help_texts,
    onboarding,
    patient_commands,
    subscription_settings,
    typed_text,
)
from reminderbot.services.replies import Asker
from reminderbot.telegram import (
    caregiver_flow,
    coordinator_flow,
    trend_handlers,
)
from reminderbot.telegram.replies import Reply, close_keyboard, send_replies
from reminderbot.telegram.update_log import failure_report

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


def asker_of(update: Update) -> Asker:
    """Who wrote or tapped, as the services need them: id, first name, app language."""
    user = update.effective_user
    assert user is not None
    return coordinator_flow.asker_of(user)


class Handlers:
    """The bot's update handlers, bound to the shared runtime."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def _reply_text(self, update: Update, context: Context, key: str) -> None:
        """Answer with one catalog text in the asking person's language."""
        replies = await help_texts.catalog_reply(self.rt, asker_of(update), key)
        await send_replies(update, context, replies)

    async def start(self, update: Update, context: Context) -> None:
        """/start: introduce and ask consent, continue onboarding, or show the schedule."""
        user = update.effective_user
        assert user is not None
        if context.args:
            # A deep link: t.me/<bot>?start=<invite token>.
            replies = await caregiver_flow.open_invite(self.rt, user, context.args[0])
        else:
            replies = await onboarding.start(self.rt, asker_of(update))
        await send_replies(update, context, replies)

    async def help(self, update: Update, context: Context) -> None:
        """/help: what the bot can do, with the deployment's contact numbers."""
        replies = await help_texts.help_replies(self.rt, asker_of(update))
        await send_replies(update, context, replies)

    async def settings(self, update: Update, context: Context) -> None:
        """/settings: current values with a button for each."""
        replies = await subscription_settings.show(self.rt, asker_of(update))
        await send_replies(update, context, replies)

    async def stop(self, update: Update, context: Context) -> None:
        """/stop: unsubscribe; nothing more is sent until /start."""
        replies = await subscription_settings.unsubscribe(self.rt, asker_of(update))
        await send_replies(update, context, replies)

    async def calcium(self, update: Update, context: Context) -> None:
        """/calcium: log a blood calcium result at any time."""
        replies = await patient_commands.calcium(self.rt, asker_of(update))
        await send_replies(update, context, replies)

    async def pain(self, update: Update, context: Context) -> None:
        """/pain: a check-in now, whatever the schedule."""
        message_id = update.effective_message.message_id if update.effective_message else 0
        replies = await patient_commands.pain(self.rt, asker_of(update), message_id)
        await send_replies(update, context, replies)

    async def _coordinator_command(
        self,
        update: Update,
        context: Context,
        act: Callable[[Asker, int], Awaitable[list[Reply]]],
    ) -> None:
        """Run a coordinator command; the service refuses anyone else kindly and audits it."""
        user, chat = update.effective_user, update.effective_chat
        assert user is not None and chat is not None
        replies = await act(coordinator_flow.asker_of(user), chat.id)
        await send_replies(update, context, replies)

    async def alerts(self, update: Update, context: Context) -> None:
        """/alerts: the open alerts, oldest first, with Acknowledge and Resolve."""
        await self._coordinator_command(
            update, context, lambda asker, chat_id: coordinator_desk.alerts(self.rt, asker, chat_id)
        )

    async def broadcast(self, update: Update, context: Context) -> None:
        """/broadcast: a message to every patient or one program's, after a confirmation."""
        await self._coordinator_command(
            update,
            context,
            lambda asker, chat_id: coordinator_desk.broadcast(self.rt, asker, chat_id),
        )

    async def checkin(self, update: Update, context: Context) -> None:
        """/checkin <patient id>: ask a patient for a pain check-in now."""
        args = list(context.args or [])
        await self._coordinator_command(
            update,
            context,
            lambda asker, chat_id: coordinator_desk.checkin(self.rt, asker, chat_id, args),
        )

    async def patients(self, update: Update, context: Context) -> None:
        """/patients [page]: the roster, most worrying first."""
        args = list(context.args or [])
        await self._coordinator_command(
            update,
            context,
            lambda asker, chat_id: coordinator_desk.patients(self.rt, asker, chat_id, args),
        )

    async def patient(self, update: Update, context: Context) -> None:
        """/patient <id>: one patient's details, then their pain chart."""
        user, chat = update.effective_user, update.effective_chat
        assert user is not None and chat is not None
        args = list(context.args or [])
        shown = await coordinator_desk.patient(
            self.rt, coordinator_flow.asker_of(user), chat.id, args
        )
        await send_replies(update, context, shown.replies)
        if shown.patient_id is not None:
            await trend_handlers.send_trend(self.rt, update, context)

    async def schedule(self, update: Update, context: Context) -> None:
        """/schedule <id>: view and change a patient's schedules or assign a program."""
        args = list(context.args or [])
        await self._coordinator_command(
            update,
            context,
            lambda asker, chat_id: coordinator_desk.schedule(self.rt, asker, chat_id, args),
        )

    async def caregiver(self, update: Update, context: Context) -> None:
        """/caregiver: invite a caregiver and manage them, or manage whom one follows."""
        user = update.effective_user
        assert user is not None
        replies = await caregiver_flow.command(self.rt, user, context.bot.username)
        await send_replies(update, context, replies)

    async def trend(self, update: Update, context: Context) -> None:
        """/trend [patient id]: a chart of the last 30 days of pain scores."""
        await trend_handlers.send_trend(self.rt, update, context)

    async def text(self, update: Update, context: Context) -> None:
        """Free text: the answer to the pending question, or a short helpful reply."""
        user, message = update.effective_user, update.effective_message
        assert user is not None and message is not None
        typed = message.text or ""
        replies = await typed_text.answer(self.rt, asker_of(update), typed)
        log.info("text user=%d length=%d", user.id, len(typed))
        await send_replies(update, context, replies)

    async def unknown_command(self, update: Update, context: Context) -> None:
        """A command the bot does not have."""
        await self._reply_text(update, context, "common.unknown_command")

    async def not_text(self, update: Update, context: Context) -> None:
        """Stickers, photos, voice notes: the bot reads text only."""
        await self._reply_text(update, context, "common.not_text")

    async def group_message(self, update: Update, context: Context) -> None:
        """Commands in a group: health talk belongs in a private chat."""
        user = update.effective_user
        locale = self.rt.catalog.resolve_locale(user.language_code if user else None)
        await send_replies(update, context, [Reply(self.rt.text(locale, "common.private_only"))])

    def button(
        self, family: Family | None
    ) -> Callable[[Update, Context], Coroutine[Any, Any, None]]:
        """The handler of one family of inline buttons (None: data no registered action has)."""
        tap = button_taps.BY_FAMILY[family] if family is not None else button_taps.unknown

        async def handle(update: Update, context: Context) -> None:
            query, user = update.callback_query, update.effective_user
            assert query is not None and user is not None
            data = query.data or ""
            chat_id = query.message.chat.id if query.message else user.id
            # The data only names what was tapped; the service checks the tapper's rights.
            tapped = await tap(self.rt, asker_of(update), chat_id, data)
            log.info(
                "button user=%d action=%s handled=%s",
                user.id,
                buttons.action_of(data),
                bool(tapped.replies),
            )
            if tapped.replies:
                await query.answer()
                await close_keyboard(update)
                await send_replies(update, context, tapped.replies)
            else:
                await query.answer(self.rt.text(tapped.locale, "common.stale_button"))
                await close_keyboard(update)

        return handle

    async def error(self, update: object, context: Context) -> None:
        """Log the failure by ids and tell the person something went wrong, kindly."""
        update_id = update.update_id if isinstance(update, Update) else None
        # Ids, the update's type and a traceback without exception messages: a message (a
        # driver's or our own) can quote what the person typed.
        log.error("handler failed %s", failure_report(update, context.error))
        if isinstance(update, Update) and update.effective_chat is not None:
            user = update.effective_user
            locale = self.rt.catalog.resolve_locale(user.language_code if user else None)
            try:
                await context.bot.send_message(
                    update.effective_chat.id, self.rt.text(locale, "common.error")
                )
            except Exception:
                log.warning("could not send the error reply update=%s", update_id)
