"""/mydata and /delete: a person downloads or erases everything the bot keeps about them."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from telegram import InputFile, Update, User
from telegram.ext import ContextTypes

from reminderbot.runtime import Runtime
from reminderbot.services import data_rights
from reminderbot.store.models import Person
from reminderbot.store.people import add_audit, find_person
from reminderbot.telegram.replies import Reply, close_keyboard, keyboard, send_replies

log = logging.getLogger(__name__)

Context = ContextTypes.DEFAULT_TYPE

# Callback data is "data:<choice>:<person id>". The id says which person the question was
# asked of (0: someone with no person row, such as a coordinator known only from the
# settings); it is compared with the tapping user's own person, never taken as a right.
PREFIX = "data:"
CALLBACK_PATTERN = r"^data:"
ERASE = "erase"
KEEP = "keep"


def _subject(user: User, person: Person | None) -> data_rights.Subject:
    # In a private chat the chat id is the user id; a stored person may say otherwise.
    return data_rights.Subject(
        telegram_user_id=user.id,
        chat_id=person.chat_id if person is not None else user.id,
        person_id=person.id if person is not None else None,
    )


def _parse(data: str) -> tuple[str, int] | None:
    parts = data.removeprefix(PREFIX).split(":")
    if len(parts) != 2 or parts[0] not in (ERASE, KEEP) or not parts[1].isdigit():
        return None
    return parts[0], int(parts[1])


class DataRightsHandlers:
    """Handlers for the data-rights commands and their confirmation buttons."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def _locale(self, user: User, person: Person | None) -> str:
        if person is not None:
            return person.language
        return self.rt.catalog.resolve_locale(user.language_code)

    async def mydata(self, update: Update, context: Context) -> None:
        """/mydata: a JSON file of everything stored about the asking person."""
        user, chat = update.effective_user, update.effective_chat
        assert user is not None and chat is not None
        now = self.rt.clock.now()
        async with self.rt.sessions.begin() as session:
            person = await find_person(session, user.id)
            subject = _subject(user, person)
            by_setting = user.id in set(self.rt.settings.coordinator_ids)
            data = await data_rights.collect_export(
                session, subject, now, coordinator_by_setting=by_setting
            )
            if data is not None:
                data_rights.record_export(session, subject, data, now)
            locale = self._locale(user, person)
            zone = ZoneInfo(person.timezone if person else self.rt.settings.default_timezone)
        if data is None:
            await send_replies(
                update, context, [Reply(self.rt.text(locale, "data.export.nothing"))]
            )
            return
        body = data_rights.export_bytes(data)
        name = f"reminderbot-mydata-{now.astimezone(zone).date().isoformat()}.json"
        log.info("data export user=%d bytes=%d", user.id, len(body))
        await context.bot.send_document(
            chat.id,
            InputFile(body, filename=name),
            caption=self.rt.text(locale, "data.export.caption"),
        )

    async def delete(self, update: Update, context: Context) -> None:
        """/delete: explain what erasing means and ask to confirm with a button."""
        user = update.effective_user
        assert user is not None
        async with self.rt.sessions() as session:
            person = await find_person(session, user.id)
            stored = await data_rights.anything_stored(session, _subject(user, person))
        locale = self._locale(user, person)
        if not stored:
            reply = Reply(self.rt.text(locale, "data.delete.nothing"))
        else:
            owner = person.id if person is not None else 0
            erase = self.rt.text(locale, "data.delete.confirm_button")
            keep = self.rt.text(locale, "data.delete.keep_button")
            reply = Reply(
                self.rt.text(locale, "data.delete.ask"),
                keyboard(
                    [(erase, f"{PREFIX}{ERASE}:{owner}")],
                    [(keep, f"{PREFIX}{KEEP}:{owner}")],
                ),
            )
        await send_replies(update, context, [reply])

    async def button(self, update: Update, context: Context) -> None:
        """The confirmation buttons: only the person the question was asked of may answer."""
        query, user = update.callback_query, update.effective_user
        assert query is not None and user is not None
        parsed = _parse(query.data or "")
        now = self.rt.clock.now()
        told: int | None = None
        async with self.rt.sessions.begin() as session:
            person = await find_person(session, user.id)
            locale = self._locale(user, person)
            subject = _subject(user, person)
            owner = person.id if person is not None else 0
            if parsed is None or parsed[1] != owner:
                target = await session.get(Person, parsed[1]) if parsed and parsed[1] else None
                add_audit(
                    session,
                    at=now,
                    action="refused:data_button",
                    actor_telegram_id=user.id,
                    # The target is the subject only while it exists; its id alone otherwise.
                    subject_person_id=target.id if target is not None else None,
                    details={} if target is not None else {"data": (query.data or "")[:64]},
                )
                reply = None
            elif parsed[0] == KEEP:
                reply = Reply(self.rt.text(locale, "data.delete.kept"))
            elif not await data_rights.anything_stored(session, subject):
                # Someone never stored replaying a button: there is nothing to erase or audit.
                reply = Reply(self.rt.text(locale, "data.delete.nothing"))
            else:
                erasure = await data_rights.erase(session, self.rt.renderer, subject, now)
                told = erasure.told
                reply = Reply(self.rt.text(locale, "data.delete.done"))
        log.info("data button user=%d refused=%s told=%s", user.id, reply is None, told)
        if reply is None:
            await query.answer(self.rt.text(locale, "data.delete.not_yours"), show_alert=True)
            return
        await query.answer()
        await close_keyboard(update)
        await send_replies(update, context, [reply])
