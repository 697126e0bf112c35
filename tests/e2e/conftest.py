"""End-to-end harness: the real PTB Application polling the sandbox emulator over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram.ext import Application

from reminderbot.bootstrap import open_runtime
from reminderbot.cli.jobs import Delivery
from reminderbot.clock import FakeClock
from reminderbot.config import Settings
from reminderbot.delivery.dispatcher import DispatchSettings
from reminderbot.delivery.http_sender import HttpSender
from reminderbot.delivery.pacing import Limits
from reminderbot.runtime import Runtime
from reminderbot.sandbox import BotApiSandbox, SentMessage, SimulatedUser
from reminderbot.services.subscription_prompts import PRESELECTED_MARK
from reminderbot.store.models import Base, Person
from reminderbot.store.people import find_person
from reminderbot.telegram.app import build_application, polling

TOKEN = "123456:TEST-e2e-token-0000000000000000"
EMERGENCY = "999"
CARE_TEAM = "the oncology nurses on 020 7946 0000"
COORDINATOR_ID = 9001


@dataclass
class Harness:
    """The running bot, its emulator, its clock and shortcuts for tests."""

    rt: Runtime
    sandbox: BotApiSandbox
    clock: FakeClock
    app: Application[Any, Any, Any, Any, Any, Any]
    _delivery: Delivery | None = None

    @property
    def delivery(self) -> Delivery:
        """The planner and dispatcher, driven by hand: no pacing, so tests run fast."""
        if self._delivery is None:
            self._delivery = Delivery(
                self.rt,
                HttpSender(self.rt.settings.telegram_api_url, TOKEN),
                DispatchSettings(backoff_base=1.0),
                Limits(per_second=1000.0, private_chat_interval=0.0),
            )
        return self._delivery

    async def close(self) -> None:
        """Close the delivery sender's connections."""
        if self._delivery is not None:
            await self._delivery.dispatcher.sender.close()

    async def deliver(self) -> None:
        """One tick and one watch pass at the clock's time, then send everything ready."""
        await self.delivery.tick()
        await self.delivery.watch()
        await self.delivery.dispatcher.drain(timeout=20)

    async def run_until(self, until: datetime, step: timedelta) -> None:
        """Move the clock forward in steps, delivering at each step, as a running bot would."""
        while self.clock.now() < until:
            self.clock.advance(min(step, until - self.clock.now()))
            await self.deliver()

    def user(self, user_id: int = 1001, first_name: str = "Ada", **kwargs: Any) -> SimulatedUser:
        """A simulated Telegram user with a private chat."""
        return self.sandbox.user(user_id=user_id, first_name=first_name, **kwargs)

    def t(self, key: str, **values: Any) -> str:
        """The English catalog text, as the bot renders it."""
        return self.rt.text("en", key, **values)

    async def person(self, user: SimulatedUser) -> Person | None:
        """The stored person behind a simulated user, with profile and schedules."""
        async with self.rt.sessions() as session:
            return await find_person(session, user.user_id)

    async def row_counts(self) -> dict[str, int]:
        """Rows in every table of the schema."""
        counts = {}
        async with self.rt.sessions() as session:
            for table in Base.metadata.sorted_tables:
                counts[table.name] = await session.scalar(select(func.count()).select_from(table))
        return counts

    async def say(self, user: SimulatedUser, text: str) -> SentMessage:
        """Send text and return the bot's first reply."""
        user.mark_read()
        await user.send(text)
        return await user.next_message()

    async def tap(self, user: SimulatedUser, label: str) -> SentMessage:
        """Tap a button and return the bot's first reply."""
        user.mark_read()
        await user.tap(label)
        return await user.next_message()

    async def until(self, user: SimulatedUser, starts_with: str) -> SentMessage:
        """Wait for (and return) the next unread bot message starting with a text."""
        await user.wait_for(
            lambda u: any(m.text.startswith(starts_with) for m in u.unread), timeout=10
        )
        return next(m for m in user.unread if m.text.startswith(starts_with))

    async def consent(self, user: SimulatedUser) -> SentMessage:
        """/start, agree, and pick the preselected language when there is a choice.

        Returns the time zone question, already read.
        """
        await self.say(user, "/start")
        await self.tap(user, self.t("onboarding.consent.agree_button"))
        if len(self.rt.catalog.locales) > 1:
            await self.until(user, self.t("onboarding.language.ask"))
            asked = await self.tap(user, PRESELECTED_MARK + self.rt.catalog.locale_names["en"])
        else:
            asked = await self.until(user, self.t("onboarding.timezone.ask")[:30])
            user.mark_read()
        assert asked.text == self.t("onboarding.timezone.ask"), asked.text
        return asked

    async def onboard(self, user: SimulatedUser, zone_label: str = "Europe/Berlin") -> SentMessage:
        """Take a user through onboarding with the defaults; return the summary message."""
        await self.consent(user)
        await self.tap(user, zone_label)
        await self.until(user, "I'll ask about your pain")
        return await self.tap(user, self.t("onboarding.times.keep_button"))


def e2e_settings(api_root: str, db_url: str) -> Settings:
    """Settings for a test deployment, ignoring any .env file on the developer's machine."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        telegram_api_url=api_root,
        database_url=db_url,
        default_timezone="Europe/London",
        emergency_number=EMERGENCY,
        care_team_contact=CARE_TEAM,
        coordinator_ids=(COORDINATOR_ID,),
    )


@pytest.fixture
async def harness(db_url: str, clock: FakeClock) -> AsyncIterator[Harness]:
    """Start the emulator and the real bot (polling) on a fresh database."""
    async with (
        BotApiSandbox(token=TOKEN, bot_username="reminder_test_bot") as sandbox,
        open_runtime(e2e_settings(sandbox.api_root, db_url), clock) as rt,
        polling(build_application(rt, TOKEN), rt, poll_timeout=5) as app,
    ):
        harness = Harness(rt=rt, sandbox=sandbox, clock=clock, app=app)
        try:
            yield harness
        finally:
            await harness.close()
