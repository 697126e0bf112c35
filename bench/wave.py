"""A tip wave delivered the way the bot does it: one tick, then the dispatcher's own loop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bench.common import TOKEN, bench_settings, say, seed_tip_wave, utc_now
from reminderbot.bootstrap import open_runtime
from reminderbot.cli.jobs import Delivery
from reminderbot.delivery.dispatcher import DispatchSettings
from reminderbot.delivery.http_sender import HttpSender
from reminderbot.delivery.pacing import Limits
from reminderbot.runtime import Runtime


@dataclass
class RunningWave:
    """A seeded, planned wave whose dispatcher runs in a task (`dispatcher.run`)."""

    rt: Runtime
    delivery: Delivery
    patients: int
    seed_s: float
    tick_s: float
    task: asyncio.Task[None]

    def settled(self) -> int:
        """Rows the dispatcher has finished with (sent, failed or unreachable)."""
        stats = self.delivery.dispatcher.stats
        return stats.sent + stats.failed + stats.unreachable

    async def wait_settled(
        self,
        count: int,
        timeout: float,  # noqa: ASYNC109
        progress_every: float = 30.0,
    ) -> bool:
        """Wait until `count` rows are settled; False on timeout. Reports progress to stderr."""
        started = time.monotonic()
        last_report = started
        while self.settled() < count:
            now = time.monotonic()
            if now - started > timeout:
                return False
            if self.task.done():
                self.task.result()  # the dispatcher loop ended: raise what ended it
                return False
            if now - last_report >= progress_every:
                last_report = now
                stats = self.delivery.dispatcher.stats
                say(
                    f"  ... {now - started:.0f}s: {stats.sent:,}/{count:,} sent, "
                    f"{stats.rate_limited} rate-limited"
                )
            await asyncio.sleep(0.05)
        return True


@asynccontextmanager
async def running_wave(
    database_url: str, api_root: str, patients: int, limits: Limits
) -> AsyncIterator[RunningWave]:
    """Seed `patients` tips due now, tick once, and run the dispatcher until the block ends."""
    settings = bench_settings(api_root, database_url)
    async with open_runtime(settings) as rt:
        started = time.perf_counter()
        await seed_tip_wave(rt.sessions, patients, utc_now())
        seed_s = time.perf_counter() - started
        sender = HttpSender(api_root, TOKEN)
        await sender.start()
        stop = asyncio.Event()
        task: asyncio.Task[None] | None = None
        try:
            delivery = Delivery(rt, sender, dispatch=DispatchSettings(), limits=limits)
            started = time.perf_counter()
            await delivery.tick()
            tick_s = time.perf_counter() - started
            # The production loop, not drain(): it sleeps on the pacer's hints and wake().
            task = asyncio.create_task(delivery.dispatcher.run(stop), name="dispatcher")
            yield RunningWave(rt, delivery, patients, seed_s, tick_s, task)
        finally:
            stop.set()
            if task is not None:
                await task
            await sender.close()
