"""deploy/: the environment template lists every setting, and systemd accepts the units."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from reminderbot.config import ENV_PREFIX, Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
WORKERS = ("reminderbot-webhook.service", "reminderbot-deliver.service")
UNITS = (*WORKERS, "reminderbot-backup.service", "reminderbot-backup.timer")
INSTALLED = "/opt/reminderbot/venv/bin/reminderbot"


def setting_names() -> list[str]:
    """Every environment variable the settings read."""
    names = []
    for field, info in Settings.model_fields.items():
        if field == "telegram_bot_token":
            names.append("TELEGRAM_BOT_TOKEN")
        else:
            assert info.validation_alias is None, f"{field}: list its alias here"
            names.append(f"{ENV_PREFIX}{field.upper()}")
    return names


def test_environment_template_has_every_setting() -> None:
    template = (DEPLOY / "reminderbot.env.example").read_text()
    listed = set(re.findall(r"^#?([A-Z][A-Z0-9_]+)=", template, re.M))
    assert set(setting_names()) == listed


def test_readme_configuration_table_has_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [name for name in setting_names() if f"| `{name}` |" not in readme]
    assert not missing


def test_units_run_the_installed_command() -> None:
    for unit in WORKERS:
        text = (DEPLOY / unit).read_text()
        assert f"ExecStart={INSTALLED} " in text
        assert "EnvironmentFile=/etc/reminderbot/reminderbot.env" in text
        assert re.search(r"^Environment=REMINDERBOT_OPS_PORT=\d+$", text, re.M)


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (no systemd on this machine)")
    # The units name the command where the README installs it; verify checks that it exists,
    # so point them at this checkout's command.
    here = Path(sys.executable).with_name("reminderbot")
    assert here.exists()
    for unit in UNITS:
        text = (DEPLOY / unit).read_text().replace(INSTALLED, str(here))
        (tmp_path / unit).write_text(text)
    result = subprocess.run(
        [analyze, "verify", "--man=no", *[str(tmp_path / unit) for unit in UNITS]],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # Unknown or malformed lines are only warnings (exit 0): any line about our units fails.
    about_ours = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if any(unit in line for unit in UNITS)
    ]
    assert result.returncode == 0, result.stderr
    assert not about_ours, about_ours
