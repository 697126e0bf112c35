"""Fault injection and flood limits, seen through PTB's exceptions."""

from __future__ import annotations

import asyncio

import pytest
import telegram
from telegram.request import HTTPXRequest

from reminderbot.sandbox import BotApiSandbox, FloodLimits, ManualClock, SimulatedUser

from .helpers import TOKEN, retry_seconds


async def test_429_becomes_retry_after(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser
) -> None:
    sandbox.faults.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(telegram.error.RetryAfter) as caught:
        await bot.send_message(1001, "hi")
    assert retry_seconds(caught.value) == 7
    # One-shot: the retry goes through, and the failed attempt was counted but not stored.
    await bot.send_message(1001, "hi")
    assert [m.text for m in ada.messages] == ["hi"]
    assert sandbox.counters["429"] == 1 and sandbox.counters["sendMessage"] == 2
    assert sandbox.sent_count() == 1


async def test_fail_next_filters_by_method_chat_and_times(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser
) -> None:
    sandbox.user(1002, first_name="Grace")
    sandbox.faults.fail_next("SENDMESSAGE", status=500, chat_id=1002, times=2)
    await bot.send_message(1001, "other chats are unaffected")
    await bot.get_me()
    for _ in range(2):
        with pytest.raises(telegram.error.NetworkError, match="Internal Server Error"):
            await bot.send_message(1002, "x")
    await bot.send_message(1002, "third time lucky")
    sandbox.faults.fail_next(None, status=502)
    with pytest.raises(telegram.error.NetworkError, match="Bad Gateway"):
        await bot.get_me()
    assert sandbox.counters["500"] == 2 and sandbox.counters["502"] == 1


async def test_5xx_is_not_mistaken_for_retry_after(
    sandbox: BotApiSandbox, bot: telegram.Bot
) -> None:
    sandbox.faults.fail_next("getMe", status=503, retry_after=9)
    with pytest.raises(telegram.error.NetworkError) as caught:
        await bot.get_me()
    assert not isinstance(caught.value, telegram.error.RetryAfter)


async def test_blocked_and_deactivated_users_are_forbidden(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser
) -> None:
    sent = await bot.send_message(1001, "before")
    sandbox.faults.block(1001)
    with pytest.raises(telegram.error.Forbidden, match=r"^Forbidden: bot was blocked by the user$"):
        await bot.send_message(1001, "hello?")
    with pytest.raises(telegram.error.Forbidden, match="blocked"):
        await bot.edit_message_text("edited", chat_id=1001, message_id=sent.message_id)
    grace = sandbox.user(1002, first_name="Grace")
    sandbox.faults.deactivate(1002)
    with pytest.raises(telegram.error.Forbidden, match=r"^Forbidden: user is deactivated$"):
        await bot.send_message(1002, "hello?")
    sandbox.faults.clear()
    await bot.send_message(1002, "back")
    assert [m.text for m in ada.messages] == ["before"]
    assert [m.text for m in grace.messages] == ["back"]
    assert sandbox.counters["403"] == 3


async def test_deleted_chat_is_chat_not_found(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser
) -> None:
    sandbox.faults.delete_chat(1001)
    with pytest.raises(telegram.error.BadRequest, match=r"^Chat not found$"):
        await bot.send_message(1001, "anyone?")
    assert ada.messages == []


async def test_delay_slows_answers(sandbox: BotApiSandbox, ada: SimulatedUser) -> None:
    sandbox.faults.delay("sendMessage", seconds=30, times=1)
    impatient = HTTPXRequest(read_timeout=0.2)
    async with telegram.Bot(TOKEN, base_url=sandbox.bot_base_url, request=impatient) as bot:
        with pytest.raises(telegram.error.TimedOut):
            await bot.send_message(1001, "slow")
        # times=1: the next call is answered at once even with the short read timeout.
        await bot.send_message(1001, "fast")
    sandbox.faults.delay("getMe", seconds=0.3)
    async with telegram.Bot(TOKEN, base_url=sandbox.bot_base_url) as bot:
        loop = asyncio.get_running_loop()
        started = loop.time()
        await bot.get_me()
        assert loop.time() - started >= 0.3
    assert [m.text for m in ada.messages] == ["fast"]


async def test_burst_to_one_chat_hits_the_per_chat_limit(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser, manual_clock: ManualClock
) -> None:
    sandbox.flood_limits = FloodLimits(global_per_second=30, per_chat_per_second=1)
    outcomes = await asyncio.gather(
        *(bot.send_message(1001, f"burst {i}") for i in range(5)), return_exceptions=True
    )
    limited = [o for o in outcomes if isinstance(o, telegram.error.RetryAfter)]
    assert len(limited) == 4
    assert {retry_seconds(e) for e in limited} == {1}
    assert len(ada.messages) == 1 and sandbox.counters["429"] == 4
    manual_clock.advance(1)
    await bot.send_message(1001, "after the window")
    assert len(ada.messages) == 2


async def test_global_and_group_windows(manual_clock: ManualClock) -> None:
    async with BotApiSandbox(clock=manual_clock, auto_create_chats=True) as sandbox:
        sandbox.flood_limits = FloodLimits(
            global_per_second=3, per_chat_per_second=None, per_group_per_minute=2
        )
        async with telegram.Bot(TOKEN, base_url=sandbox.bot_base_url) as bot:
            for chat_id in (1, 2, 3):
                await bot.send_message(chat_id, "x")
            with pytest.raises(telegram.error.RetryAfter):
                await bot.send_message(4, "over the global limit")
            manual_clock.advance(1)
            await bot.send_message(-100, "group 1")
            manual_clock.advance(20)
            await bot.send_message(-100, "group 2")
            manual_clock.advance(10)
            with pytest.raises(telegram.error.RetryAfter) as caught:
                await bot.send_message(-100, "group 3")
            # The oldest group send leaves the 60 s window 30 s from now.
            assert retry_seconds(caught.value) == 30
            sandbox.flood_limits = None
            await bot.send_message(-100, "limits off")
