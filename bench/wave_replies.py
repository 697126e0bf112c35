"""Replies during a wave: patients answer check-ins and red flags while 3,000 tips go out.

`python -m bench.wave_replies [--patients 3000] [--talkers 20] [--think 1.5] [--db ...]`

The emulator (in this process: the simulated patients tap its buttons through the sandbox
driver) enforces Telegram's limits: 30 messages/s overall and, per chat, 1 message/s with
bursts of 5. The bot runs as `reminderbot run` does: the real python-telegram-bot Application
polling the emulator, and `delivering()` (tick and dispatcher) on the same send path. N
patients have a tip due now; meanwhile each of the talkers, again and again until the wave
has gone, asks /pain, taps 8, answers the follow-ups (4 on scales, No elsewhere) and, at the
spinal-cord question, taps Yes: the bot must answer with the emergency instruction ("Call …
now. Lie flat …") at once. A talker waits `--think` seconds before each tap, as a reader
would. Reported: replies expected (one per message or tap) and arrived (within 30 s), the
emergency instructions, the time from the tap to the instruction, the 429s, and the rate of
the wave (every message the emulator accepted between the wave's first and last tip).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    FIRST_CHAT,
    TOKEN,
    Figure,
    Target,
    add_database_args,
    bench_settings,
    percentile,
    print_table,
    run_per_database,
    say,
    seed_tip_wave,
    throwaway_database,
    utc_now,
)
from bench.emulator import RecordingSandbox
from reminderbot.bootstrap import open_runtime
from reminderbot.cli.jobs import delivering
from reminderbot.runtime import Runtime
from reminderbot.sandbox import FloodLimits, SentMessage, SimulatedUser
from reminderbot.store.bulk_seed import seed_patients
from reminderbot.telegram.app import build_application, polling

DEFAULT_PATIENTS = 3_000
DEFAULT_TALKERS = 20
SMOKE_PATIENTS = 60
SMOKE_TALKERS = 2
TALKER_FIRST_ID = 20_000_000
# Telegram lets a chat take a short burst over 1 message/s; the emulator allows this many.
# The answer to a Yes at the spinal-cord question is four messages (two of advice, the
# worsened-pain advice and the thank-you), 2 s after the two messages of the question.
CHAT_BURST = 5
REPLY_TIMEOUT = 30.0
TARGET_P99 = Target("<", 2.0)
TARGET_RATE = Target(">=", 28.5)
TARGET_ZERO = Target("==", 0)


@dataclass
class Tally:
    """What the talkers saw."""

    expected: int = 0
    arrived: int = 0
    emergencies_expected: int = 0
    emergencies: list[float] = field(default_factory=list)  # seconds from tap to instruction
    wrong_first_reply: int = 0


class Talker:
    """One patient answering check-ins through the sandbox driver."""

    def __init__(self, user: SimulatedUser, rt: Runtime, tally: Tally, think: float) -> None:
        self.user, self.tally, self.think = user, tally, think
        self.mscc = rt.text("en", "checkin.red_flag.mscc")
        self.advice = rt.text("en", "advice.red_flag.mscc")
        self.thanks = rt.text("en", "checkin.thanks")

    async def _reply(self, before: int) -> SentMessage | None:
        """Wait for a bot message after the first `before`; count it."""
        self.tally.expected += 1
        try:
            await self.user.wait_for(lambda u: len(u.messages) > before, REPLY_TIMEOUT)
        except TimeoutError:
            return None
        self.tally.arrived += 1
        return self.user.messages[before]

    async def _question(self) -> SentMessage | None:
        """The newest message once it has buttons (the next question), or None."""
        with contextlib.suppress(TimeoutError):
            return await self.user.wait_for(
                lambda u: u.last_message if u.last_message and u.last_message.buttons else None,
                REPLY_TIMEOUT,
            )
        return None

    async def round(self) -> None:
        """/pain, 8, the follow-ups, Yes at the spinal-cord question."""
        user = self.user
        await asyncio.sleep(self.think)
        before = len(user.messages)
        await user.send("/pain")
        if await self._reply(before) is None:
            return
        label = "8"
        while True:
            question = await self._question()
            if question is None:
                return
            if question.text == self.mscc:
                break
            await asyncio.sleep(self.think)
            before = len(user.messages)
            await user.tap(label)
            if await self._reply(before) is None:
                return
            question = await self._question()
            if question is None:
                return
            labels = [text for row in question.buttons for text in row]
            label = "4" if "10" in labels else "No"
        await asyncio.sleep(self.think)
        before = len(user.messages)
        tapped = time.monotonic()
        self.tally.emergencies_expected += 1
        await user.tap("Yes")
        first = await self._reply(before)
        if first is None:
            return
        if first.text != self.advice:
            self.tally.wrong_first_reply += 1
            return
        self.tally.emergencies.append(time.monotonic() - tapped)
        # The rest of the answer (the thank-you) must arrive too.
        self.tally.expected += 1
        with contextlib.suppress(TimeoutError):
            await user.wait_for(
                lambda u: any(m.text == self.thanks for m in u.messages[before:]), REPLY_TIMEOUT
            )
            self.tally.arrived += 1


async def run_one(backend: str, args: argparse.Namespace, folder: Path) -> None:
    """One wave with talkers on one database; prints the table."""
    n = args.patients
    say(f"wave_replies ({backend}): {n:,} tips at 30/s, {args.talkers} patients talking ...")
    tally = Tally()
    sandbox = RecordingSandbox(token=TOKEN, auto_create_chats=True)
    sandbox.flood_limits = FloodLimits(
        global_per_second=30, per_chat_per_second=1, per_chat_burst=CHAT_BURST
    )
    with throwaway_database(backend, args.postgres_url, folder) as url:
        async with sandbox:
            settings = bench_settings(sandbox.api_root, url, tick_seconds=1.0)
            async with open_runtime(settings) as rt:
                await seed_tip_wave(rt.sessions, n, utc_now())
                await seed_patients(
                    rt.sessions, args.talkers, utc_now(), [], first_user_id=TALKER_FIRST_ID
                )
                users = [sandbox.user(TALKER_FIRST_ID + k) for k in range(args.talkers)]
                app = build_application(rt, TOKEN)
                async with polling(app, rt, poll_timeout=5), delivering(app, rt) as delivery:
                    stats = delivery.dispatcher.stats
                    await wave_started(sandbox, 30)
                    talkers = [Talker(u, rt, tally, args.think) for u in users]
                    wave_done = asyncio.Event()

                    async def talk(talker: Talker) -> None:
                        await talker.round()
                        while not wave_done.is_set():
                            await talker.round()

                    tasks = [asyncio.create_task(talk(t)) for t in talkers]
                    deadline = time.monotonic() + n / 10 + 120
                    while stats.sent + stats.failed < n and time.monotonic() < deadline:  # noqa: ASYNC110
                        await asyncio.sleep(0.2)
                    wave_done.set()
                    await asyncio.gather(*tasks)
    tips = [
        t
        for t, chat in zip(sandbox.accepted_at, sandbox.accepted_chat, strict=True)
        if FIRST_CHAT <= chat < FIRST_CHAT + n
    ]
    first, last = (min(tips), max(tips)) if tips else (0.0, 0.0)
    during = sum(1 for t in sandbox.accepted_at if first <= t <= last)
    span = last - first
    lat = tally.emergencies
    has = bool(lat)
    print_table(
        f"wave_replies: {backend}, emulator at 30/s overall, 1/s per chat (bursts of {CHAT_BURST})",
        [
            Figure("tips in the wave", n),
            Figure("tips accepted by the emulator", len(tips)),
            Figure("patients talking (think time)", f"{args.talkers} ({args.think:g} s)"),
            Figure("replies expected", tally.expected),
            Figure("replies arrived", tally.arrived),
            Figure("replies missing", tally.expected - tally.arrived, "", TARGET_ZERO),
            Figure("emergency instructions expected", tally.emergencies_expected),
            Figure("emergency instructions arrived first", len(lat)),
            Figure(
                "emergency instructions missing",
                tally.emergencies_expected - len(lat),
                "",
                TARGET_ZERO,
            ),
            Figure(
                "tap to emergency instruction p50",
                percentile(lat, 50) if has else None,
                "s",
                digits=3,
            ),
            Figure(
                "tap to emergency instruction p99",
                percentile(lat, 99) if has else None,
                "s",
                TARGET_P99,
                3,
            ),
            Figure("tap to emergency instruction max", max(lat) if has else None, "s", digits=3),
            Figure("429s sent by the emulator", sandbox.counters.get("429", 0), "", TARGET_ZERO),
            Figure(
                "wave rate, every message (first to last tip)",
                during / span if span > 0 else None,
                "msg/s",
                TARGET_RATE,
                2,
            ),
            Figure(
                "wave rate, tips only", len(tips) / span if span > 0 else None, "msg/s", digits=2
            ),
            Figure(
                "replies sent directly / queued in the outbox",
                f"{stats.replies_sent:,} / {stats.replies_queued}",
            ),
            Figure(
                "reply wait + send p99 (pacer)", _ms(stats.reply_latencies.quantile(0.99)), "ms"
            ),
        ],
    )


async def wave_started(sandbox: RecordingSandbox, count: int) -> None:
    """Wait until the emulator has accepted `count` messages (the wave is going)."""
    await sandbox.wait_for(lambda s: s.sent_count() >= count, timeout=120)


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.wave_replies", description=__doc__)
    parser.add_argument("--patients", type=int, default=DEFAULT_PATIENTS)
    parser.add_argument("--talkers", type=int, default=DEFAULT_TALKERS)
    parser.add_argument("--think", type=float, default=2.0, help="seconds before each tap")
    parser.add_argument(
        "--smoke", action="store_true", help=f"{SMOKE_PATIENTS} tips, {SMOKE_TALKERS} talkers"
    )
    add_database_args(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.patients, args.talkers = SMOKE_PATIENTS, SMOKE_TALKERS
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_per_database("wave_replies", run_one, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
