"""A real PTB Application polling the sandbox, driven by simulated users."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
)

from reminderbot.sandbox import BotApiSandbox, SimulatedUser

from .helpers import TOKEN

CONSENT = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Agree", callback_data="consent:yes")],
        [InlineKeyboardButton("Not now", callback_data="consent:no")],
    ]
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Greet and ask for consent."""
    assert update.effective_message is not None and update.effective_user is not None
    await update.effective_message.reply_text(
        f"Hi {update.effective_user.first_name}! Do you agree?", reply_markup=CONSENT
    )


async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Acknowledge the tap and replace the question with the answer."""
    query = update.callback_query
    assert query is not None
    await query.answer("Saved")
    await query.edit_message_text(f"You chose {query.data}")


@pytest.fixture
async def polling_app(sandbox: BotApiSandbox) -> AsyncIterator[Application]:
    """The Application, started and long-polling the sandbox."""
    app = ApplicationBuilder().token(TOKEN).base_url(sandbox.bot_base_url).build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        yield app
        await app.updater.stop()
        await app.stop()


async def test_command_and_button_flow(
    sandbox: BotApiSandbox, polling_app: Application, ada: SimulatedUser
) -> None:
    await ada.send("/start")
    question = await ada.next_message()
    assert question.text == "Hi Ada! Do you agree?"
    assert question.buttons == [["Agree"], ["Not now"]]

    await ada.tap("agree")
    await ada.wait_for(lambda u: u.callback_answers and u.messages[0].edited)
    assert ada.callback_answers[0].text == "Saved"
    assert question.text == "You chose consent:yes"  # the same object, edits applied
    assert question.keyboard_kind is None

    # PTB checks the @username from getMe, so the addressed form must work too.
    await ada.send(f"/start@{sandbox.bot_username}")
    assert (await ada.next_message()).text == "Hi Ada! Do you agree?"
    assert [e.kind for e in ada.log] == [
        "user_text",
        "bot_message",
        "user_tap",
        "bot_callback_answer",
        "bot_edit",
        "user_text",
        "bot_message",
    ]
    assert ada.transcript().splitlines()[:4] == [
        "Ada: /start",
        "Reminder: Hi Ada! Do you agree?",
        "    [Agree]",
        "    [Not now]",
    ]


async def test_application_confirms_updates_and_deletes_webhook(
    sandbox: BotApiSandbox, ada: SimulatedUser
) -> None:
    app = ApplicationBuilder().token(TOKEN).base_url(sandbox.bot_base_url).build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        await ada.send("/start")
        await ada.next_message()
        await app.updater.stop()
        await app.stop()
    methods = [method for method, _ in sandbox.calls]
    assert methods[:2] == ["getMe", "deleteWebhook"]
    # The final getUpdates on stop confirms what was handled: nothing is left pending.
    assert sandbox.pending_update_count == 0
