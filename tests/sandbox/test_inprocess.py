"""The in-process PTB transport: same sandbox behaviour without HTTP."""

from __future__ import annotations

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from reminderbot.sandbox import BotApiSandbox, ManualClock, SimulatedUser

from .helpers import TOKEN, png_bytes

# Never resolved: in-process requests do not touch the network.
OFFLINE_BASE = "http://sandbox.invalid"


async def test_application_runs_without_a_server(manual_clock: ManualClock) -> None:
    sandbox = BotApiSandbox(token=TOKEN, clock=manual_clock)  # never started
    ada = sandbox.user(1001, first_name="Ada")

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
        await update.effective_message.reply_text("Ready?", reply_markup=keyboard)

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("Noted")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{OFFLINE_BASE}/bot")
        .request(sandbox.ptb_request())
        .get_updates_request(sandbox.ptb_request())
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(button))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        await ada.send("/start")
        assert (await ada.next_message()).buttons == [["OK"]]
        await ada.tap("OK")
        answers = await ada.wait_for(lambda u: u.callback_answers)
        assert answers[0].text == "Noted"
        await app.updater.stop()
        await app.stop()
    await sandbox.stop()  # wakes anything still parked (there should be nothing)
    assert sandbox.pending_update_count == 0


async def test_uploads_downloads_and_errors_in_process(
    sandbox: BotApiSandbox, ada: SimulatedUser
) -> None:
    request = sandbox.ptb_request(read_timeout=0.2)
    async with telegram.Bot(
        TOKEN,
        base_url=f"{OFFLINE_BASE}/bot",
        base_file_url=f"{OFFLINE_BASE}/file/bot",
        request=request,
    ) as bot:
        sent = await bot.send_photo(1001, png_bytes(), filename="p.png")
        file = await bot.get_file(sent.photo[-1].file_id)
        assert bytes(await file.download_as_bytearray()) == png_bytes()
        with pytest.raises(telegram.error.BadRequest, match="Chat not found"):
            await bot.send_message(4242, "nobody")
        sandbox.faults.delay("sendMessage", seconds=30, times=1)
        with pytest.raises(telegram.error.TimedOut):
            await bot.send_message(1001, "slow")
    assert ada.messages[0].file_name == "p.png"
    assert sandbox.counters["sendMessage"] == 2
