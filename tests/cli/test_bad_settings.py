"""A bad setting stops start-up with one clear line naming it, exit code 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.helpers import EMERGENCY, EMERGENCY_NUMBER, VALID_TOKEN, run_cli


@pytest.mark.parametrize(
    ("settings", "named", "problem"),
    [
        ({}, "TELEGRAM_BOT_TOKEN", "not set"),
        ({"TELEGRAM_BOT_TOKEN": "hello"}, "TELEGRAM_BOT_TOKEN", "does not look like a bot token"),
        (
            {"TELEGRAM_BOT_TOKEN": VALID_TOKEN, "REMINDERBOT_DEFAULT_TIMEZONE": "Mars/Olympus"},
            "REMINDERBOT_DEFAULT_TIMEZONE",
            "not a known IANA time zone",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": VALID_TOKEN, "REMINDERBOT_TELEGRAM_API_URL": "api.telegram"},
            "REMINDERBOT_TELEGRAM_API_URL",
            "not an http(s) URL",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": VALID_TOKEN, "REMINDERBOT_COORDINATOR_IDS": "12, nurse"},
            "REMINDERBOT_COORDINATOR_IDS",
            "'nurse' is not a Telegram user id",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": VALID_TOKEN, "REMINDERBOT_WEBHOOK_PORT": "99999"},
            "REMINDERBOT_WEBHOOK_PORT",
            "less than or equal to 65535",
        ),
        (
            {"TELEGRAM_BOT_TOKEN": VALID_TOKEN, "REMINDERBOT_WEBHOOK_URL": "https://bot.example"},
            "REMINDERBOT_WEBHOOK_SECRET_TOKEN",
            "not set",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": VALID_TOKEN,
                "REMINDERBOT_DATABASE_URL": "mysql://x@y/z",
                **EMERGENCY_NUMBER,
            },
            "REMINDERBOT_DATABASE_URL",
            "not supported",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": VALID_TOKEN,
                "REMINDERBOT_DATABASE_URL": "not a url",
                **EMERGENCY_NUMBER,
            },
            "REMINDERBOT_DATABASE_URL",
            "is not a database URL",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": VALID_TOKEN,
                "REMINDERBOT_DATABASE_URL": "sqlite:////proc/reminderbot/bot.sqlite3",
                **EMERGENCY_NUMBER,
            },
            "REMINDERBOT_DATABASE_URL",
            "cannot create the folder",
        ),
        (
            {
                "TELEGRAM_BOT_TOKEN": VALID_TOKEN,
                "REMINDERBOT_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none",
                **EMERGENCY_NUMBER,
            },
            "REMINDERBOT_DATABASE_URL",
            "cannot use postgresql+psycopg://postgres@127.0.0.1:1/none",
        ),
    ],
)
def test_bad_setting_gives_one_line_and_exit_2(
    tmp_path: Path, settings: dict[str, str], named: str, problem: str
) -> None:
    result = run_cli(tmp_path, "run", **settings)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"reminderbot: {named}: ")
    assert problem in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_password_is_not_printed(tmp_path: Path) -> None:
    result = run_cli(
        tmp_path,
        "run",
        TELEGRAM_BOT_TOKEN=VALID_TOKEN,
        REMINDERBOT_DATABASE_URL="postgresql+psycopg://nurse:s3cret-pw@127.0.0.1:1/none",
        REMINDERBOT_EMERGENCY_NUMBER=EMERGENCY,
    )
    assert result.returncode == 2
    assert "s3cret-pw" not in result.stderr
    assert "***" in result.stderr


def test_settings_read_from_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("REMINDERBOT_DEFAULT_TIMEZONE=Nowhere/Land\n", encoding="utf-8")
    result = run_cli(tmp_path, "run", TELEGRAM_BOT_TOKEN=VALID_TOKEN)
    assert result.returncode == 2
    assert "REMINDERBOT_DEFAULT_TIMEZONE: 'Nowhere/Land'" in result.stderr


@pytest.mark.parametrize("command", ["run", "deliver"])
def test_run_and_deliver_refuse_to_start_without_an_emergency_number(
    tmp_path: Path, command: str
) -> None:
    database = tmp_path / "bot.sqlite3"
    result = run_cli(
        tmp_path,
        command,
        TELEGRAM_BOT_TOKEN=VALID_TOKEN,
        REMINDERBOT_DATABASE_URL=f"sqlite:///{database}",
    )
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("reminderbot: REMINDERBOT_EMERGENCY_NUMBER: not set. Set it to")
    assert "120 mainland China" in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not database.exists(), "refused before opening the database"


def test_an_emergency_number_from_dotenv_counts_as_set(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("REMINDERBOT_EMERGENCY_NUMBER=120\n", encoding="utf-8")
    result = run_cli(
        tmp_path, "run", TELEGRAM_BOT_TOKEN=VALID_TOKEN, REMINDERBOT_DATABASE_URL="mysql://x@y/z"
    )
    # Past the emergency number, start-up stops at the next problem: the database URL.
    assert result.returncode == 2
    assert result.stderr.startswith("reminderbot: REMINDERBOT_DATABASE_URL: "), result.stderr
