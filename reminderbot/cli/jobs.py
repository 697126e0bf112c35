"""Application wiring for delivery: the APScheduler tick and watch jobs, the dispatcher task."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.ext import Application, ContextTypes

from reminderbot.delivery.dispatcher import Dispatcher, DispatchSettings, Sender
from reminderbot.delivery.errors import SendFailure
from reminderbot.delivery.http_sender import HttpSender
from reminderbot.delivery.pacing import Limits, Pacer
from reminderbot.delivery.planner import Planner, TickReport
from reminderbot.delivery.send_path import SendPath, shared_send_path
from reminderbot.delivery.unreachable import handle_unreachable
from reminderbot.runtime import Runtime
from reminderbot.services.watch import WatchReport, watch
from reminderbot.store.models import OutboxDelivery

log = logging.getLogger(__name__)


def default_worker_id() -> str:
    """Host name and process id: unique per process, readable in the outbox."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}"


class Delivery:
    """The planner and dispatcher of one process, wired to the runtime."""

    def __init__(
        self,
        rt: Runtime,
        sender: Sender,
        dispatch: DispatchSettings | None = None,
        limits: Limits | None = None,
        send_path: SendPath | None = None,
    ) -> None:
        settings = rt.settings
        self.rt = rt
        self.planner = Planner(
            rt.sessions,
            rt.renderer.catalog,
            rt.tips,
            dict(rt.renderer.contacts),
            grace=timedelta(hours=settings.grace_hours),
        )
        if limits is None:
            limits = Limits.configured(settings.paid_broadcast, settings.rate_per_second)
        # One pacer per process: the Application's replies and the outbox share it.
        send_path = send_path or SendPath(Pacer(limits))
        send_path.on_queued = self._wake_dispatcher
        self.planner.on_batch = self._wake_dispatcher
        self.dispatcher = Dispatcher(
            rt.sessions,
            sender,
            rt.clock,
            send_path.pacer,
            settings.worker_id or default_worker_id(),
            self._on_permanent,
            dispatch or DispatchSettings(lease=timedelta(seconds=settings.lease_seconds)),
            stats=send_path.stats,
        )

    async def _on_permanent(
        self, session: AsyncSession, row: OutboxDelivery, failure: SendFailure
    ) -> None:
        await handle_unreachable(
            session,
            row,
            failure,
            catalog=self.rt.renderer.catalog,
            coordinator_ids=self.rt.settings.coordinator_ids,
            common=dict(self.rt.renderer.contacts),
            now=self.rt.clock.now(),
        )

    def _wake_dispatcher(self) -> None:
        self.dispatcher.wake()

    async def tick(self) -> TickReport:
        """Plan what is due now and wake the dispatcher if anything was queued."""
        report = await self.planner.tick(self.rt.clock.now())
        if report.queued:
            self.dispatcher.wake()
        return report

    async def watch(self) -> WatchReport:
        """Repeat unacknowledged emergencies and act on silence; wake the dispatcher."""
        report = await watch(self.rt, self.rt.clock.now())
        if report.alert_repeats or report.nudges or report.silence_notices:
            self.dispatcher.wake()
        return report

    async def watch_safely(self) -> None:
        """Watch, logging (not raising) a failure: the next pass tries again."""
        try:
            await self.watch()
        except Exception:
            log.exception("watch failed")

    async def _watch_job(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.watch_safely()

    async def tick_safely(self) -> None:
        """Tick, logging (not raising) a failure: the next tick tries again."""
        try:
            await self.tick()
        except Exception:
            log.exception("tick failed")

    async def _tick_job(self, _context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.tick_safely()


@asynccontextmanager
async def delivering(
    app: Application[Any, Any, Any, Any, Any, Any], rt: Runtime, delivery: Delivery | None = None
) -> AsyncIterator[Delivery]:
    """Run the tick (APScheduler, through PTB's JobQueue) and the dispatcher with the app."""
    bot: Bot = app.bot
    sender = HttpSender(rt.settings.telegram_api_url, bot.token)
    delivery = delivery or Delivery(rt, sender, send_path=shared_send_path(bot))
    app.bot_data["delivery"] = delivery
    assert app.job_queue is not None, "install python-telegram-bot[job-queue]"
    job = app.job_queue.run_repeating(
        delivery._tick_job, interval=rt.settings.tick_seconds, first=0.0, name="delivery-tick"
    )
    watch_job = app.job_queue.run_repeating(
        delivery._watch_job, interval=rt.settings.watch_seconds, first=1.0, name="delivery-watch"
    )
    stop = asyncio.Event()
    task = asyncio.create_task(delivery.dispatcher.run(stop), name="dispatcher")
    try:
        yield delivery
    finally:
        job.schedule_removal()
        watch_job.schedule_removal()
        stop.set()
        await task
        await sender.close()
