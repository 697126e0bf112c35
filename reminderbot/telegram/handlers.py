"""PTB handlers: who is asking, parse, one step of the conversation, reply after commit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update, User
from telegram.ext import ContextTypes

from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import (
    alerts,
    calcium_results,
    caregivers,
    checkin_questions,
    checkins,
    coordinator_desk,
    help_texts,
    onboarding,
    scheduled_answers,
    subscription_answers,
    subscription_settings,
    typed_text,
)
from reminderbot.services.replies import Asker
from reminderbot.store.models import Person
from reminderbot.store.people import find_person
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

    def _consent_needed(self, user: User, person: Person | None = None) -> Reply:
        """What comes first for someone without a subscription (used by patient commands)."""
        return onboarding.consent_needed(self.rt, user.language_code, person)

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

    async def _patient_command(
        self,
        update: Update,
        context: Context,
        act: Callable[[Person, datetime], list[Reply]],
        for_caregiver: Callable[[AsyncSession, Person], Awaitable[list[Reply] | None]]
        | None = None,
    ) -> None:
        """Run a patient command; before consent or mid-onboarding, say what comes first."""
        user = update.effective_user
        assert user is not None
        now = self.rt.clock.now()
        async with self.rt.sessions.begin() as session:
            person = await find_person(session, user.id)
            caregiver_replies = (
                await for_caregiver(session, person)
                if for_caregiver is not None and person is not None and person.patient is None
                else None
            )
            if caregiver_replies is not None:
                replies = caregiver_replies
            elif person is None or person.patient is None:
                replies = [self._consent_needed(user, person)]
            elif onboarding.is_onboarding(person):
                replies = onboarding.current_step(self.rt, person)
            else:
                replies = act(person, now)
        await send_replies(update, context, replies)

    async def calcium(self, update: Update, context: Context) -> None:
        """/calcium: log a blood calcium result at any time."""
        await self._patient_command(
            update, context, lambda person, _now: calcium_results.ask_calcium(self.rt, person)
        )

    async def pain(self, update: Update, context: Context) -> None:
        """/pain: a check-in now, whatever the schedule."""
        message_id = update.effective_message.message_id if update.effective_message else 0

        def prompt(person: Person, now: datetime) -> list[Reply]:
            return [checkin_questions.pain_prompt(self.rt, person, now, message_id)]

        async def proxy(session: AsyncSession, person: Person) -> list[Reply] | None:
            return await caregivers.proxy_pain(self.rt, session, person)

        await self._patient_command(update, context, prompt, proxy)

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

    async def button(self, update: Update, context: Context) -> None:
        """Any inline button: the data says what was tapped; rights come from the tapping user."""
        query = update.callback_query
        user = update.effective_user
        assert query is not None and user is not None
        data = query.data or ""
        chat_id = query.message.chat.id if query.message else user.id
        parsed = callbacks.parse(data)
        if parsed is None:
            # Consent, onboarding and settings buttons (and stale ones nobody answers).
            tapped = await subscription_answers.answer_tap(self.rt, asker_of(update), chat_id, data)
            replies, locale = tapped.replies, tapped.locale
        else:
            replies, locale = await self._action_button(user, chat_id, parsed)
        # The action's name only: the rest of the data can be an invite token.
        action = data.split("|")[0].split(":")[0]
        log.info("button user=%d action=%s handled=%s", user.id, action, bool(replies))
        if replies:
            await query.answer()
            await close_keyboard(update)
            await send_replies(update, context, replies)
        else:
            await query.answer(self.rt.text(locale, "common.stale_button"))
            await close_keyboard(update)

    async def _action_button(
        self, user: User, chat_id: int, parsed: callbacks.ButtonData
    ) -> tuple[list[Reply], str]:
        """Coordinator, caregiver and scheduled-message buttons; the replies and their locale."""
        now = self.rt.clock.now()
        async with self.rt.sessions.begin() as session:
            person = await find_person(session, user.id)
            if parsed.action in coordinator_flow.ACTIONS:
                replies = await coordinator_flow.button(self.rt, user, chat_id, parsed)
            elif parsed.action in caregiver_flow.ACTIONS:
                replies = await caregiver_flow.button(self.rt, user, chat_id, parsed)
            else:
                replies = await self._scheduled_button(session, user, person, parsed, now)
        return replies, self.rt.locale_for(user.language_code, person)

    async def _scheduled_button(
        self,
        session: AsyncSession,
        user: User,
        person: Person | None,
        data: callbacks.ButtonData,
        now: datetime,
    ) -> list[Reply]:
        """Buttons on scheduled messages, check-in questions and alerts."""
        if data.action == alerts.ACK:
            asker = Asker(user.id, user.first_name, user.language_code)
            return await alerts.acknowledge_tap(self.rt, session, asker, person, data.key, now)
        if person is None:
            return []
        if data.action == checkin_questions.STEP:
            return await checkins.answer_tap(self.rt, session, person, data.key, data.value, now)
        if person.patient is None:
            return []
        return await scheduled_answers.answer_button(self.rt, session, person, data, now) or []

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
