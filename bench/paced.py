"""Paced: a tip wave against the emulator enforcing Telegram's limits, at the default Limits().

`python -m bench.paced [--patients 10000] [--rtt-ms 100] [--jitter-ms 20] [--db ...]`

The emulator (a separate process) allows 30 messages/s overall and 1/s per chat and answers
429 beyond that; the bot runs at its defaults (30/s overall, 1/s per private chat). With
--rtt-ms the emulator adds a network round trip to every call (half on the way there, half on
the way back, each with up to half of --jitter-ms more at random; default jitter: a fifth of
the round trip). Reports the sustained rate the emulator accepted, messages / (last send -
first send), and the 429s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from bench.common import (
    EmulatorProcess,
    Figure,
    Target,
    add_database_args,
    outbox_states,
    print_table,
    run_per_database,
    say,
    throwaway_database,
)
from bench.wave import running_wave
from reminderbot.delivery.pacing import Limits

DEFAULT_PATIENTS = 10_000
SMOKE_PATIENTS = 60
TELEGRAM_RATE = 30.0
TARGET_RATE = Target(">=", 28.5)
TARGET_429 = Target("==", 0)


async def run_one(backend: str, args: argparse.Namespace, folder: Path) -> None:
    """One paced wave on one database; prints its table."""
    n = args.patients
    say(
        f"paced ({backend}): {n:,} messages at Telegram's 30/s take about "
        f"{n / TELEGRAM_RATE / 60:.1f} minutes (plus seeding and planning) ..."
    )
    with throwaway_database(backend, args.postgres_url, folder) as url:
        emulator_process = EmulatorProcess(
            folder, flood_limits=True, rtt_ms=args.rtt_ms, jitter_ms=args.jitter_ms
        )
        async with emulator_process as emulator:
            async with running_wave(url, emulator.api_root, n, Limits()) as wave:
                started = time.perf_counter()
                # Room for a wave at a third of the target: a slow wave is a figure, not a hang.
                done = await wave.wait_settled(n, timeout=n / 10 + 120)
                wall = time.perf_counter() - started
                dispatch = wave.delivery.dispatcher.stats
            stats = await emulator.stats()
            states = await outbox_states(wave.rt.sessions)
    span = (stats.last or 0) - (stats.first or 0)
    rate = stats.accepted / span if span > 0 else None
    not_sent = {k: v for k, v in states.items() if k != "sent"}
    print_table(
        f"paced: {backend}, emulator with flood limits, bot at Limits(), "
        f"added round trip {args.rtt_ms:g} ms + up to {args.jitter_ms:g} ms jitter",
        [
            Figure("patients (tips due this minute)", n),
            Figure("tick: planning time", wave.tick_s, "s", digits=2),
            Figure("wave wall time after the tick", wall, "s"),
            Figure("messages accepted by the emulator", stats.accepted),
            Figure("first to last accepted send", span, "s"),
            Figure("sustained rate (msgs / (last - first))", rate, "msg/s", TARGET_RATE, 2),
            Figure("429s sent by the emulator", stats.counters.get("429", 0), "", TARGET_429),
            # Stamped just after the emulator's own admission check, so 31 can show at the edge.
            Figure("most sends accepted in any 1 s window", stats.max_per_second),
            Figure("429s seen by the dispatcher", dispatch.rate_limited),
            Figure("send round trip p50", _ms(dispatch.latencies.quantile(0.5)), "ms"),
            Figure("send round trip p99", _ms(dispatch.latencies.quantile(0.99)), "ms"),
            Figure("rows sent / not sent", f"{states.get('sent', 0):,} / {not_sent or 0}"),
            Figure("finished within the timeout", "yes" if done else "NO"),
        ],
    )


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.paced", description=__doc__)
    parser.add_argument("--patients", type=int, default=DEFAULT_PATIENTS)
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_PATIENTS} patients")
    parser.add_argument(
        "--rtt-ms", type=float, default=0.0, help="round trip the emulator adds to every call"
    )
    parser.add_argument(
        "--jitter-ms",
        type=float,
        default=None,
        help="random extra round trip, up to this (default: a fifth of --rtt-ms)",
    )
    add_database_args(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.patients = SMOKE_PATIENTS
    if args.jitter_ms is None:
        args.jitter_ms = args.rtt_ms / 5
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_per_database("paced", run_one, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
