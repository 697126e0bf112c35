"""`reminderbot run` in webhook mode as a real process, against the emulator."""

from __future__ import annotations

import asyncio
import signal
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from reminderbot.sandbox import BotApiSandbox
from tests.cli.helpers import VALID_TOKEN, cli_process

SECRET = "webhook-secret_123"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def free_port() -> int:
    """A loopback port free at the time of asking."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class WebhookBot:
    """The running bot process, its emulator and where its webhook listens."""

    sandbox: BotApiSandbox
    process: asyncio.subprocess.Process
    port: int
    path: str

    @property
    def url(self) -> str:
        """The webhook URL the bot registered."""
        return f"http://127.0.0.1:{self.port}{self.path}"

    def rss_kib(self) -> int:
        """The bot process's resident memory (VmRSS), in KiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text(encoding="ascii")
        line = next(line for line in status.splitlines() if line.startswith("VmRSS:"))
        return int(line.split()[1])

    async def stop(self) -> tuple[int, str]:
        """SIGTERM, then the exit code and everything the process wrote to stderr."""
        self.process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(self.process.communicate(), timeout=30)
        assert self.process.returncode is not None
        return self.process.returncode, stderr.decode()


@asynccontextmanager
async def webhook_bot(tmp_path: Path, **settings: str) -> AsyncIterator[WebhookBot]:
    """Start the emulator and `reminderbot run` with a webhook; yield once it is registered."""
    port = free_port()
    path = "/telegram-hook"
    hook = f"http://127.0.0.1:{port}{path}"
    async with (
        BotApiSandbox(token=VALID_TOKEN, bot_username="reminder_test_bot") as sandbox,
        cli_process(
            tmp_path,
            "run",
            TELEGRAM_BOT_TOKEN=VALID_TOKEN,
            REMINDERBOT_TELEGRAM_API_URL=sandbox.api_root,
            REMINDERBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            REMINDERBOT_WEBHOOK_URL=hook,
            REMINDERBOT_WEBHOOK_LISTEN="127.0.0.1",
            REMINDERBOT_WEBHOOK_PORT=str(port),
            REMINDERBOT_WEBHOOK_SECRET_TOKEN=SECRET,
            **settings,
        ) as process,
    ):
        # setWebhook comes after the server listens, so this is the moment it is ready.
        await sandbox.wait_for(lambda s: s.webhook_url == hook, timeout=60)
        yield WebhookBot(sandbox=sandbox, process=process, port=port, path=path)
