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


def _nginx() -> str | None:
    return shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    nginx, openssl = _nginx(), shutil.which("openssl")
    if nginx is None or openssl is None:
        pytest.skip("nginx (and openssl) are not installed; .ci/run installs nginx")
    cert, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=bot.example.org", "-keyout", str(key), "-out", str(cert)],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    site = (DEPLOY / "nginx-reminderbot.conf").read_text()
    assert "client_max_body_size 1m;" in site and "ssl_certificate " in site
    site = site.replace("/etc/letsencrypt/live/bot.example.org/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/bot.example.org/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        "http {\n  access_log off;\n"
        # Temporary files in the test's folder (an nginx unpacked without installing has no
        # /var/lib/nginx).
        + "".join(
            f"  {kind}_temp_path {tmp_path}/{kind};\n"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        + f"  include {tmp_path}/site.conf;\n}}\n"
    )
    result = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "error.log"),
         "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    # Newer nginx (1.25+) prefers `http2 on;` to `listen … http2`, which Debian 12's lacks.
    warnings = [
        line for line in result.stderr.splitlines()
        if "[warn]" in line and "http2" not in line
    ]  # fmt: skip
    assert not warnings, result.stderr
