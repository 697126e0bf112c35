"""Long run: ten waves of 20,000 messages in one process; resident memory after each wave.

`python -m bench.long_run [--waves 10] [--messages 20000] [--db sqlite|postgres|both]`

The emulator (a separate process) enforces the paid-broadcast limits (1,000 messages/s
overall, 1/s per chat) so a wave takes about 20 s; the bot runs at Limits.paid_broadcast()
with the production loop (`dispatcher.run`). Each wave puts N tips in the outbox (one per
chat, the same chats every wave) and waits until all are sent; then, after a garbage
collection, resident memory (VmRSS) is read. Memory that grows with the number of messages
sent shows as a rising line; the target is the last wave within 5 MB of the first.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from pathlib import Path

from bench.common import (
    FIRST_CHAT,
    TOKEN,
    EmulatorProcess,
    Figure,
    Target,
    add_database_args,
    bench_settings,
    print_table,
    rss_mb,
    run_per_database,
    say,
    throwaway_database,
    utc_now,
)
from reminderbot.bootstrap import open_runtime
from reminderbot.cli.jobs import Delivery
from reminderbot.delivery.dispatcher import DispatchSettings
from reminderbot.delivery.http_sender import HttpSender
from reminderbot.delivery.outbox import Message, enqueue
from reminderbot.delivery.pacing import Limits

DEFAULT_WAVES = 10
DEFAULT_MESSAGES = 20_000
SMOKE_WAVES = 3
SMOKE_MESSAGES = 200
TARGET_GROWTH = Target("<=", 5.0)
ENQUEUE_CHUNK = 2_000


async def enqueue_wave(delivery: Delivery, wave: int, count: int) -> None:
    """Put `count` tips (one per chat) in the outbox for wave number `wave`."""
    now = utc_now()
    for start in range(0, count, ENQUEUE_CHUNK):
        async with delivery.rt.sessions.begin() as session:
            await enqueue(
                session,
                [
                    Message(
                        chat_id=FIRST_CHAT + n,
                        recipient_id=None,
                        kind="tip",
                        unique_key=f"long-{wave}-{n}",
                        payload={"text": f"💡 Tip {wave} of the long run, for chat {n}."},
                        not_before=now,
                    )
                    for n in range(start, min(count, start + ENQUEUE_CHUNK))
                ],
                now,
            )
    delivery.dispatcher.wake()


async def run_one(backend: str, args: argparse.Namespace, folder: Path) -> None:
    """The waves on one database; prints the table."""
    n, waves = args.messages, args.waves
    say(f"long_run ({backend}): {waves} waves of {n:,} messages at 1,000/s ...")
    rss: list[float] = []
    rates: list[float] = []
    with throwaway_database(backend, args.postgres_url, folder) as url:
        emulator_process = EmulatorProcess(folder, paid_limits=True, keep_texts=False)
        async with emulator_process as emulator:
            async with open_runtime(bench_settings(emulator.api_root, url)) as rt:
                sender = HttpSender(emulator.api_root, TOKEN)
                delivery = Delivery(
                    rt, sender, dispatch=DispatchSettings(), limits=Limits.paid_broadcast()
                )
                stop = asyncio.Event()
                task = asyncio.create_task(delivery.dispatcher.run(stop), name="dispatcher")
                stats = delivery.dispatcher.stats
                try:
                    for wave in range(waves):
                        await enqueue_wave(delivery, wave, n)
                        started = time.perf_counter()
                        goal = (wave + 1) * n
                        while stats.sent + stats.failed + stats.unreachable < goal:
                            if task.done():
                                task.result()
                            if time.perf_counter() - started > n / 100 + 120:
                                raise RuntimeError(f"wave {wave} stuck: {stats.sent:,} sent")
                            await asyncio.sleep(0.1)
                        rates.append(n / (time.perf_counter() - started))
                        gc.collect()
                        rss.append(rss_mb())
                        say(f"  wave {wave + 1}: {rates[-1]:,.0f} msg/s, RSS {rss[-1]:.1f} MB")
                finally:
                    stop.set()
                    await task
                    await sender.close()
            counters = (await emulator.stats()).counters
    figures = [Figure("messages per wave", n), Figure("waves", waves)]
    figures += [
        Figure(f"RSS after wave {k + 1} ({rates[k]:,.0f} msg/s)", mb, "MB")
        for k, mb in enumerate(rss)
    ]
    figures += [
        Figure("RSS growth, last wave - first", rss[-1] - rss[0], "MB", TARGET_GROWTH),
        Figure("messages sent", stats.sent),
        Figure("send latency p50 (histogram)", _ms(stats.latencies.quantile(0.5)), "ms"),
        Figure("send latency p99 (histogram)", _ms(stats.latencies.quantile(0.99)), "ms"),
        Figure("429s sent by the emulator", counters.get("429", 0)),
    ]
    print_table(f"long_run: {backend}, emulator at paid-broadcast limits", figures)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.long_run", description=__doc__)
    parser.add_argument("--waves", type=int, default=DEFAULT_WAVES)
    parser.add_argument("--messages", type=int, default=DEFAULT_MESSAGES)
    parser.add_argument(
        "--smoke", action="store_true", help=f"{SMOKE_WAVES} waves of {SMOKE_MESSAGES}"
    )
    add_database_args(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.waves, args.messages = SMOKE_WAVES, SMOKE_MESSAGES
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_per_database("long_run", run_one, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
