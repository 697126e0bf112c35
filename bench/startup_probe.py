"""A fresh bot-like process: open_runtime + Delivery + first tick, then idle ticks.

Run by bench/scale.py as `python -m bench.startup_probe --database-url URL`; prints one JSON
line when ready (after the first tick) and one after the idle ticks. It imports only what the
bot itself imports (nothing from bench.common), so the imports it pays for are the bot's.
"""

from __future__ import annotations

import time

_STARTED = time.perf_counter()

import argparse  # noqa: E402 - the clock above must start before any import
import asyncio  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def vm_rss_mb() -> float:
    """Resident memory now (VmRSS from /proc/self/status), in MB."""
    status = Path("/proc/self/status").read_text()
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else 0.0


def emit(record: dict[str, Any]) -> None:
    """Write one JSON line to stdout for the parent."""
    print(json.dumps(record), flush=True)


async def probe(database_url: str, token: str, ticks: int) -> None:
    """Start like the bot, report, then time `ticks` ticks with nothing due."""
    t0 = time.perf_counter()
    from reminderbot.bootstrap import open_runtime
    from reminderbot.cli.jobs import Delivery
    from reminderbot.config import Settings
    from reminderbot.delivery.http_sender import HttpSender

    t1 = time.perf_counter()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=token,
        telegram_api_url="http://127.0.0.1:9",  # never called: nothing is due
        database_url=database_url,
        auto_migrate=True,  # a fresh start of `reminderbot run` checks the schema
        messages_dir=None,
    )
    async with open_runtime(settings) as rt:
        t2 = time.perf_counter()
        delivery = Delivery(rt, HttpSender(settings.telegram_api_url, token))
        t3 = time.perf_counter()
        first = await delivery.tick()
        t4 = time.perf_counter()
        emit(
            {
                "event": "ready",
                "imports_s": t1 - t0,
                "open_runtime_s": t2 - t1,
                "delivery_s": t3 - t2,
                "first_tick_s": t4 - t3,
                "in_process_s": t4 - _STARTED,
                "rss_mb": vm_rss_mb(),
                "queued": first.queued,
            }
        )
        durations = []
        refreshed = []
        queued = 0
        for _ in range(ticks):
            # A short pause between ticks, as the bot's 5 s interval would have.
            await asyncio.sleep(0.01)
            started = time.perf_counter()
            report = await delivery.tick()
            durations.append(time.perf_counter() - started)
            queued += report.queued
        for _ in range(ticks):
            # The same, with the planner's memory of the next due instant dropped first: the
            # tick the bot makes when that memory is refreshed (every 15 s, or after a change).
            await asyncio.sleep(0.01)
            delivery.planner.forget_next_due()
            started = time.perf_counter()
            report = await delivery.tick()
            refreshed.append(time.perf_counter() - started)
            queued += report.queued
        emit(
            {
                "event": "ticks",
                "durations": durations,
                "refreshed": refreshed,
                "queued": queued,
                "rss_mb": vm_rss_mb(),
            }
        )


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m bench.startup_probe")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--ticks", type=int, default=50)
    args = parser.parse_args(argv)
    asyncio.run(probe(args.database_url, args.token, args.ticks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
