"""getUpdates (offset, long poll, allowed_updates, conflicts) and webhook delivery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from reminderbot.sandbox import BotApiSandbox, SimulatedUser

from .helpers import TOKEN


async def test_offset_confirms_and_limit_caps(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser
) -> None:
    for text in ("one", "two", "three"):
        await ada.send(text)
    first = await bot.get_updates(limit=2)
    assert [u.message.text for u in first if u.message] == ["one", "two"]
    # Without a new offset nothing is confirmed: the same updates come back.
    assert [u.update_id for u in await bot.get_updates()] == [
        first[0].update_id,
        first[1].update_id,
        first[1].update_id + 1,
    ]
    rest = await bot.get_updates(offset=first[-1].update_id + 1)
    assert [u.message.text for u in rest if u.message] == ["three"]
    assert sandbox.pending_update_count == 1
    assert await bot.get_updates(offset=rest[-1].update_id + 1) == ()
    assert sandbox.pending_update_count == 0


async def test_long_poll_wakes_when_a_user_sends(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=30))
    await sandbox.wait_for(lambda s: s.long_polls_waiting == 1)
    assert not poll.done()
    await ada.send("/start now")
    # Far below the 30 s poll timeout: only an immediate wake-up passes.
    updates = await asyncio.wait_for(poll, timeout=5)
    [update] = updates
    assert update.message is not None and update.message.text == "/start now"
    assert update.message.from_user is not None and update.message.from_user.first_name == "Ada"
    assert [(e.type, e.offset, e.length) for e in update.message.entities] == [
        ("bot_command", 0, 6)
    ]


async def test_a_newer_poll_terminates_the_older_one(
    sandbox: BotApiSandbox, bot: telegram.Bot
) -> None:
    # Two bot instances with one token: the situation Telegram's 409 exists for.
    older = asyncio.create_task(bot.get_updates(timeout=30))
    await sandbox.wait_for(lambda s: s.long_polls_waiting == 1)
    async with telegram.Bot(TOKEN, base_url=sandbox.bot_base_url) as second_instance:
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(telegram.error.Conflict, match="terminated by other getUpdates request"):
        await asyncio.wait_for(older, timeout=5)


async def test_stop_ends_pending_long_polls() -> None:
    sandbox = BotApiSandbox(token=TOKEN)
    await sandbox.start()
    async with telegram.Bot(TOKEN, base_url=sandbox.bot_base_url) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await sandbox.wait_for(lambda s: s.long_polls_waiting == 1)
        await asyncio.wait_for(sandbox.stop(), timeout=5)
        assert await asyncio.wait_for(poll, timeout=5) == ()


async def test_allowed_updates_filters_new_updates(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser
) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    await bot.send_message(1001, "Ready?", reply_markup=keyboard)
    assert await bot.get_updates(allowed_updates=["callback_query"]) == ()
    await ada.send("typed text is filtered out")
    await ada.tap("Yes")
    [update] = await bot.get_updates()
    assert update.callback_query is not None and update.callback_query.data == "yes"
    # The setting sticks until changed; [] restores the default set.
    await bot.get_updates(offset=update.update_id + 1, allowed_updates=[])
    await ada.send("now it arrives")
    [message_update] = await bot.get_updates()
    assert message_update.message is not None


class WebhookReceiver:
    """A loopback aiohttp endpoint that records what the sandbox POSTs to it."""

    def __init__(self) -> None:
        self.received: asyncio.Queue[tuple[dict[str, object], str | None]] = asyncio.Queue()
        self.fail_next = 0
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        if self.fail_next:
            self.fail_next -= 1
            return web.Response(status=500)
        secret = request.headers.get("X-Telegram-Bot-Api-Secret-Token")
        await self.received.put((await request.json(), secret))
        return web.Response(text="ok")


@pytest.fixture
async def receiver() -> AsyncIterator[WebhookReceiver]:
    """A running webhook receiver on a free loopback port."""
    hook = WebhookReceiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    hook.url = f"http://127.0.0.1:{port}/hook"
    yield hook
    await runner.cleanup()


async def test_webhook_delivery_with_secret(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser, receiver: WebhookReceiver
) -> None:
    await ada.send("queued before the webhook")
    assert await bot.set_webhook(receiver.url, secret_token="s3cret_token-1")
    assert (sandbox.webhook_url, sandbox.webhook_secret) == (receiver.url, "s3cret_token-1")
    with pytest.raises(telegram.error.Conflict, match="can't use getUpdates method while webhook"):
        await bot.get_updates()
    payload, secret = await asyncio.wait_for(receiver.received.get(), timeout=5)
    assert secret == "s3cret_token-1"
    assert payload["message"]["text"] == "queued before the webhook"  # type: ignore[index]
    await ada.send("/help")
    payload, _ = await asyncio.wait_for(receiver.received.get(), timeout=5)
    update = telegram.Update.de_json(payload, bot)
    assert update.message is not None and update.message.text == "/help"
    info = await bot.get_webhook_info()
    assert (info.url, info.pending_update_count) == (receiver.url, 0)


async def test_webhook_retries_and_reports_errors(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser, receiver: WebhookReceiver
) -> None:
    receiver.fail_next = 1
    await bot.set_webhook(receiver.url)
    await ada.send("retry me")
    payload, secret = await asyncio.wait_for(receiver.received.get(), timeout=5)
    assert payload["message"]["text"] == "retry me"  # type: ignore[index]
    assert secret is None
    info = await bot.get_webhook_info()
    assert info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"


async def test_delete_webhook_returns_to_polling(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser
) -> None:
    # Nothing listens on this port's path that matters: delivery fails and updates stay pending.
    await bot.set_webhook(f"{sandbox.api_root}/nowhere")
    await ada.send("kept")
    assert await bot.delete_webhook()
    assert sandbox.webhook_url is None
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.text == "kept"
    await bot.set_webhook(f"{sandbox.api_root}/nowhere", drop_pending_updates=True)
    assert (await bot.get_webhook_info()).pending_update_count == 0
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == ()
