"""`reminderbot run`: polling or webhook in one event loop, stopped cleanly by SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Update

from reminderbot.bootstrap import open_runtime
from reminderbot.cli.jobs import Delivery, delivering
from reminderbot.config import Settings
from reminderbot.delivery.http_sender import HttpSender
from reminderbot.logsafe import install_log_privacy
from reminderbot.ops.server import ops_endpoint
from reminderbot.store.database import safe_url
from reminderbot.telegram.app import build_application, register_commands
from reminderbot.telegram.bot_api_check import check_bot_api
from reminderbot.telegram.webhook_server import WebhookServer

log = logging.getLogger(__name__)


def _stop_event() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _keep_secrets_out_of_logs(settings: Settings) -> None:
    secret = settings.webhook_secret_token
    install_log_privacy(settings.token(), secret.get_secret_value() if secret else "")


async def serve(settings: Settings) -> None:
    """Run the bot until a stop signal arrives, then finish the update in hand and exit."""
    token = settings.token()
    settings.check_webhook()
    _keep_secrets_out_of_logs(settings)
    async with open_runtime(settings) as rt:
        await check_bot_api(token, settings.telegram_api_url)
        app = build_application(rt, token)
        stop = _stop_event()
        async with app:
            webhook: WebhookServer | None = None
            if settings.webhook_enabled:
                # Before app.start(): a port in use or a refused URL stops start-up cleanly, and
                # updates arriving meanwhile wait in the update queue.
                webhook = WebhookServer.for_settings(app, settings)
                await webhook.start()
            await app.start()
            await register_commands(app, rt)
            assert app.updater is not None
            if webhook is not None:
                mode = f"webhook on {settings.webhook_listen}:{settings.webhook_port}"
            else:
                await app.updater.start_polling(allowed_updates=Update.ALL_TYPES)
                mode = "polling"
            log.info(
                "reminderbot running mode=%s database=%s",
                mode,
                safe_url(settings.resolved_database_url),
            )
            async with delivering(app, rt) as delivery, ops_endpoint(rt, delivery):
                await stop.wait()
                log.info("stop signal received; shutting down")
                if webhook is not None:
                    await webhook.stop()
                else:
                    await app.updater.stop()
            await app.stop()


async def deliver_only(settings: Settings) -> None:
    """Run only the tick and the dispatcher (an extra delivery worker; no updates handled)."""
    token = settings.token()
    _keep_secrets_out_of_logs(settings)
    async with open_runtime(settings) as rt:
        await check_bot_api(token, settings.telegram_api_url)
        stop = _stop_event()
        async with HttpSender(settings.telegram_api_url, token) as sender:
            delivery = Delivery(rt, sender)
            scheduler = AsyncIOScheduler(timezone=UTC)
            scheduler.add_job(
                delivery.tick_safely,
                "interval",
                seconds=settings.tick_seconds,
                next_run_time=datetime.now(UTC),
                max_instances=1,
                coalesce=True,
            )
            scheduler.add_job(
                delivery.watch_safely,
                "interval",
                seconds=settings.watch_seconds,
                max_instances=1,
                coalesce=True,
            )
            scheduler.start()
            task = asyncio.create_task(delivery.dispatcher.run(stop))
            log.info(
                "reminderbot delivering worker=%s database=%s",
                delivery.dispatcher.worker_id,
                safe_url(settings.resolved_database_url),
            )
            async with ops_endpoint(rt, delivery):
                await stop.wait()
            log.info("stop signal received; shutting down")
            scheduler.shutdown(wait=False)
            await task
