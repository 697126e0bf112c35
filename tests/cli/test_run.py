"""`reminderbot run` as a real process: polling and webhook against the emulator, clean stop."""

from __future__ import annotations

import asyncio
import signal
import socket
from contextlib import AbstractAsyncContextManager
from pathlib import Path

import httpx

from reminderbot.sandbox import BotApiSandbox
from tests.cli.helpers import EMERGENCY_NUMBER, VALID_TOKEN, cli_process

SECRET = "webhook-secret_123"
PRIVATE_TEXT = "my back hurts terribly tonight"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bot_process(
    tmp_path: Path, sandbox: BotApiSandbox, **settings: str
) -> AbstractAsyncContextManager[asyncio.subprocess.Process]:
    """Start `reminderbot run` against the sandbox; make sure it is gone afterwards."""
    return cli_process(
        tmp_path,
        "run",
        TELEGRAM_BOT_TOKEN=VALID_TOKEN,
        REMINDERBOT_TELEGRAM_API_URL=sandbox.api_root,
        REMINDERBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        **EMERGENCY_NUMBER,
        **settings,
    )


async def _stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode is not None
    return process.returncode, stderr.decode()


async def test_run_polling_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with (
        BotApiSandbox(token=VALID_TOKEN, bot_username="reminder_test_bot") as sandbox,
        bot_process(tmp_path, sandbox) as process,
    ):
        ada = sandbox.user(user_id=555001, first_name="Ada")
        await ada.send("/start")
        welcome = await ada.next_message(timeout=60)
        assert welcome.text.startswith("Hello Ada!")
        await ada.send(PRIVATE_TEXT)
        await ada.next_message(timeout=10)
        code, stderr = await _stop(process)
    assert code == 0, stderr
    assert "reminderbot running mode=polling" in stderr
    assert "stop signal received" in stderr
    # Logs carry ids, never names or what people wrote, and never the token.
    assert "555001" in stderr
    assert "Ada" not in stderr
    assert PRIVATE_TEXT not in stderr
    assert VALID_TOKEN not in stderr


async def test_run_webhook_requires_the_secret_header(tmp_path: Path) -> None:
    port = _free_port()
    hook = f"http://127.0.0.1:{port}/telegram-hook"
    async with (
        BotApiSandbox(token=VALID_TOKEN, bot_username="reminder_test_bot") as sandbox,
        bot_process(
            tmp_path,
            sandbox,
            REMINDERBOT_WEBHOOK_URL=hook,
            REMINDERBOT_WEBHOOK_LISTEN="127.0.0.1",
            REMINDERBOT_WEBHOOK_PORT=str(port),
            REMINDERBOT_WEBHOOK_SECRET_TOKEN=SECRET,
        ) as process,
    ):
        await sandbox.wait_for(lambda s: s.webhook_url == hook, timeout=60)
        assert sandbox.webhook_secret == SECRET
        ada = sandbox.user(user_id=555002, first_name="Ada")
        await ada.send("/start")
        welcome = await ada.next_message(timeout=30)
        assert welcome.text.startswith("Hello Ada!")

        forged = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/start",
                "chat": {"id": 9, "type": "private"},
                "from": {"id": 9, "is_bot": False, "first_name": "Mallory"},
            },
        }
        async with httpx.AsyncClient() as client:
            without = await client.post(hook, json=forged)
            wrong = await client.post(
                hook, json=forged, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"}
            )
        assert without.status_code == 403
        assert wrong.status_code == 403
        assert sandbox.chat(9) is None or sandbox.sent_count(9) == 0
        code, stderr = await _stop(process)
    assert code == 0, stderr
    assert "mode=webhook" in stderr
