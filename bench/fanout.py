"""Fan-out: N patients with a tip due the same minute, tick + drain until every row is sent.

`python -m bench.fanout [--patients 10000] [--db sqlite|postgres|both] [--server ...]`

Measures the engine end to end (planning tick, then the dispatcher with paid-broadcast limits
and the lean HttpSender) and, against the same server in the same run, a bare
python-telegram-bot `send_message` loop (sequential, and 32 concurrent sends) as the baseline.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from telegram import Bot

from bench.common import (
    TOKEN,
    EmulatorProcess,
    Figure,
    Target,
    add_database_args,
    backends,
    bench_settings,
    outbox_states,
    peak_rss_mb,
    print_header,
    print_table,
    reset_peak_rss,
    sample_payload_text,
    say,
    seed_tip_wave,
    setup_logging,
    throwaway_database,
    utc_now,
    work_folder,
)
from bench.static_responder import INSTALL_HINT, find_nginx, static_responder
from reminderbot.bootstrap import open_runtime
from reminderbot.cli.jobs import Delivery
from reminderbot.delivery.dispatcher import DispatchSettings
from reminderbot.delivery.http_sender import HttpSender
from reminderbot.delivery.pacing import Limits
from reminderbot.runtime import Runtime

DEFAULT_PATIENTS = 10_000
SMOKE_PATIENTS = 200
PTB_CONCURRENCY = 32
# The second wave and the baseline write to other chats than the first wave.
SECOND_WAVE = 30_000_000
PTB_FIRST_CHAT = 50_000_000
TARGET_RATE = Target(">=", 1000)
TARGET_RATIO = Target(">=", 0.8)
# Paid broadcasts allow 1,000 messages/s overall: sending N takes N / CAP seconds at best, so
# the end-to-end rate (planning included) stays below the cap by construction.
CAP = Limits.paid_broadcast().per_second


@dataclass
class WaveResult:
    """The engine's figures for one wave."""

    patients: int
    seed_s: float
    tick_s: float
    dispatch_s: float
    queued: int
    sent_rows: int
    other_rows: dict[str, int]
    rate_limited: int
    peak_rss_mb: float
    sample_text: str
    # The same wave again with dispatcher.run() going during the tick, as in the bot.
    overlapped_s: float = 0.0

    @property
    def total_s(self) -> float:
        """Tick plus dispatch."""
        return self.tick_s + self.dispatch_s

    @property
    def rate(self) -> float:
        """Messages per second, end to end."""
        return self.sent_rows / self.total_s if self.total_s else 0.0

    @property
    def dispatch_rate(self) -> float:
        """Messages per second, dispatch only (the drain)."""
        return self.sent_rows / self.dispatch_s if self.dispatch_s else 0.0

    @property
    def ceiling(self) -> float:
        """The best end-to-end rate this tick allows with every send at the cap."""
        return self.sent_rows / (self.tick_s + self.sent_rows / CAP) if self.sent_rows else 0.0

    @property
    def overlapped_rate(self) -> float:
        """Messages per second when sending starts after the tick's first batch."""
        return self.patients / self.overlapped_s if self.overlapped_s else 0.0


def new_delivery(rt: Runtime, sender: HttpSender) -> Delivery:
    """The engine as the benchmark runs it: paid-broadcast limits, default dispatch settings."""
    return Delivery(rt, sender, dispatch=DispatchSettings(), limits=Limits.paid_broadcast())


async def overlapped_wave(rt: Runtime, sender: HttpSender, patients: int) -> float:
    """Seconds from the tick's start until `patients` rows are settled by dispatcher.run()."""
    delivery = new_delivery(rt, sender)
    dispatcher = delivery.dispatcher
    stop = asyncio.Event()
    task = asyncio.create_task(dispatcher.run(stop), name="dispatcher")
    try:
        started = time.perf_counter()
        await delivery.tick()
        deadline = started + 60 + patients / 20
        while dispatcher.stats.sent + dispatcher.stats.failed + dispatcher.stats.unreachable < (
            patients
        ):
            if task.done() or time.perf_counter() > deadline:
                raise RuntimeError(f"overlapped wave stuck at {dispatcher.stats}")
            await asyncio.sleep(0.002)
        return time.perf_counter() - started
    finally:
        stop.set()
        await task


async def engine_wave(database_url: str, api_root: str, patients: int) -> WaveResult:
    """Seed the wave, then time one tick and a drain until nothing is left to send."""
    settings = bench_settings(api_root, database_url)
    async with open_runtime(settings) as rt:
        started = time.perf_counter()
        await seed_tip_wave(rt.sessions, patients, utc_now())
        seed_s = time.perf_counter() - started
        sender = HttpSender(api_root, TOKEN)
        await sender.start()
        try:
            delivery = new_delivery(rt, sender)
            gc.collect()
            reset_peak_rss()
            t0 = time.perf_counter()
            report = await delivery.tick()
            t1 = time.perf_counter()
            stats = await delivery.dispatcher.drain(timeout=60 + patients / 20)
            t2 = time.perf_counter()
            peak = peak_rss_mb()
            states = await outbox_states(rt.sessions)
            # A second wave to other patients, with the production loop running meanwhile.
            await seed_tip_wave(rt.sessions, patients, utc_now(), first_user_id=SECOND_WAVE)
            overlapped_s = await overlapped_wave(rt, sender, patients)
        finally:
            await sender.close()
        return WaveResult(
            patients=patients,
            seed_s=seed_s,
            tick_s=t1 - t0,
            dispatch_s=t2 - t1,
            queued=report.queued,
            sent_rows=states.pop("sent", 0),
            other_rows=states,
            rate_limited=stats.rate_limited,
            peak_rss_mb=peak,
            sample_text=await sample_payload_text(rt.sessions),
            overlapped_s=overlapped_s,
        )


async def ptb_loop(api_root: str, messages: int, text: str, concurrency: int) -> float:
    """Send `messages` with a bare PTB Bot (awaiting each, `concurrency` at a time); msg/s."""
    async with Bot(TOKEN, base_url=f"{api_root}/bot") as bot:
        chats: Iterator[int] = iter(range(PTB_FIRST_CHAT, PTB_FIRST_CHAT + messages))
        started = time.perf_counter()
        if concurrency == 1:
            for chat in chats:
                await bot.send_message(chat, text)
        else:

            async def worker() -> None:
                for chat in chats:  # one shared iterator: each chat is taken once
                    await bot.send_message(chat, text)

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return messages / (time.perf_counter() - started)


@asynccontextmanager
async def server(kind: str, folder: Path) -> AsyncIterator[str]:
    """Start the emulator process or nginx; yield the API root."""
    if kind == "sandbox":
        async with EmulatorProcess(folder) as emulator:
            yield emulator.api_root
    else:
        with static_responder(TOKEN) as api_root:
            yield api_root


def figures(server_kind: str, wave: WaveResult, ptb: float, ptb_many: float) -> list[Figure]:
    """The table of one (database, server) run; the targets apply against the static server."""
    static = server_kind == "static"
    failed = sum(wave.other_rows.values())
    return [
        Figure("patients (tips due this minute)", wave.patients),
        Figure("seeding (not a target)", wave.seed_s, "s", digits=2),
        Figure("tick: planning time", wave.tick_s, "s", digits=2),
        Figure("dispatch time", wave.dispatch_s, "s", digits=2),
        Figure("end to end (tick + drain)", wave.total_s, "s", digits=2),
        Figure("engine rate, end to end", wave.rate, "msg/s", TARGET_RATE if static else None),
        Figure("  best possible with this tick at the cap", wave.ceiling, "msg/s"),
        Figure(f"engine rate, dispatch only (cap {CAP:,.0f})", wave.dispatch_rate, "msg/s"),
        Figure("engine rate, run() during the tick (as the bot)", wave.overlapped_rate, "msg/s"),
        Figure("rows sent / not sent", f"{wave.sent_rows:,} / {failed:,} {wave.other_rows or ''}"),
        Figure("429s seen by the dispatcher", wave.rate_limited),
        Figure("bare PTB send_message loop", ptb, "msg/s"),
        Figure(f"bare PTB, {PTB_CONCURRENCY} concurrent sends", ptb_many, "msg/s"),
        Figure(
            "ratio engine / PTB loop",
            wave.rate / ptb,
            "",
            TARGET_RATIO if static else None,
            digits=2,
        ),
        Figure(f"ratio engine / PTB {PTB_CONCURRENCY} concurrent", wave.rate / ptb_many, digits=2),
        Figure("peak RSS during the wave", wave.peak_rss_mb, "MB"),
    ]


async def run_one(
    backend: str, server_kind: str, args: argparse.Namespace, folder: Path
) -> tuple[str, WaveResult, float, float]:
    """One (database, server) combination: the engine wave, then the two PTB baselines."""
    title = f"fanout: {backend} + {server_kind}"
    say(f"{title}: seeding {args.patients:,} patients, then tick + drain ...")
    with throwaway_database(backend, args.postgres_url, folder) as url:
        async with server(server_kind, folder) as api_root:
            wave = await engine_wave(url, api_root, args.patients)
            say(
                f"{title}: engine {wave.rate:,.0f} msg/s; PTB baselines ({args.ptb_messages:,}) ..."
            )
            ptb = await ptb_loop(api_root, args.ptb_messages, wave.sample_text, 1)
            ptb_many = await ptb_loop(
                api_root, args.ptb_messages, wave.sample_text, PTB_CONCURRENCY
            )
    print_table(title, figures(server_kind, wave, ptb, ptb_many))
    return title, wave, ptb, ptb_many


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__)
    parser.add_argument("--patients", type=int, default=DEFAULT_PATIENTS)
    parser.add_argument(
        "--ptb-messages", type=int, default=None, help="messages per PTB baseline (default: N)"
    )
    parser.add_argument("--server", choices=["sandbox", "static", "both"], default="both")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_PATIENTS} patients")
    add_database_args(parser, default="both")
    args = parser.parse_args(argv)
    if args.smoke:
        args.patients = SMOKE_PATIENTS
    if args.ptb_messages is None:
        args.ptb_messages = args.patients
    return args


async def main_async(args: argparse.Namespace) -> int:
    """Run every requested combination and print a summary when there are several."""
    print_header("fanout")
    servers = ["sandbox", "static"] if args.server == "both" else [args.server]
    if "static" in servers and find_nginx() is None:
        print(f"\nstatic server: SKIPPED. {INSTALL_HINT}", flush=True)
        say(INSTALL_HINT)
        if args.server == "static":
            return 2
        servers.remove("static")
    results = []
    with work_folder() as folder:
        for backend in backends(args.db):
            for server_kind in servers:
                results.append(await run_one(backend, server_kind, args, folder))
    if len(results) > 1:
        summary: list[Figure] = []
        for title, wave, ptb, many in results:
            combo = title.removeprefix("fanout: ")
            static = combo.endswith("static")
            summary += [
                Figure(f"{combo}: engine", wave.rate, "msg/s", TARGET_RATE if static else None),
                Figure(f"{combo}: dispatch only", wave.dispatch_rate, "msg/s"),
                Figure(
                    f"{combo}: PTB loop / x{PTB_CONCURRENCY}", f"{ptb:,.0f} / {many:,.0f} msg/s"
                ),
                Figure(
                    f"{combo}: engine / PTB loop",
                    wave.rate / ptb,
                    "",
                    TARGET_RATIO if static else None,
                    2,
                ),
            ]
        print_table("fanout summary (targets apply against the static server)", summary)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    setup_logging()
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
