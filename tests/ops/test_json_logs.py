"""REMINDERBOT_LOG_FORMAT=json: every line is a JSON object with ids, never names or text."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from reminderbot.cli.main import configure_logging
from reminderbot.ops.logging_json import split_event
from reminderbot.sandbox import BotApiSandbox
from tests.cli.helpers import VALID_TOKEN, cli_process
from tests.e2e.conftest import COORDINATOR_ID, TOKEN, Harness
from tests.ops.test_database_metrics import _emergency

PRIVATE_TEXT = "my back hurts terribly tonight"
FIELDS = {"time", "level", "logger", "event"}


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Logging set up as `run` does with REMINDERBOT_LOG_FORMAT=json, into a buffer."""
    stream = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "telegram")}
    configure_logging("INFO", "json", stream)
    try:
        yield stream
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, old in quiet.items():
            logging.getLogger(name).setLevel(old)


def _entries(text: str) -> list[dict[str, object]]:
    lines = [line for line in text.splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line parses
    assert all(isinstance(e, dict) and set(e) >= FIELDS for e in entries)
    return entries


def test_split_event_takes_ids_out_of_the_message() -> None:
    event, fields = split_event("rate limited by Telegram delivery=12 retry_after=1.5")
    assert event == "rate limited by Telegram"
    assert fields == {"delivery": 12, "retry_after": 1.5}


async def test_an_emergency_logs_json_with_ids_only(
    harness: Harness, json_log: io.StringIO
) -> None:
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await _emergency(harness)  # Ada, pain 6 then 4, leg weakness: tier 3
    await harness.deliver()
    await nurse.next_message()
    entries = _entries(json_log.getvalue())
    assert entries, "the flow logs something"
    started = next(e for e in entries if e["event"] == "checkin started")
    assert isinstance(started["person"], int) and isinstance(started["checkin"], int)
    assert any(e["event"] == "button" and e["user"] == 1001 for e in entries)
    text = json_log.getvalue()
    for secret in ("Ada", "Nora", TOKEN, harness.t("checkin.red_flag.mscc")[:20]):
        assert secret not in text
    keys = {k for e in entries for k in e}
    assert not keys & {"score", "scores", "text", "name", "first_name", "answers"}


async def test_run_writes_json_lines(tmp_path: Path) -> None:
    async with (
        BotApiSandbox(token=VALID_TOKEN, bot_username="reminder_test_bot") as sandbox,
        cli_process(
            tmp_path,
            "run",
            TELEGRAM_BOT_TOKEN=VALID_TOKEN,
            REMINDERBOT_TELEGRAM_API_URL=sandbox.api_root,
            REMINDERBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
            REMINDERBOT_LOG_FORMAT="json",
        ) as process,
    ):
        ada = sandbox.user(user_id=555001, first_name="Ada")
        await ada.send("/start")
        await ada.next_message(timeout=60)
        await ada.send(PRIVATE_TEXT)
        await ada.next_message(timeout=10)
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    entries = _entries(stderr.decode())
    running = next(e for e in entries if e["event"] == "reminderbot running")
    assert running["mode"] == "polling" and running["logger"] == "reminderbot.cli.serve"
    assert any(e.get("user") == 555001 or 555001 in e.values() for e in entries), entries
    text = stderr.decode()
    assert "Ada" not in text and PRIVATE_TEXT not in text and VALID_TOKEN not in text
