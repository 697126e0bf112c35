"""`reminderbot db …`, `content check` and `demo` as a user runs them."""

from __future__ import annotations

import shutil
from pathlib import Path

from reminderbot.paths import messages_dir
from reminderbot.store.migrations import head_revision
from tests.cli.helpers import run_cli


def test_db_upgrade_current_downgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'bot.sqlite3'}"
    current = run_cli(tmp_path, "db", "current", REMINDERBOT_DATABASE_URL=url)
    assert current.returncode == 0, current.stderr
    assert "current: none (empty database)" in current.stdout
    upgraded = run_cli(tmp_path, "db", "upgrade", REMINDERBOT_DATABASE_URL=url)
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"database at revision {head_revision()}" in upgraded.stdout
    downgraded = run_cli(tmp_path, "db", "downgrade", "base", REMINDERBOT_DATABASE_URL=url)
    assert downgraded.returncode == 0, downgraded.stderr
    assert "database at revision base" in downgraded.stdout


def test_db_upgrade_defaults_to_the_data_folder(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "db", "upgrade")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "xdg" / "reminderbot" / "reminderbot.sqlite3").is_file()


def test_content_check_passes_on_the_shipped_catalog(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "content", "check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().splitlines()[-1].startswith("catalog OK")


def test_content_check_names_file_line_and_key(tmp_path: Path) -> None:
    draft = tmp_path / "messages"
    shutil.copytree(messages_dir(), draft)
    help_file = draft / "en" / "common.yaml"
    text = help_file.read_text(encoding="utf-8")
    help_file.write_text(
        text.replace("call {emergency_number} now", "call {emergncy} now"), "utf-8"
    )
    (draft / "programs" / "default.yaml").write_text("schedules: []\n", encoding="utf-8")
    result = run_cli(tmp_path, "content", "check", "--messages-dir", str(draft))
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert any(
        line.startswith("messages/en/common.yaml:")
        and "common.help" in line
        and "{emergncy}" in line
        for line in lines
    ), lines
    assert any("programs/default.yaml" in line for line in lines), lines
    assert lines[-1].startswith("2 errors")


def test_content_check_refuses_a_folder_that_is_not_a_catalog(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "content", "check", "--messages-dir", str(tmp_path))
    assert result.returncode == 2
    assert "has no locales.yaml" in result.stdout


def test_demo_prints_onboarding_transcript(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "demo", timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    steps = [
        "👤 Patient: /start",
        "👤 Patient taps [ I agree ]",
        "👤 Patient taps [ ✓ English ]",
        "Sorry, I don't recognise “Mars/Olympus Mons”",
        "Time zone set to Europe/Berlin",
        "👤 Patient taps [ Keep these times ]",
        "You're all set, Ada!",
        "• Pain check-in: every day at 18:00",
        "Quiet hours set to 22:00–07:00",
    ]
    positions = [out.find(step) for step in steps]
    assert all(p >= 0 for p in positions), list(zip(steps, positions, strict=True))
    assert positions == sorted(positions)
    assert not list(tmp_path.glob("xdg/reminderbot/*.sqlite3")), "the demo must not touch real data"
    # Without REMINDERBOT_EMERGENCY_NUMBER the demo shows an example number, and says so.
    assert "emergency number 112 is an example" in out
    assert "Call 112 now" in out


def test_demo_refuses_an_unknown_locale(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "demo", "--locale", "tlh")
    assert result.returncode == 2
    assert "'tlh' is not available" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_runs_in_chinese(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "demo", "--locale", "zh-Hans", timeout=120)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    steps = [
        "👤 Patient taps [ 我同意 ]",
        "👤 Patient taps [ ✓ 简体中文 ]",
        "时区已设为 Europe/Berlin",
        "设置好了，王芳！",
        "• 疼痛评估：每天 18:00",
    ]
    positions = [out.find(step) for step in steps]
    assert all(p >= 0 for p in positions), list(zip(steps, positions, strict=True))
    assert positions == sorted(positions)


def test_content_preview_shows_tips_as_patients_see_them(tmp_path: Path) -> None:
    result = run_cli(tmp_path, "content", "preview", "--locale", "zh-Hans", "--topic", "protein")
    assert result.returncode == 0, result.stderr
    blocks = result.stdout.split("── ")[1:]
    assert len(blocks) == 13
    first = blocks[0]
    assert first.startswith("protein_why_it_matters · source [23, 24] · review by 2027-11-30")
    assert "蛋白质" in first
    assert result.stdout.rstrip().endswith("13 tips (zh-Hans, topic protein)")


def test_content_preview_refuses_unknown_locale_and_topic(tmp_path: Path) -> None:
    locale = run_cli(tmp_path, "content", "preview", "--locale", "tlh")
    assert locale.returncode == 2
    assert "no locale 'tlh'; the catalog has: en, zh-Hans" in locale.stderr
    topic = run_cli(tmp_path, "content", "preview", "--topic", "cheese")
    assert topic.returncode == 2 and "no topic 'cheese'" in topic.stderr
