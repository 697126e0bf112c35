"""Alert latency: urgent alerts enqueued once a second while a paced tip wave is in flight.

`python -m bench.alert_latency [--patients 10000] [--alerts 60] [--same-caregiver]`

The emulator (a separate process) enforces Telegram's limits and the bot runs at Limits(), so
the wave keeps the dispatcher's 30/s fully booked. Each alert row (kind "alert", priority 0)
is enqueued with `outbox.enqueue` and followed by `dispatcher.wake()`; its latency runs from
just before the enqueue to the instant the emulator accepted it (both on this host's clock).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

from bench.common import (
    EmulatorProcess,
    Figure,
    Target,
    add_database_args,
    percentile,
    print_table,
    run_per_database,
    say,
    throwaway_database,
    utc_now,
)
from bench.wave import RunningWave, running_wave
from reminderbot.delivery.outbox import Message, enqueue
from reminderbot.delivery.pacing import Limits

DEFAULT_PATIENTS = 10_000
DEFAULT_ALERTS = 60
SMOKE_PATIENTS = 100
SMOKE_ALERTS = 3
# Caregivers' chats lie outside the seeded patients' range (10,000,000 + n).
CAREGIVER_CHAT = 90_000_000
TARGET_P99 = Target("<", 2.0)
# How long after the last alert to wait for stragglers before calling them lost.
GRACE_S = 30.0


def alert_text(number: int) -> str:
    """The text of alert `number`, by which the emulator's record is matched back."""
    return f"🚨 bench alert {number}: pain 9/10 reported"


async def enqueue_alert(wave: RunningWave, number: int, chat: int) -> float:
    """Enqueue one alert and wake the dispatcher; return the unix time just before enqueue."""
    stamp = time.time()
    now = utc_now()
    async with wave.rt.sessions.begin() as session:
        await enqueue(
            session,
            [
                Message(
                    chat_id=chat,
                    recipient_id=None,
                    kind="alert",
                    unique_key=f"bench-alert-{number}",
                    payload={"text": alert_text(number), "buttons": []},
                    not_before=now,
                )
            ],
            now,
        )
    wave.delivery.dispatcher.wake()
    return stamp


def match_alerts(
    chat_messages: dict[int, list[tuple[float, str]]], enqueued: dict[int, float]
) -> dict[int, float]:
    """Map alert number to the instant the emulator first accepted it."""
    texts = {alert_text(n): n for n in enqueued}
    received: dict[int, float] = {}
    for messages in chat_messages.values():
        for instant, text in messages:
            number = texts.get(text)
            if number is not None and number not in received:
                received[number] = instant
    return received


async def run_one(backend: str, args: argparse.Namespace, folder: Path) -> None:
    """One wave with alerts on one database; prints its table."""
    say(
        f"alert_latency ({backend}): {args.patients:,} paced tips in flight, one alert a "
        f"second, up to {args.alerts} alerts (about {args.alerts / 60 + 0.5:.1f} minutes) ..."
    )

    def chat_of(number: int) -> int:
        return CAREGIVER_CHAT if args.same_caregiver else CAREGIVER_CHAT + number

    enqueued: dict[int, float] = {}
    with throwaway_database(backend, args.postgres_url, folder) as url:
        async with EmulatorProcess(folder, flood_limits=True) as emulator:
            wave_context = running_wave(url, emulator.api_root, args.patients, Limits())
            async with wave_context as wave:
                # Let the wave reach its steady rate before the first alert.
                await wave.wait_settled(min(args.patients, 30), timeout=30)
                tips_before = wave.delivery.dispatcher.stats.sent
                start = time.monotonic()
                for number in range(args.alerts):
                    if wave.settled() >= args.patients + number:
                        break  # the wave has ended
                    # Absolute ticks: the enqueue's own duration does not stretch the interval.
                    await asyncio.sleep(max(0.0, start + number - time.monotonic()))
                    enqueued[number] = await enqueue_alert(wave, number, chat_of(number))
                alert_phase = time.monotonic() - start
                phase_end = time.time()
                sent_in_phase = wave.delivery.dispatcher.stats.sent - tips_before
                chats = sorted({chat_of(n) for n in enqueued})
                deadline = time.monotonic() + GRACE_S
                while True:
                    stats = await emulator.stats(chats)
                    received = match_alerts(stats.chat_messages, enqueued)
                    if len(received) == len(enqueued) or time.monotonic() > deadline:
                        break
                    await asyncio.sleep(0.25)
                alerts_in_phase = sum(1 for t in received.values() if t <= phase_end)
                tips_during = sent_in_phase - alerts_in_phase
                rate_limited = wave.delivery.dispatcher.stats.rate_limited
    latencies = [received[n] - enqueued[n] for n in enqueued if n in received]
    lost = len(enqueued) - len(latencies)
    has = bool(latencies)
    print_table(
        f"alert_latency: {backend}, {args.patients:,}-tip paced wave in flight",
        [
            Figure("alerts enqueued (1/s)", len(enqueued)),
            Figure("alerts received by the emulator", len(latencies)),
            Figure("alerts not received within 30 s", lost, "", Target("==", 0)),
            Figure(
                "caregiver chats",
                "1 (all alerts)" if args.same_caregiver else "one per alert",
            ),
            Figure("latency p50", percentile(latencies, 50) if has else None, "s", digits=3),
            Figure("latency p99", percentile(latencies, 99) if has else None, "s", TARGET_P99, 3),
            Figure("latency max", max(latencies) if has else None, "s", digits=3),
            Figure("tips sent during the alerts", tips_during / alert_phase, "msg/s", digits=1),
            Figure("429s sent by the emulator", stats.counters.get("429", 0)),
            Figure("429s seen by the dispatcher", rate_limited),
        ],
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.alert_latency", description=__doc__)
    parser.add_argument("--patients", type=int, default=DEFAULT_PATIENTS)
    parser.add_argument("--alerts", type=int, default=DEFAULT_ALERTS)
    parser.add_argument(
        "--same-caregiver",
        action="store_true",
        help="send every alert to one caregiver chat (then Telegram's 1/s per chat applies)",
    )
    parser.add_argument(
        "--smoke", action="store_true", help=f"{SMOKE_PATIENTS} tips, {SMOKE_ALERTS} alerts"
    )
    add_database_args(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.patients, args.alerts = SMOKE_PATIENTS, SMOKE_ALERTS
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_per_database("alert_latency", run_one, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
