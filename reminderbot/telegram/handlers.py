"""PTB handlers: who is asking, parse, one step of the conversation, reply after commit."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update, User
from telegram.ext import ContextTypes

from reminderbot.care.timezones import is_valid_timezone
from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import (
    alerts,
    calcium_results,
    caregivers,
    checkin_questions,
    checkins,
    coordinator_desk,
    scheduled_answers,
    subscriptions,
)
from reminderbot.services.replies import Asker
from reminderbot.store.audience import is_coordinator
from reminderbot.store.models import PatientStatus, Person
from reminderbot.store.people import find_person
from reminderbot.telegram import (
    caregiver_flow,
    coordinator_flow,
    flows,
    prompts,
    trend_handlers,
)
from reminderbot.telegram.replies import Reply, close_keyboard, send_replies

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE


class Handlers:
    """The bot's update handlers, bound to the shared runtime."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    async def _reply_text(self, update: Update, context: Context, key: str) -> None:
        """Answer with one catalog text in the asking person's language."""
        user = update.effective_user
        assert user is not None
        async with self.rt.sessions() as session:
            person = await find_person(session, user.id)
        locale = self.rt.locale_for(user.language_code, person)
        await send_replies(update, context, [Reply(self.rt.text(locale, key))])

    def _consent_needed(self, user: User, person: Person | None = None) -> Reply:
        if person is not None and person.patient is None:
            # A caregiver or coordinator without a subscription of their own.
            return Reply(self.rt.text(person.language, "caregiver.not_a_patient_help"))
        return Reply(
            self.rt.text(self.rt.locale_for(user.language_code, None), "onboarding.consent.needed")
        )

    async def start(self, update: Update, context: Context) -> None:
        """/start: introduce and ask consent, continue onboarding, or show the schedule."""
        user = update.effective_user
        assert user is not None
        now = self.rt.clock.now()
        async with self.rt.sessions.begin() as session:
            person = await find_person(session, user.id)
            if context.args:
                # A deep link: t.me/<bot>?start=<invite token>.
                replies = await caregiver_flow.open_invite(self.rt, user, context.args[0])
            elif person is None or person.patient is None:
                # Nothing is stored before consent: the introduction is built from the update.
                replies = [
                    prompts.welcome(
                        self.rt, self.rt.locale_for(user.language_code, None), user.first_name
                    )
                ]
            elif flows.is_onboarding(person):
                replies = flows.current_step(self.rt, person)
            elif person.patient.status in (PatientStatus.STOPPED, PatientStatus.UNREACHABLE):
                subscriptions.resubscribe(session, person, now)
                replies = [
                    prompts.schedule_summary(self.rt, person, "onboarding.summary.welcome_back")
                ]
            else:
                replies = [
                    prompts.schedule_summary(
                        self.rt, person, "onboarding.summary.already_subscribed"
                    )
                ]
        log.info("start user=%d known=%s", user.id, person is not None)
        await send_replies(update, context, replies)

    async def help(self, update: Update, context: Context) -> None:
        """/help: what the bot can do, with the deployment's contact numbers."""
        user = update.effective_user
        assert user is not None
        async with self.rt.sessions() as session:
            person = await find_person(session, user.id)
            staff_member = await is_coordinator(session, user.id, self.rt.settings.coordinator_ids)
        locale = self.rt.locale_for(user.language_code, person)
        replies = [Reply(self.rt.text(locale, "common.help"))]
        if staff_member:
            replies.append(Reply(self.rt.text(locale, "coordinator.help")))
        await send_replies(update, context, replies)

    async def settings(self, update: Update, context: Context) -> None:
        """/settings: current values with a button for each."""
        user = update.effective_user
        assert user is not None
        async with self.rt.sessions.begin() as session:
            person = await find_person(session, user.id)
            replies = self._settings_replies(user, person)
        await send_replies(update, context, replies)

    def _settings_replies(self, user: User, person: Person | None) -> list[Reply]:
        if person is None or person.patient is None:
            return [self._consent_needed(user, person)]
        if flows.is_onboarding(person):
            first = Reply(self.rt.text(person.language, "settings.finish_onboarding_first"))
            return [first, *flows.current_step(self.rt, person)[1:]]
        if person.patient.status == PatientStatus.STOPPED:
            return [Reply(self.rt.text(person.language, "settings.not_subscribed"))]
        person.awaiting = None
        return [prompts.settings_overview(self.rt, person)]

    async def stop(self, update: Update, context: Context) -> None:
        """/stop: unsubscribe; nothing more is sent until /start."""
        user = update.effective_user
        assert user is not None
        now = self.rt.clock.now()
        async with self.rt.sessions.begin() as session:
            person = await find_person(session, user.id)
            if person is None or person.patient is None:
                replies = [self._consent_needed(user, person)]
            elif person.patient.status in (PatientStatus.STOPPED, PatientStatus.UNREACHABLE):
                replies = [Reply(self.rt.text(person.language, "settings.stop.already"))]
            else:
                cancelled = await subscriptions.stop(session, person, now)
                log.info("stop user=%d cancelled_deliveries=%d", user.id, cancelled)
                replies = [Reply(self.rt.text(person.language, "settings.stop.done"))]
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
            elif flows.is_onboarding(person):
                replies = flows.current_step(self.rt, person)
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
        now = self.rt.clock.now()
        async with self.rt.sessions.begin() as session:
            person = await find_person(session, user.id)
            proxy_answer = (
                person is not None
                and person.patient is None
                and (person.awaiting or "").startswith(checkins.AWAIT_PREFIX)
            )
            staff_answer = person is not None and coordinator_flow.awaits_text(person.awaiting)
            if staff_answer:
                replies = await self._coordinator_text(user, typed)
            elif proxy_answer:
                assert person is not None
                replies = await flows.free_text(self.rt, session, person, typed, now)
            elif person is None or person.patient is None:
                replies = [self._consent_needed(user, person)]
            else:
                replies = await flows.free_text(self.rt, session, person, typed, now)
        log.info("text user=%d length=%d", user.id, len(typed))
        await send_replies(update, context, replies)

    async def _coordinator_text(self, user: User, typed: str) -> list[Reply]:
        """A resolution note, a broadcast text or a schedule value; the role is checked again."""
        return await coordinator_flow.typed(self.rt, user, typed) or []

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
        now = self.rt.clock.now()
        async with self.rt.sessions.begin() as session:
            person = await find_person(session, user.id)
            if data == prompts.CONSENT_YES and person is None:
                person = subscriptions.record_consent(
                    session,
                    subscriptions.NewPerson(
                        telegram_user_id=user.id,
                        chat_id=query.message.chat.id if query.message else user.id,
                        display_name=(user.first_name or "")[:128] or None,
                        language=self.rt.locale_for(user.language_code, None),
                        timezone=self.rt.settings.default_timezone,
                    ),
                    now,
                )
                replies = [
                    Reply(self.rt.text(person.language, "onboarding.consent.agreed")),
                    *flows.first_step(self.rt, person),
                ]
            elif data == prompts.CONSENT_YES and person.patient is None:
                subscriptions.add_patient_profile(session, person, now)
                if not person.display_name and user.first_name:
                    person.display_name = user.first_name[:128]
                replies = [
                    Reply(self.rt.text(person.language, "onboarding.consent.agreed")),
                    *flows.first_step(self.rt, person),
                ]
            elif (parsed := callbacks.parse(data)) is not None:
                if parsed.action in coordinator_flow.ACTIONS:
                    chat_id = query.message.chat.id if query.message else user.id
                    replies = await coordinator_flow.button(self.rt, user, chat_id, parsed)
                elif parsed.action in caregiver_flow.ACTIONS:
                    chat_id = query.message.chat.id if query.message else user.id
                    replies = await caregiver_flow.button(self.rt, user, chat_id, parsed)
                else:
                    replies = await self._scheduled_button(session, user, person, parsed, now)
            else:
                replies = self._button_replies(session, user, person, data, now)
        log.info("button user=%d action=%s handled=%s", user.id, data.split(":")[0], bool(replies))
        if replies:
            await query.answer()
            await close_keyboard(update)
            await send_replies(update, context, replies)
        else:
            locale = self.rt.locale_for(user.language_code, person)
            await query.answer(self.rt.text(locale, "common.stale_button"))
            await close_keyboard(update)

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

    def _button_replies(
        self, session: AsyncSession, user: User, person: Person | None, data: str, now: datetime
    ) -> list[Reply]:
        """Replies for a tap, or [] when the button is stale or not this person's to press."""
        rt = self.rt
        if person is None or person.patient is None:
            if data == prompts.CONSENT_NO:
                return [
                    Reply(
                        rt.text(
                            self.rt.locale_for(user.language_code, None),
                            "onboarding.consent.declined",
                        )
                    )
                ]
            return []
        status = person.patient.status
        awaiting = person.awaiting
        if data == prompts.CONSENT_YES:
            return []
        if data.startswith(prompts.LANGUAGE_PREFIX):
            locale = data.removeprefix(prompts.LANGUAGE_PREFIX)
            if rt.catalog.has_locale(locale) and awaiting == flows.AWAIT_LANGUAGE:
                return flows.choose_language(rt, person, locale, now)
            return []
        if data.startswith(prompts.TIMEZONE_PREFIX):
            zone = data.removeprefix(prompts.TIMEZONE_PREFIX)
            if is_valid_timezone(zone) and awaiting == flows.AWAIT_TIMEZONE:
                return flows.choose_timezone(rt, person, zone, now)
            return []
        if awaiting == flows.AWAIT_TIMES_CONFIRM and status == PatientStatus.ONBOARDING:
            if data == prompts.TIMES_KEEP:
                person.awaiting = None
                return flows.finish_onboarding(rt, session, person, now)
            if data == prompts.TIMES_CHANGE:
                return flows.start_changing_times(rt, person)
        if data == prompts.QUIET_OFF and awaiting == flows.AWAIT_QUIET_HOURS:
            return flows.clear_quiet_hours(rt, person, now)
        if status in (PatientStatus.ONBOARDING, PatientStatus.STOPPED):
            return []
        return self._settings_button(session, person, data, now)

    def _settings_button(
        self, session: AsyncSession, person: Person, data: str, now: datetime
    ) -> list[Reply]:
        rt, locale = self.rt, person.language
        assert person.patient is not None
        if data == prompts.SET_TIMEZONE:
            person.awaiting = flows.AWAIT_TIMEZONE
            return [prompts.ask_timezone(rt, person)]
        if data == prompts.SET_TIMES:
            return flows.start_changing_times(rt, person)
        if data == prompts.SET_QUIET:
            person.awaiting = flows.AWAIT_QUIET_HOURS
            return [prompts.ask_quiet_hours(rt, locale)]
        if data == prompts.SET_LANGUAGE and len(rt.catalog.locales) > 1:
            person.awaiting = flows.AWAIT_LANGUAGE
            return [prompts.ask_language(rt, locale)]
        if data == prompts.SET_PAUSE and person.patient.status == PatientStatus.ACTIVE:
            subscriptions.pause(session, person, now)
            return [Reply(rt.text(locale, "settings.paused"))]
        if data == prompts.SET_RESUME and person.patient.status == PatientStatus.PAUSED:
            subscriptions.resume(session, person, now)
            return [Reply(rt.text(locale, "settings.resumed"))]
        return []

    async def error(self, update: object, context: Context) -> None:
        """Log the failure by ids and tell the person something went wrong, kindly."""
        update_id = update.update_id if isinstance(update, Update) else None
        error = context.error
        log.error(
            "handler failed update=%s error=%s",
            update_id,
            type(error).__name__,
            exc_info=(type(error), error, error.__traceback__) if error else None,
        )
        if isinstance(update, Update) and update.effective_chat is not None:
            user = update.effective_user
            locale = self.rt.catalog.resolve_locale(user.language_code if user else None)
            try:
                await context.bot.send_message(
                    update.effective_chat.id, self.rt.text(locale, "common.error")
                )
            except Exception:
                log.warning("could not send the error reply update=%s", update_id)
