"""Sending, editing, deleting and media, through the real PTB Bot."""

from __future__ import annotations

import pytest
import telegram
from telegram import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
)
from telegram.constants import ChatAction

from reminderbot.sandbox import BotApiSandbox, ManualClock, SimulatedUser

from .helpers import png_bytes

KEYBOARD = InlineKeyboardMarkup(
    [
        [InlineKeyboardButton("Agree", callback_data="consent:yes")],
        [
            InlineKeyboardButton("Later", callback_data="consent:later"),
            InlineKeyboardButton("Read more", url="https://example.org/consent"),
        ],
    ]
)


async def test_inline_keyboard_round_trips_into_ptb_objects(
    bot: telegram.Bot, ada: SimulatedUser, manual_clock: ManualClock
) -> None:
    sent = await bot.send_message(1001, "Do you agree?", reply_markup=KEYBOARD)
    assert sent.reply_markup == KEYBOARD
    assert sent.text == "Do you agree?"
    assert sent.chat.id == 1001 and sent.chat.type == "private" and sent.chat.username == "ada"
    assert sent.from_user is not None and sent.from_user.is_bot
    assert sent.date.timestamp() == int(manual_clock())
    stored = ada.last_message
    assert stored is not None and stored.message_id == sent.message_id
    assert stored.keyboard_kind == "inline"
    assert stored.buttons == [["Agree"], ["Later", "Read more"]]
    assert stored.inline_buttons == [
        [("Agree", "consent:yes")],
        [("Later", "consent:later"), ("Read more", "https://example.org/consent")],
    ]


async def test_message_ids_increase_per_chat(bot: telegram.Bot, sandbox: BotApiSandbox) -> None:
    sandbox.user(1001)
    sandbox.user(1002, first_name="Grace")
    first = await bot.send_message(1001, "one")
    other = await bot.send_message(1002, "one")
    second = await bot.send_message(1001, "two")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert sandbox.sent_count() == 3
    assert sandbox.sent_count(1001) == 2
    assert sandbox.sent_count(4242) == 0


async def test_reply_keyboards_are_kept_by_the_sandbox_not_echoed(
    bot: telegram.Bot, ada: SimulatedUser
) -> None:
    sent = await bot.send_message(
        1001, "Pain today?", reply_markup=ReplyKeyboardMarkup([["0", "5"], ["10"]])
    )
    # Telegram only echoes inline keyboards in a Message.
    assert sent.reply_markup is None
    assert ada.last_message is not None and ada.last_message.keyboard_kind == "reply"
    assert ada.last_message.buttons == [["0", "5"], ["10"]]
    assert ada.reply_keyboard == [["0", "5"], ["10"]]
    pressed = await ada.press("10")
    assert pressed["text"] == "10"
    await bot.send_message(1001, "Thanks", reply_markup=ReplyKeyboardRemove())
    assert ada.last_message.keyboard_kind == "remove"
    assert ada.reply_keyboard is None
    await bot.send_message(1001, "Why?", reply_markup=ForceReply())
    assert ada.last_message.keyboard_kind == "force_reply"


async def test_text_limits(bot: telegram.Bot, ada: SimulatedUser) -> None:
    with pytest.raises(telegram.error.BadRequest, match=r"^Message text is empty$"):
        await bot.send_message(1001, "   ")
    await bot.send_message(1001, "x" * 4096)
    with pytest.raises(telegram.error.BadRequest, match=r"^Message is too long$"):
        await bot.send_message(1001, "x" * 4097)
    # The limit counts UTF-16 units: an emoji outside the BMP counts twice.
    with pytest.raises(telegram.error.BadRequest, match="too long"):
        await bot.send_message(1001, "x" * 4095 + "🙂")
    too_long_data = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="d" * 65)]])
    with pytest.raises(telegram.error.BadRequest, match=r"^Button_data_invalid$"):
        await bot.send_message(1001, "hi", reply_markup=too_long_data)
    assert len(ada.messages) == 1


async def test_chat_not_found_unless_auto_create(
    bot: telegram.Bot, manual_clock: ManualClock
) -> None:
    with pytest.raises(telegram.error.BadRequest, match="Chat not found"):
        await bot.send_message(5555, "hello?")
    async with BotApiSandbox(clock=manual_clock, auto_create_chats=True) as open_sandbox:
        async with telegram.Bot("123456:TEST", base_url=open_sandbox.bot_base_url) as other:
            sent = await other.send_message(5555, "hello")
        assert sent.chat.id == 5555
        chat = open_sandbox.chat(5555)
        assert chat is not None and chat.messages[0].text == "hello"
        # Naming the user later gives the auto-created chat its profile.
        assert open_sandbox.user(5555, first_name="Lin").messages[0].text == "hello"


async def test_html_is_parsed_into_entities(bot: telegram.Bot, ada: SimulatedUser) -> None:
    sent = await bot.send_message(
        1001, "🙂 <b>Take</b> <a href='https://x.org'>pills</a> &amp; rest", parse_mode="HTML"
    )
    assert sent.text == "🙂 Take pills & rest"
    # Offsets are UTF-16: the emoji counts two.
    assert [(e.type, e.offset, e.length) for e in sent.entities] == [
        ("bold", 3, 4),
        ("text_link", 8, 5),
    ]
    assert sent.entities[1].url == "https://x.org"
    stored = ada.last_message
    assert stored is not None and stored.text == sent.text
    assert stored.source_text.startswith("🙂 <b>Take</b>") and stored.parse_mode == "HTML"
    with pytest.raises(
        telegram.error.BadRequest, match="Can't parse entities: unsupported start tag"
    ):
        await bot.send_message(1001, "pain < 3 <br>", parse_mode="HTML")
    with pytest.raises(telegram.error.BadRequest, match="reserved"):
        await bot.send_message(1001, "Done.", parse_mode="MarkdownV2")


async def test_edit_text_and_not_modified(bot: telegram.Bot, ada: SimulatedUser) -> None:
    sent = await bot.send_message(1001, "Do you agree?", reply_markup=KEYBOARD)
    edited = await bot.edit_message_text(
        "Thanks!", chat_id=1001, message_id=sent.message_id, reply_markup=KEYBOARD
    )
    assert isinstance(edited, telegram.Message)
    assert edited.text == "Thanks!" and edited.edit_date is not None
    assert edited.reply_markup == KEYBOARD
    with pytest.raises(telegram.error.BadRequest, match="Message is not modified"):
        await bot.edit_message_text(
            "Thanks!", chat_id=1001, message_id=sent.message_id, reply_markup=KEYBOARD
        )
    # As on Telegram, editing the text without reply_markup drops the inline keyboard.
    plain = await bot.edit_message_text("Thanks again", chat_id=1001, message_id=sent.message_id)
    assert plain.reply_markup is None
    with pytest.raises(telegram.error.BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=999)
    stored = ada.messages[0]
    assert (stored.text, stored.edited, stored.keyboard_kind) == ("Thanks again", 2, None)
    assert [e.kind for e in ada.log] == ["bot_message", "bot_edit", "bot_edit"]


async def test_edit_reply_markup(bot: telegram.Bot, ada: SimulatedUser) -> None:
    sent = await bot.send_message(1001, "Pick", reply_markup=KEYBOARD)
    smaller = InlineKeyboardMarkup([[InlineKeyboardButton("Agree", callback_data="consent:yes")]])
    edited = await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=smaller)
    assert isinstance(edited, telegram.Message) and edited.reply_markup == smaller
    assert ada.messages[0].buttons == [["Agree"]]
    removed = await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=None)
    assert isinstance(removed, telegram.Message) and removed.reply_markup is None
    with pytest.raises(telegram.error.BadRequest, match="not modified"):
        await bot.edit_message_reply_markup(1001, sent.message_id, reply_markup=None)
    assert ada.messages[0].text == "Pick" and ada.messages[0].edited == 2


async def test_delete_message_within_48_hours(
    bot: telegram.Bot, ada: SimulatedUser, manual_clock: ManualClock
) -> None:
    first = await bot.send_message(1001, "temporary")
    old = await bot.send_message(1001, "old")
    assert await bot.delete_message(1001, first.message_id) is True
    assert ada.messages[0].deleted
    with pytest.raises(telegram.error.BadRequest, match="Message to delete not found"):
        await bot.delete_message(1001, first.message_id)
    manual_clock.advance(48 * 3600 + 1)
    with pytest.raises(telegram.error.BadRequest, match="can't be deleted for everyone"):
        await bot.delete_message(1001, old.message_id)
    assert ada.log[-1].kind == "bot_delete"


async def test_answer_callback_query(bot: telegram.Bot, ada: SimulatedUser) -> None:
    await bot.send_message(1001, "Do you agree?", reply_markup=KEYBOARD)
    query = await ada.tap("Agree")
    assert await bot.answer_callback_query(query["id"], text="Saved", show_alert=True)
    [answer] = ada.callback_answers
    assert (answer.text, answer.show_alert, answer.data) == ("Saved", True, "consent:yes")
    with pytest.raises(telegram.error.BadRequest, match="Query is too old"):
        await bot.answer_callback_query(query["id"])
    assert ada.log[-1].kind == "bot_callback_answer"


async def test_send_photo_and_document_keep_bytes_and_names(
    sandbox: BotApiSandbox, bot: telegram.Bot, ada: SimulatedUser
) -> None:
    image = png_bytes(1000, 500)
    photo_msg = await bot.send_photo(
        1001, image, caption="<i>Your week</i>", parse_mode="HTML", filename="week.png"
    )
    sizes = photo_msg.photo
    assert [(s.width, s.height) for s in sizes] == [(90, 45), (320, 160), (800, 400), (1000, 500)]
    assert len({s.file_id for s in sizes}) == len(sizes)
    assert all(s.file_unique_id for s in sizes)
    assert photo_msg.caption == "Your week" and photo_msg.caption_entities[0].type == "italic"
    doc_msg = await bot.send_document(1001, b"%PDF-1.4 report", filename="report.pdf")
    document = doc_msg.document
    assert document is not None
    assert (document.file_name, document.mime_type, document.file_size) == (
        "report.pdf",
        "application/pdf",
        15,
    )
    photo, doc = ada.messages
    assert (photo.kind, photo.text, photo.file_name, photo.file_bytes) == (
        "photo",
        "Your week",
        "week.png",
        image,
    )
    assert (doc.kind, doc.file_name, doc.file_bytes) == (
        "document",
        "report.pdf",
        b"%PDF-1.4 report",
    )
    assert [e.kind for e in ada.log] == ["bot_photo", "bot_document"]
    # A file_id can be sent again, and getFile + the file URL serve the stored bytes.
    again = await bot.send_document(1001, document.file_id)
    assert again.document is not None and again.document.file_unique_id == document.file_unique_id
    file = await bot.get_file(sizes[-1].file_id)
    assert file.file_path is not None and file.file_path.startswith(sandbox.file_base_url)
    assert bytes(await file.download_as_bytearray()) == image


async def test_photo_must_be_an_image(bot: telegram.Bot, ada: SimulatedUser) -> None:
    with pytest.raises(telegram.error.BadRequest, match="Image_process_failed"):
        await bot.send_photo(1001, b"definitely not an image")
    with pytest.raises(telegram.error.BadRequest, match="Wrong file identifier"):
        await bot.send_photo(1001, "no-such-file-id")
    assert ada.messages == []


async def test_commands(sandbox: BotApiSandbox, bot: telegram.Bot) -> None:
    commands = [BotCommand("start", "Begin"), BotCommand("help", "What I can do")]
    assert await bot.set_my_commands(commands)
    assert sandbox.commands == [
        {"command": "start", "description": "Begin"},
        {"command": "help", "description": "What I can do"},
    ]
    assert await bot.get_my_commands() == tuple(commands)
    await bot.set_my_commands([BotCommand("start", "Los")], language_code="de")
    assert await bot.get_my_commands(language_code="de") == (BotCommand("start", "Los"),)
    assert await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats()) == ()
    with pytest.raises(telegram.error.BadRequest, match="Bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Start", "capital letters are refused")])
    assert await bot.delete_my_commands(language_code="de")
    assert await bot.get_my_commands(language_code="de") == ()
    assert sandbox.commands == []
    assert await bot.get_my_commands() == tuple(commands)


async def test_replies_nest_the_replied_message(bot: telegram.Bot, ada: SimulatedUser) -> None:
    question = await bot.send_message(1001, "What time?", reply_markup=ForceReply())
    answer = await ada.send("8:00", reply_to=question.message_id)
    assert answer["reply_to_message"]["text"] == "What time?"
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.reply_to_message is not None
    assert update.message.reply_to_message.message_id == question.message_id
    saved = await bot.send_message(
        1001, "Saved", reply_parameters=ReplyParameters(answer["message_id"])
    )
    assert saved.reply_to_message is not None and saved.reply_to_message.text == "8:00"
    with pytest.raises(telegram.error.BadRequest, match="Message to be replied not found"):
        await bot.send_message(1001, "x", reply_to_message_id=999)


async def test_chat_action_and_caption_edit(bot: telegram.Bot, ada: SimulatedUser) -> None:
    assert await bot.send_chat_action(1001, ChatAction.TYPING)
    with pytest.raises(telegram.error.BadRequest, match="Wrong parameter action"):
        await bot.send_chat_action(1001, "dancing")
    photo = await bot.send_photo(1001, png_bytes(), caption="old")
    edited = await bot.edit_message_caption(
        1001, photo.message_id, caption="<b>new</b>", parse_mode="HTML"
    )
    assert isinstance(edited, telegram.Message) and edited.caption == "new"
    assert edited.caption_entities[0].type == "bold"
    assert ada.messages[0].text == "new" and ada.messages[0].edited == 1
    text = await bot.send_message(1001, "plain")
    with pytest.raises(telegram.error.BadRequest, match="There is no caption"):
        await bot.edit_message_caption(1001, text.message_id, caption="x")
    with pytest.raises(telegram.error.BadRequest, match="There is no text"):
        await bot.edit_message_text("x", chat_id=1001, message_id=photo.message_id)
