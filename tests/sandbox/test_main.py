"""`python -m reminderbot.sandbox` serves standalone until interrupted."""

from __future__ import annotations

import asyncio
import signal
import sys

import httpx

from reminderbot.sandbox.__main__ import parse_args


def test_arguments() -> None:
    args = parse_args(["--port", "0", "--token", "1:X", "--flood-limits", "--auto-create-chats"])
    assert (args.port, args.token, args.flood_limits, args.auto_create_chats) == (
        0,
        "1:X",
        True,
        True,
    )
    assert parse_args([]).flood_limits is False


async def test_serves_until_sigint() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "reminderbot.sandbox",
        "--port",
        "0",
        "--token",
        "77:CLI",
        "--auto-create-chats",
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        api_root = (await asyncio.wait_for(process.stdout.readline(), timeout=10)).decode().strip()
        assert api_root.startswith("http://127.0.0.1:")
        async with httpx.AsyncClient() as client:
            me = (await client.get(f"{api_root}/bot77:CLI/getMe")).json()
            sent = await client.post(
                f"{api_root}/bot77:CLI/sendMessage", data={"chat_id": "31337", "text": "hi"}
            )
        assert me["result"]["id"] == 77
        assert sent.json()["result"]["chat"]["id"] == 31337  # --auto-create-chats took effect
        process.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
