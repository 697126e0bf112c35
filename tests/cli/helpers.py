"""Running the real `reminderbot` command in a subprocess with a clean environment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

VALID_TOKEN = "123456:TEST-token-for-the-sandbox-000000"
# `run` and `deliver` refuse to start without an emergency number set explicitly.
EMERGENCY = "999"
EMERGENCY_NUMBER = {"REMINDERBOT_EMERGENCY_NUMBER": EMERGENCY}


def clean_env(tmp_path: Path, **settings: str) -> dict[str, str]:
    """The current environment without any reminderbot setting, plus the given ones."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("REMINDERBOT_") and k != "TELEGRAM_BOT_TOKEN"
    }
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg")
    env.update(settings)
    return env


def run_cli(
    tmp_path: Path, *args: str, timeout: float = 60, **settings: str
) -> subprocess.CompletedProcess[str]:
    """Run `python -m reminderbot ARGS` in tmp_path (so no stray .env is read)."""
    return subprocess.run(
        [sys.executable, "-m", "reminderbot", *args],
        cwd=tmp_path,
        env=clean_env(tmp_path, **settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


@asynccontextmanager
async def cli_process(
    tmp_path: Path, command: str, **settings: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Start `python -m reminderbot COMMAND` in the background; kill it if still running."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "reminderbot",
        command,
        cwd=tmp_path,
        env=clean_env(tmp_path, **settings),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
        await process.communicate()
