"""Start-up against a Bot API or database that says no: one line, exit 2, the token never shown."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from reminderbot.sandbox import BotApiSandbox
from tests.cli.helpers import VALID_TOKEN, cli_process

# Shaped like a token, so only the server can tell it is wrong.
REJECTED_TOKEN = "123456:REJECTED-token-distinctive-7f3a9c"
COMMANDS = ["run", "deliver"]


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _start(tmp_path: Path, command: str, **settings: str) -> tuple[int, str, str]:
    """Run a command to its end (it must exit by itself); return code, stdout, stderr."""
    async with cli_process(tmp_path, command, **settings) as process:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def _assert_one_line(code: int, stdout: str, stderr: str, setting: str, token: str) -> str:
    assert code == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith(f"reminderbot: {setting}: "), lines[0]
    assert "Traceback" not in stdout + stderr
    assert token not in stdout + stderr
    # Not even the secret half on its own (as it would appear inside a /bot<token>/ URL).
    assert token.split(":", 1)[1] not in stdout + stderr
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
async def test_rejected_token_is_one_line_without_the_token(tmp_path: Path, command: str) -> None:
    async with BotApiSandbox(token=VALID_TOKEN) as sandbox:
        code, stdout, stderr = await _start(
            tmp_path,
            command,
            TELEGRAM_BOT_TOKEN=REJECTED_TOKEN,
            REMINDERBOT_TELEGRAM_API_URL=sandbox.api_root,
            REMINDERBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
        )
    line = _assert_one_line(code, stdout, stderr, "TELEGRAM_BOT_TOKEN", REJECTED_TOKEN)
    assert "rejected the token" in line
    assert "@BotFather" in line


async def test_rejected_token_stays_out_of_debug_logs(tmp_path: Path) -> None:
    # At DEBUG every library logs more (PTB, httpx, asyncio); none of it may carry the token.
    async with BotApiSandbox(token=VALID_TOKEN) as sandbox:
        code, stdout, stderr = await _start(
            tmp_path,
            "run",
            TELEGRAM_BOT_TOKEN=REJECTED_TOKEN,
            REMINDERBOT_TELEGRAM_API_URL=sandbox.api_root,
            REMINDERBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            REMINDERBOT_LOG_LEVEL="DEBUG",
        )
    assert code == 2, stderr
    assert stderr.strip().splitlines()[-1].startswith("reminderbot: TELEGRAM_BOT_TOKEN: ")
    assert REJECTED_TOKEN.split(":", 1)[1] not in stdout + stderr
    assert "Traceback" not in stdout + stderr


@pytest.mark.parametrize("command", COMMANDS)
async def test_unreachable_bot_api_is_one_line(tmp_path: Path, command: str) -> None:
    api = f"http://127.0.0.1:{_closed_port()}"
    code, stdout, stderr = await _start(
        tmp_path,
        command,
        TELEGRAM_BOT_TOKEN=VALID_TOKEN,
        REMINDERBOT_TELEGRAM_API_URL=api,
        REMINDERBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    line = _assert_one_line(code, stdout, stderr, "REMINDERBOT_TELEGRAM_API_URL", VALID_TOKEN)
    assert f"cannot reach the Bot API at {api}" in line


@pytest.mark.parametrize("command", COMMANDS)
async def test_unreachable_database_is_one_line(tmp_path: Path, command: str) -> None:
    async with BotApiSandbox(token=VALID_TOKEN) as sandbox:
        code, stdout, stderr = await _start(
            tmp_path,
            command,
            TELEGRAM_BOT_TOKEN=VALID_TOKEN,
            REMINDERBOT_TELEGRAM_API_URL=sandbox.api_root,
            REMINDERBOT_DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/x",
        )
    line = _assert_one_line(code, stdout, stderr, "REMINDERBOT_DATABASE_URL", VALID_TOKEN)
    assert "cannot use postgresql+psycopg://postgres@127.0.0.1:" in line


async def test_webhook_port_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        async with BotApiSandbox(token=VALID_TOKEN) as sandbox:
            code, stdout, stderr = await _start(
                tmp_path,
                "run",
                TELEGRAM_BOT_TOKEN=VALID_TOKEN,
                REMINDERBOT_TELEGRAM_API_URL=sandbox.api_root,
                REMINDERBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
                REMINDERBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}/hook",
                REMINDERBOT_WEBHOOK_PORT=str(port),
                REMINDERBOT_WEBHOOK_SECRET_TOKEN="s3cret",
            )
        assert sandbox.webhook_url is None  # nothing was registered with Telegram
    line = _assert_one_line(code, stdout, stderr, "REMINDERBOT_WEBHOOK_PORT", VALID_TOKEN)
    assert f"cannot listen on 127.0.0.1:{port}" in line
