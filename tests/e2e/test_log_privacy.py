"""No user text, SQL parameter or token in any log record, at DEBUG, on every logger.

The journeys run against the real Application and emulator with logging set up exactly as
`reminderbot run` sets it up at REMINDERBOT_LOG_LEVEL=DEBUG; one handler on the root logger
collects every record of every library (reminderbot, telegram, httpx, sqlalchemy, aiohttp,
apscheduler, …) as the operator's stderr would show it, and each is searched for the names,
notes and secrets used.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from telegram import Update
from telegram.ext import MessageHandler, filters

from reminderbot.bootstrap import open_runtime
from reminderbot.cli.main import configure_logging
from reminderbot.clock import FakeClock
from reminderbot.logsafe import PrivateLogFilter, install_log_privacy, scrubbed_traceback
from reminderbot.sandbox import BotApiSandbox, SimulatedUser
from reminderbot.store.database import create_engine
from reminderbot.store.models import CheckIn
from reminderbot.telegram.app import build_application, polling
from tests.cli.webhook_bot import SECRET, SECRET_HEADER, webhook_bot
from tests.e2e.conftest import TOKEN, Harness, e2e_settings
from tests.e2e.test_caregivers import _invite, _join

PATIENT = "Zephyrine"
PATIENT_SURNAME = "Quillfeather"
CAREGIVER = "Balthasar"
NOTE = "knee throbbing like marmalade-7731"
SECRET_WORDS = "ochre-lantern-5521"
LOGGERS = ("reminderbot", "telegram", "httpx", "sqlalchemy", "aiohttp", "apscheduler")


class Collected(logging.Handler):
    """Every record that reaches the root logger, formatted as a stderr handler would."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the logger's name and the full formatted line (traceback included)."""
        self.lines.append((record.name, self.format(record)))

    def leaks(self, *needles: str) -> list[str]:
        """Lines that contain any of the needles."""
        return [line for _, line in self.lines if any(n in line for n in needles)]


@pytest.fixture
def debug_logs() -> Iterator[Collected]:
    """Logging as `reminderbot run` sets it at DEBUG (levels and privacy filter), collected."""
    root = logging.getLogger()
    names = ["", "httpx", "httpcore", "apscheduler", "aiosqlite", "telegram", "sqlalchemy"]
    names += ["alembic.runtime.migration", *LOGGERS]
    saved = {name: logging.getLogger(name).level for name in names}
    collected = Collected()
    # configure_logging replaces the root's handlers (basicConfig with force), so collect after.
    configure_logging("DEBUG")
    root.addHandler(collected)
    root.setLevel(logging.DEBUG)
    privacy = install_log_privacy(TOKEN, SECRET)
    try:
        yield collected
    finally:
        for handler in root.handlers:
            handler.removeFilter(privacy)
        root.removeHandler(collected)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)


@asynccontextmanager
async def _harness(db_url: str, clock: FakeClock) -> AsyncIterator[Harness]:
    """The e2e harness (emulator, runtime, polling Application) on a given database."""
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


async def _checkin_with_note(harness: Harness, user: SimulatedUser, note: str) -> None:
    """/pain, a score of 2, "No" to everything, then the note typed instead of Skip."""
    await harness.say(user, "/pain")
    await harness.tap(user, "2")
    while True:
        await user.wait_for(lambda u: bool(u.last_message and u.last_message.buttons), timeout=10)
        message = user.last_message
        assert message is not None
        labels = [label for row in message.buttons for label in row]
        if "10" in labels:
            await harness.tap(user, "3")
        elif any(label.startswith("Skip") for label in labels):
            user.mark_read()
            await user.send(note)
            await user.wait_for(
                lambda u: any(m.text == harness.t("checkin.thanks") for m in u.unread), timeout=10
            )
            return
        elif harness.t("checkin.not_taken_button") in labels:
            await harness.tap(user, harness.t("checkin.not_taken_button"))
        else:
            await harness.tap(user, "No")


async def _stored_notes(harness: Harness) -> list[str | None]:
    async with harness.rt.sessions() as session:
        return list((await session.scalars(select(CheckIn.note))).all())


async def _journeys(harness: Harness, note: str) -> str:
    """Onboarding, a check-in with a note, /trend, a caregiver invite accepted; the invite."""
    zephyrine = harness.sandbox.user(
        user_id=1001, first_name=PATIENT, last_name=PATIENT_SURNAME, username="zephy_q"
    )
    await harness.onboard(zephyrine)
    await _checkin_with_note(harness, zephyrine, note)
    zephyrine.mark_read()
    await zephyrine.send("/trend")
    assert (await zephyrine.next_message(timeout=20)).kind in ("photo", "text")
    invite = await _invite(harness, zephyrine)
    balthasar = harness.user(user_id=4242, first_name=CAREGIVER)
    await _join(harness, balthasar, invite, "all")
    await harness.deliver()
    return invite


async def test_journeys_at_debug_log_no_names_notes_or_secrets(
    debug_logs: Collected, db_url: str, clock: FakeClock
) -> None:
    async with _harness(db_url, clock) as harness:
        invite = await _journeys(harness, NOTE)
        assert await _stored_notes(harness) == [NOTE]
    loggers = {name.split(".")[0] for name, _ in debug_logs.lines}
    assert {"reminderbot", "telegram"} <= loggers, loggers  # the collection really ran
    assert any(line.startswith("DEBUG ") for _, line in debug_logs.lines)
    secret_half = TOKEN.split(":", 1)[1]
    needles = (PATIENT, PATIENT_SURNAME, "zephy_q", CAREGIVER, NOTE, "marmalade", invite)
    assert debug_logs.leaks(*needles, secret_half) == []


@pytest.mark.postgres
async def test_a_note_with_nul_is_stored_on_postgresql_and_no_parameters_are_logged(
    debug_logs: Collected, postgres_url: str, clock: FakeClock
) -> None:
    # PostgreSQL text cannot hold NUL: stored as typed, less the NUL, and nothing fails.
    async with _harness(postgres_url, clock) as harness:
        await _journeys(harness, NOTE.replace("like", "li\x00ke"))
        assert await _stored_notes(harness) == [NOTE]
    assert debug_logs.leaks("parameters:", "marmalade", PATIENT) == []
    assert not [line for _, line in debug_logs.lines if line.startswith(("ERROR", "CRITICAL"))]


async def test_a_failing_handler_logs_ids_and_types_never_the_text(
    debug_logs: Collected, db_url: str, clock: FakeClock
) -> None:
    async def failing(update: Update, _context: object) -> None:
        # What real bugs look like: int() of typed text (its message quotes the text), and a
        # statement whose parameters SQLAlchemy would print unless the engine hides them.
        assert update.message is not None and update.message.text is not None
        words = update.message.text.removeprefix("#fail ")
        if words.startswith("sql"):
            async with harness.rt.sessions() as session:
                query = text("SELECT * FROM no_such_table WHERE x = :t")
                await session.execute(query, {"t": words})
        int(words)

    async with _harness(db_url, clock) as harness:
        harness.app.add_handler(MessageHandler(filters.Regex("^#fail "), failing), group=-1)
        user = harness.sandbox.user(user_id=1001, first_name=PATIENT)
        for words in (SECRET_WORDS, f"sql {SECRET_WORDS}"):
            user.mark_read()
            await user.send(f"#fail {words}")
            await user.wait_for(
                lambda u: any(m.text == harness.t("common.error") for m in u.unread), timeout=10
            )
    failures = [line for _, line in debug_logs.lines if "handler failed" in line]
    assert len(failures) == 2, failures
    assert "kind=message chat=1001 user=1001" in failures[0]
    assert "error=ValueError" in failures[0] and "Traceback" in failures[0]
    assert "error=" in failures[1] and "sqlalchemy.exc." in failures[1]
    assert debug_logs.leaks(SECRET_WORDS, PATIENT, "parameters:") == []


async def test_a_malformed_webhook_update_is_logged_without_its_content(tmp_path: Path) -> None:
    malformed = {
        "update_id": 424242,
        "message": {"message_id": 1, "date": 0, "text": SECRET_WORDS, "chat": {"id": 9}},
    }
    async with webhook_bot(tmp_path, REMINDERBOT_LOG_LEVEL="DEBUG") as bot:
        async with httpx.AsyncClient() as client:
            answer = await client.post(bot.url, json=malformed, headers={SECRET_HEADER: SECRET})
            not_json = await client.post(
                bot.url, content=f"{{{SECRET_WORDS}".encode(), headers={SECRET_HEADER: SECRET}
            )
        # Dropped (Telegram would resend a failed one for ever), and the bot still serves.
        assert answer.status_code == 200
        assert not_json.status_code == 400
        ada = bot.sandbox.user(user_id=560020, first_name=PATIENT)
        await ada.send("/start")
        await ada.next_message(timeout=30)
        code, stderr = await bot.stop()
    assert code == 0, stderr
    assert "dropped an update that could not be read update=424242 kind=message" in stderr
    assert SECRET_WORDS not in stderr
    assert PATIENT not in stderr


async def test_engines_hide_statement_parameters_from_error_messages(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            query = text("SELECT * FROM no_such_table WHERE x = :t")
            with pytest.raises(DBAPIError) as failure:
                await conn.execute(query, {"t": SECRET_WORDS})
    finally:
        await engine.dispose()
    assert SECRET_WORDS not in str(failure.value)
    assert "parameters hidden" in str(failure.value)


def test_the_privacy_filter_masks_secrets_and_exception_messages() -> None:
    try:
        raise ValueError(f"invalid literal for int() with base 10: {SECRET_WORDS!r}")
    except ValueError as exc:
        error = exc
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "POST %s", (f"/bot{TOKEN}/getMe",), None
    )
    record.exc_info = (ValueError, error, error.__traceback__)
    assert PrivateLogFilter([TOKEN]).filter(record)
    line = logging.Formatter("%(message)s").format(record)
    assert TOKEN not in line and "/bot***/getMe" in line
    assert SECRET_WORDS not in line
    assert "ValueError: <message hidden>" in line
    assert "in test_the_privacy_filter_masks_secrets_and_exception_messages" in line
    assert SECRET_WORDS not in scrubbed_traceback(error)
