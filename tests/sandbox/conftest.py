"""Fixtures for the Bot API sandbox tests: a running sandbox, a PTB Bot on it, users, images."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram

from reminderbot.sandbox import BotApiSandbox, ManualClock, SimulatedUser

from .helpers import TOKEN


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """Opt in to PTB 22's timedelta durations (RetryAfter.retry_after) to avoid its warning."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
def manual_clock() -> ManualClock:
    """A clock that only moves when a test advances it."""
    return ManualClock()


@pytest.fixture
async def sandbox(manual_clock: ManualClock) -> AsyncIterator[BotApiSandbox]:
    """A started sandbox on a free loopback port, stopped after the test."""
    async with BotApiSandbox(token=TOKEN, clock=manual_clock) as running:
        yield running


@pytest.fixture
async def bot(sandbox: BotApiSandbox) -> AsyncIterator[telegram.Bot]:
    """A real PTB Bot talking HTTP to the sandbox (initialize() already called getMe)."""
    async with telegram.Bot(
        TOKEN, base_url=sandbox.bot_base_url, base_file_url=sandbox.file_base_url
    ) as client:
        yield client


@pytest.fixture
def ada(sandbox: BotApiSandbox) -> SimulatedUser:
    """A simulated user the sandbox knows, so the bot can write to her."""
    return sandbox.user(user_id=1001, first_name="Ada", username="ada")
