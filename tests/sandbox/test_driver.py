"""The simulated-user driver: taps, reads, waits and the event log."""

from __future__ import annotations

import asyncio

import pytest
import telegram
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from reminderbot.sandbox import BotApiSandbox, SimulatedUser

from .helpers import png_bytes

PAIN = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("No pain", callback_data="pain:0")],
        [
            InlineKeyboardButton("Mild pain", callback_data="pain:3"),
            InlineKeyboardButton("Severe pain", callback_data="pain:8"),
        ],
        [InlineKeyboardButton("Help", url="https://example.org/help")],
    ]
)


def test_user_is_idempotent(sandbox: BotApiSandbox) -> None:
    ada = sandbox.user(1001, first_name="Ada")
    assert sandbox.user(1001) is ada
    with pytest.raises(ValueError, match="positive"):
        sandbox.user(-5)


async def test_tap_matching_rules(bot: telegram.Bot, ada: SimulatedUser) -> None:
    await bot.send_message(1001, "How is your pain?", reply_markup=PAIN)
    assert (await ada.tap("Mild pain"))["data"] == "pain:3"
    assert (await ada.tap("no PAIN"))["data"] == "pain:0"  # case-insensitive exact
    assert (await ada.tap("severe"))["data"] == "pain:8"  # unique substring
    with pytest.raises(LookupError, match=r"several buttons.*'No pain', 'Mild pain', 'Severe"):
        await ada.tap("pain")
    with pytest.raises(LookupError, match=r"no button 'Moderate'.*\['No pain', 'Mild pain'"):
        await ada.tap("Moderate")
    with pytest.raises(ValueError, match=r"opens https://example\.org/help"):
        await ada.tap("Help")
    assert [e.text for e in ada.log if e.kind == "user_tap"] == [
        "Mild pain",
        "No pain",
        "Severe pain",
    ]
    # A whole-label match beats substrings, so "yes" is not ambiguous with "Yes, always".
    yes = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("Yes, always", callback_data="always")],
            [InlineKeyboardButton("Yes", callback_data="once")],
        ]
    )
    await bot.send_message(1001, "Remind you?", reply_markup=yes)
    assert (await ada.tap("yes"))["data"] == "once"


async def test_tap_targets_newest_keyboard_or_given_message(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser
) -> None:
    with pytest.raises(LookupError, match="no bot message with an inline keyboard"):
        await ada.tap("anything")
    old = await bot.send_message(1001, "Old question", reply_markup=PAIN)
    yes_no = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    new = await bot.send_message(1001, "New question", reply_markup=yes_no)
    await bot.send_message(1001, "A message without buttons")
    assert (await ada.tap("Yes"))["message"]["message_id"] == new.message_id
    query = await ada.tap("Mild pain", message_id=old.message_id)
    assert query["message"]["message_id"] == old.message_id
    # Once the newest keyboard is gone, the newest remaining one is tapped.
    await bot.edit_message_reply_markup(1001, new.message_id, reply_markup=None)
    await bot.edit_message_text(
        "Old question, edited", chat_id=1001, message_id=old.message_id, reply_markup=PAIN
    )
    edited_query = await ada.tap("No pain")
    assert edited_query["message"]["text"] == "Old question, edited"
    assert edited_query["from"]["id"] == 1001 and edited_query["chat_instance"]
    with pytest.raises(LookupError, match="has no inline keyboard"):
        await ada.tap("Yes", message_id=new.message_id)
    assert sandbox.pending_update_count == 3


async def test_next_message_skips_edits_and_reports_on_timeout(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser
) -> None:
    first = await bot.send_message(1001, "first")
    await bot.edit_message_text("first, edited", chat_id=1001, message_id=first.message_id)
    await bot.send_message(1001, "second")
    assert (await ada.next_message()).text == "first, edited"
    assert (await ada.next_message()).text == "second"
    sandbox.faults.block(1001)
    with pytest.raises(telegram.error.Forbidden):
        await bot.send_message(1001, "never arrives")
    with pytest.raises(TimeoutError) as caught:
        await ada.next_message(timeout=0.05)
    report = str(caught.value)
    assert "read 2 of 2 bot messages" in report
    assert "Reminder: second" in report
    assert "sendMessage -> 403 Forbidden: bot was blocked by the user" in report


async def test_next_message_waits_for_a_later_send(bot: telegram.Bot, ada: SimulatedUser) -> None:
    # The waiter starts (and parks) at the send's first network await, before the message lands.
    waiting = asyncio.create_task(ada.next_message(timeout=5))
    await bot.send_message(1001, "arrived")
    assert (await asyncio.wait_for(waiting, timeout=5)).text == "arrived"


async def test_wait_for_is_woken_by_changes(bot: telegram.Bot, ada: SimulatedUser) -> None:
    sent = await bot.send_message(1001, "Pain?", reply_markup=PAIN)
    waiter = asyncio.create_task(ada.wait_for(lambda u: u.callback_answers, timeout=5))
    query = await ada.tap("No pain")
    assert not waiter.done()
    await bot.answer_callback_query(query["id"], text="Noted")
    [answer] = await asyncio.wait_for(waiter, timeout=5)
    assert answer.message_id == sent.message_id and answer.text == "Noted"
    with pytest.raises(TimeoutError, match="condition not met"):
        await ada.wait_for(lambda u: len(u.messages) > 5, timeout=0.05)


async def test_log_and_transcript_cover_every_event_kind(
    bot: telegram.Bot, ada: SimulatedUser
) -> None:
    await ada.send("/start")
    sent = await bot.send_message(1001, "Pain?", reply_markup=PAIN)
    query = await ada.tap("Mild")
    await bot.answer_callback_query(query["id"], text="Noted", show_alert=True)
    await bot.edit_message_text("Pain: mild", chat_id=1001, message_id=sent.message_id)
    await bot.send_photo(1001, png_bytes(), caption="Chart", filename="chart.png")
    await bot.send_document(1001, b"a,b\n", filename="week.csv")
    await bot.delete_message(1001, sent.message_id)
    assert [e.kind for e in ada.log] == [
        "user_text",
        "bot_message",
        "user_tap",
        "bot_callback_answer",
        "bot_edit",
        "bot_photo",
        "bot_document",
        "bot_delete",
    ]
    assert ada.log[1].buttons == (("No pain",), ("Mild pain", "Severe pain"), ("Help",))
    assert ada.transcript().splitlines()[5:] == [
        "Ada taps [Mild pain]",
        "Reminder answers the tap: 'Noted' as an alert",
        "Reminder edits #2: Pain: mild",
        "Reminder sends photo chart.png: Chart",
        "Reminder sends document week.csv",
        "Reminder deletes #2",
    ]
