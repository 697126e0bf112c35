"""The lean sender speaks the same Bot API as python-telegram-bot and fails the same way."""

from __future__ import annotations

import pytest
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from reminderbot.delivery.errors import Outcome, classify
from reminderbot.delivery.http_sender import HttpSender
from reminderbot.sandbox import BotApiSandbox

TOKEN = "123456:TEST-http-sender-token-00000000"


async def test_sends_text_and_buttons_and_maps_errors() -> None:
    async with BotApiSandbox(token=TOKEN) as sandbox, HttpSender(sandbox.api_root, TOKEN) as sender:
        ada = sandbox.user(user_id=42, first_name="Ada")
        message_id = await sender.send(
            42, {"text": "How is your pain?", "buttons": [[["0", "ci|k|0"], ["1", "ci|k|1"]]]}
        )
        sent = await ada.next_message()
        assert sent.message_id == message_id
        assert sent.text == "How is your pain?"
        assert sent.inline_buttons == [[("0", "ci|k|0"), ("1", "ci|k|1")]]

        sandbox.faults.fail_next(method="sendMessage", status=429, retry_after=7)
        with pytest.raises(RetryAfter) as limited:
            await sender.send(42, {"text": "x"})
        assert classify(limited.value).retry_after.total_seconds() == 7

        sandbox.faults.block(42)
        with pytest.raises(Forbidden) as blocked:
            await sender.send(42, {"text": "x"})
        assert classify(blocked.value).outcome is Outcome.PERMANENT

        with pytest.raises(BadRequest) as missing:
            await sender.send(777, {"text": "x"})
        assert classify(missing.value).outcome is Outcome.PERMANENT

        sandbox.faults.fail_next(method="sendMessage", status=502)
        with pytest.raises(NetworkError) as server:
            await sender.send(43, {"text": "x"})
        assert classify(server.value).outcome is Outcome.TRANSIENT


async def test_unreachable_server_is_a_transient_network_error() -> None:
    async with HttpSender("http://127.0.0.1:9", TOKEN, timeout=2) as sender:
        with pytest.raises(NetworkError) as caught:
            await sender.send(1, {"text": "x"})
    assert classify(caught.value).outcome is Outcome.TRANSIENT
