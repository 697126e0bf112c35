"""The HTTP surface: routing, tokens, parameter encodings and response shapes."""

from __future__ import annotations

import json

import httpx
import pytest
import telegram

from reminderbot.sandbox import BotApiSandbox, SimulatedUser

from .helpers import TOKEN


async def test_get_me_through_ptb(sandbox: BotApiSandbox, bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert me.id == 123456
    assert me.is_bot is True
    assert me.username == "reminder_test_bot"
    assert me.first_name == "Reminder"
    assert ("getMe", {}) in sandbox.calls


async def test_unknown_method_is_404(sandbox: BotApiSandbox) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{sandbox.bot_base_url}{TOKEN}/sendTelepathy")
    assert response.status_code == 404
    assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}


async def test_wrong_token_is_401_and_ptb_raises_invalid_token(sandbox: BotApiSandbox) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{sandbox.bot_base_url}123456:WRONG/getMe")
        malformed = await client.get(f"{sandbox.bot_base_url}not-a-token/getMe")
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert malformed.status_code == 404
    # `async with` also shuts the client down when initialize() (getMe) fails.
    with pytest.raises(telegram.error.InvalidToken):
        async with telegram.Bot("123456:WRONG", base_url=sandbox.bot_base_url):
            pass
    assert sandbox.calls == []  # calls with a wrong token are not the bot's calls


async def test_method_names_are_case_insensitive(sandbox: BotApiSandbox) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{sandbox.bot_base_url}{TOKEN}/GETME")
    assert response.json()["result"]["username"] == "reminder_test_bot"
    assert sandbox.calls[-1][0] == "getMe"


@pytest.mark.parametrize("encoding", ["query", "form", "multipart", "json"])
async def test_every_parameter_encoding_is_decoded(
    sandbox: BotApiSandbox, ada: SimulatedUser, encoding: str
) -> None:
    markup = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}
    fields = {"chat_id": "1001", "text": "123", "reply_markup": json.dumps(markup)}
    url = f"{sandbox.bot_base_url}{TOKEN}/sendMessage"
    async with httpx.AsyncClient() as client:
        if encoding == "query":
            response = await client.get(url, params=fields)
        elif encoding == "form":
            response = await client.post(url, data=fields)
        elif encoding == "multipart":
            response = await client.post(url, data=fields, files={"unused": ("x", b"x")})
        else:
            response = await client.post(
                url, json={"chat_id": 1001, "text": "123", "reply_markup": markup}
            )
    body = response.json()
    assert response.status_code == 200, body
    # "123" must stay text, and reply_markup must arrive as an object, whatever the encoding.
    assert body["result"]["text"] == "123"
    assert body["result"]["reply_markup"] == markup
    method, params = sandbox.calls[-1]
    assert method == "sendMessage"
    assert params["chat_id"] == 1001
    assert params["reply_markup"] == markup
    assert ada.last_message is not None and ada.last_message.buttons == [["Yes"]]


async def test_undecodable_reply_markup_is_a_bad_request(
    sandbox: BotApiSandbox, ada: SimulatedUser
) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{sandbox.bot_base_url}{TOKEN}/sendMessage",
            data={"chat_id": "1001", "text": "hi", "reply_markup": "{not json"},
        )
    assert response.status_code == 400
    assert response.json()["description"] == (
        "Bad Request: can't parse reply keyboard markup JSON object"
    )
    assert sandbox.sent_count() == 0


async def test_error_status_equals_error_code(sandbox: BotApiSandbox) -> None:
    async with httpx.AsyncClient() as client:
        response = await client.post(
            f"{sandbox.bot_base_url}{TOKEN}/sendMessage", data={"chat_id": "999", "text": "hi"}
        )
    assert response.status_code == 400
    assert response.json() == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: chat not found",
    }
    assert sandbox.counters["sendMessage"] == 1
    assert sandbox.counters["400"] == 1
