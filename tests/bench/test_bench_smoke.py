"""Every benchmark runs at its tiny --smoke size in a subprocess and prints its figures."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def run_bench(name: str, *args: str, timeout: float = 90) -> str:
    """Run `python -m bench.NAME --smoke ARGS` from the repository; return its stdout."""
    # The benchmarks set every setting they rely on; a developer's shell must not leak in.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("REMINDERBOT_") and k != "TELEGRAM_BOT_TOKEN"
    }
    result = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--smoke", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result.stdout


def assert_figures(output: str, *names: str) -> None:
    """Each named figure is printed on a line with a number after it."""
    for name in names:
        # The name, maybe a parenthesised detail, then the value column (two spaces or more).
        pattern = rf"^{re.escape(name)}[^\n]*?\s{{2,}}-?[\d,]+(\.\d+)?\b"
        assert re.search(pattern, output, re.M), f"figure {name!r} missing from:\n{output}"


FANOUT_FIGURES = (
    "tick: planning time",
    "dispatch time",
    "engine rate, end to end",
    "bare PTB send_message loop",
    "bare PTB, 32 concurrent sends",
    "ratio engine / PTB loop",
    "peak RSS during the wave",
)
SCALE_FIGURES = (
    "seeding (not a target)",
    "start-up, spawn to first tick done",
    "RSS after start-up (VmRSS, largest)",
    "idle tick p50, fresh load",
    "idle tick p99, fresh load",
    "start-up after ANALYZE",
    "idle tick p99, after ANALYZE",
    "reminderbot status, spawn to exit",
)


def nginx_installed() -> bool:
    """Whether nginx is on this machine (Debian puts it in /usr/sbin)."""
    return bool(shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin"))


def test_fanout_sqlite_emulator() -> None:
    output = run_bench("fanout", "--db", "sqlite", "--server", "sandbox")
    assert "fanout: sqlite + sandbox" in output
    assert_figures(output, *FANOUT_FIGURES)


@pytest.mark.skipif(
    not nginx_installed(), reason="nginx is not installed (apt-get install -y nginx)"
)
def test_fanout_sqlite_static_nginx() -> None:
    output = run_bench("fanout", "--db", "sqlite", "--server", "static")
    assert "fanout: sqlite + static" in output
    assert_figures(output, *FANOUT_FIGURES)


@pytest.mark.postgres
def test_fanout_postgres_emulator(postgres_admin_url: str) -> None:
    output = run_bench(
        "fanout", "--db", "postgres", "--server", "sandbox", "--postgres-url", postgres_admin_url
    )
    assert "fanout: postgres + sandbox" in output
    assert_figures(output, *FANOUT_FIGURES)


def test_paced_sqlite() -> None:
    output = run_bench("paced", "--db", "sqlite")
    assert_figures(
        output,
        "messages accepted by the emulator",
        "sustained rate (msgs / (last - first))",
        "429s sent by the emulator",
    )


def test_alert_latency_sqlite() -> None:
    output = run_bench("alert_latency", "--db", "sqlite")
    assert_figures(
        output,
        "alerts enqueued (1/s)",
        "alerts received by the emulator",
        "latency p50",
        "latency p99",
        "latency max",
    )


def test_scale_sqlite() -> None:
    output = run_bench("scale", "--db", "sqlite")
    assert_figures(output, *SCALE_FIGURES)


@pytest.mark.postgres
def test_scale_postgres(postgres_admin_url: str) -> None:
    output = run_bench("scale", "--db", "postgres", "--postgres-url", postgres_admin_url)
    assert "scale: postgres" in output
    assert_figures(output, *SCALE_FIGURES)


def test_paced_over_a_network_sqlite() -> None:
    output = run_bench("paced", "--db", "sqlite", "--rtt-ms", "100")
    assert "added round trip 100 ms" in output
    assert_figures(output, "sustained rate (msgs / (last - first))", "429s sent by the emulator")


def test_wave_replies_sqlite() -> None:
    output = run_bench("wave_replies", "--db", "sqlite", timeout=180)
    assert_figures(
        output,
        "replies expected",
        "replies arrived",
        "emergency instructions arrived first",
        "tap to emergency instruction p50",
        "tap to emergency instruction p99",
        "429s sent by the emulator",
        "wave rate, every message (first to last tip)",
    )


def test_long_run_sqlite() -> None:
    output = run_bench("long_run", "--db", "sqlite", timeout=180)
    assert_figures(output, "RSS after wave 1", "RSS after wave 3", "RSS growth, last wave - first")


def test_alert_burden() -> None:
    output = run_bench("alert_burden")
    assert "rules: old" in output and "rules: new" in output
    assert_figures(
        output,
        "old: alerts per patient-week",
        "new: alerts per patient-week",
        "new: patient-weeks with any alert",
        "new: stable patients with daily tier-1 alerts (3+ days running)",
        "new: true emergencies alerted (tier 3)",
    )
    assert "MISSED" not in output
