"""Building the python-telegram-bot Application and running it against any Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from reminderbot.delivery import buttons
from reminderbot.delivery.buttons import Family
from reminderbot.runtime import Runtime
from reminderbot.telegram.data_rights import DataRightsHandlers
from reminderbot.telegram.handlers import Handlers
from reminderbot.telegram.rate_limiter import reply_rate_limiter
from reminderbot.telegram.update_order import PerChatUpdateProcessor

# The menu every user sees; coordinator commands are listed by /help for coordinators only.
COMMANDS = (
    "start",
    "pain",
    "trend",
    "calcium",
    "caregiver",
    "help",
    "settings",
    "mydata",
    "delete",
    "stop",
)

# The builder's generic parameters depend on the rate limiter and context types chosen below;
# callers only need "an Application".
BotApplication = Application[Any, Any, Any, Any, Any, Any]


def build_application(rt: Runtime, token: str) -> BotApplication:
    """Create the Application, pointed at the configured Bot API root, with every handler."""
    api = rt.settings.telegram_api_url
    # Every reply goes through the process's pacer, ahead of the outbox (delivering() shares it).
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .rate_limiter(reply_rate_limiter(rt))
        .concurrent_updates(PerChatUpdateProcessor())
        .build()
    )
    register_handlers(app, rt)
    return app


def register_handlers(app: BotApplication, rt: Runtime) -> None:
    """Attach the handlers; everything personal works in private chats only."""
    h, d = Handlers(rt), DataRightsHandlers(rt)
    private = filters.ChatType.PRIVATE
    new_message = filters.UpdateType.MESSAGE
    app.add_handler(CommandHandler("start", h.start, filters=private))
    app.add_handler(CommandHandler("help", h.help, filters=private))
    app.add_handler(CommandHandler("settings", h.settings, filters=private))
    app.add_handler(CommandHandler("calcium", h.calcium, filters=private))
    app.add_handler(CommandHandler("pain", h.pain, filters=private))
    app.add_handler(CommandHandler("trend", h.trend, filters=private))
    app.add_handler(CommandHandler("stop", h.stop, filters=private))
    app.add_handler(CommandHandler("caregiver", h.caregiver, filters=private))
    app.add_handler(CommandHandler("alerts", h.alerts, filters=private))
    app.add_handler(CommandHandler("broadcast", h.broadcast, filters=private))
    app.add_handler(CommandHandler("checkin", h.checkin, filters=private))
    app.add_handler(CommandHandler("patients", h.patients, filters=private))
    app.add_handler(CommandHandler("patient", h.patient, filters=private))
    app.add_handler(CommandHandler("schedule", h.schedule, filters=private))
    app.add_handler(CommandHandler("mydata", d.mydata, filters=private))
    app.add_handler(CommandHandler("delete", d.delete, filters=private))
    # Inline buttons: one handler per family of the registry (delivery/buttons), matched by
    # the family's codes; data no action matches gets the "button no longer works" notice.
    for family in Family:
        handle = d.button if family is Family.DATA_RIGHTS else h.button(family)
        app.add_handler(CallbackQueryHandler(handle, pattern=buttons.family_pattern(family)))
    app.add_handler(CallbackQueryHandler(h.button(None)))
    app.add_handler(MessageHandler(private & new_message & filters.COMMAND, h.unknown_command))
    app.add_handler(MessageHandler(private & new_message & filters.TEXT, h.text))
    app.add_handler(MessageHandler(private & new_message & ~filters.TEXT, h.not_text))
    app.add_handler(MessageHandler(~private & new_message & filters.COMMAND, h.group_message))
    app.add_error_handler(h.error)


async def register_commands(app: BotApplication, rt: Runtime) -> None:
    """Publish the command list (setMyCommands) in every locale the catalog has."""
    for locale in rt.catalog.locales:
        commands = [BotCommand(c, rt.text(locale, f"common.commands.{c}")) for c in COMMANDS]
        language_code = None if locale == rt.catalog.locales[0] else locale.split("-")[0]
        await app.bot.set_my_commands(commands, language_code=language_code)


@asynccontextmanager
async def polling(
    app: BotApplication, rt: Runtime, poll_timeout: int = 10
) -> AsyncIterator[BotApplication]:
    """Run the Application with long polling inside the current event loop (tests, demo)."""
    async with app:
        await app.start()
        await register_commands(app, rt)
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0.0, timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
        )
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
