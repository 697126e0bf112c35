"""The ops HTTP endpoint: /healthz, /readyz and /metrics on their own (loopback) port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Protocol

import aiohttp
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.ext.asyncio import AsyncEngine

from reminderbot.config import ENV_PREFIX, Settings, SettingsError
from reminderbot.delivery.dispatcher import Dispatcher
from reminderbot.ops import metrics
from reminderbot.ops.facts import read_facts
from reminderbot.ops.health import (
    API_HEARTBEAT_SECONDS,
    Activity,
    Ticking,
    answered_sends,
    observe_ticks,
    readiness,
)
from reminderbot.runtime import Runtime

log = logging.getLogger(__name__)


class Delivering(Ticking, Protocol):
    """What the ops endpoint needs of a process's delivery: its tick and its dispatcher."""

    dispatcher: Dispatcher


class OpsServer:
    """Serves the ops endpoint for one process and keeps its Bot API heartbeat."""

    def __init__(self, rt: Runtime, delivery: Delivering, listen: str, port: int) -> None:
        self.rt = rt
        self.delivery = delivery
        self.listen = listen
        self.port = port
        self.activity = Activity(tick_seconds=rt.settings.tick_seconds)
        observe_ticks(delivery, self.activity)
        self._registry, self._database = metrics.build_registry(
            lambda: delivery.dispatcher.stats, self.activity
        )
        # One scrape at a time: the database collector holds the facts of the scrape in hand.
        self._scrape = asyncio.Lock()
        self._runner: web.AppRunner | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._http: aiohttp.ClientSession | None = None

    @property
    def engine(self) -> AsyncEngine:
        """The runtime's database engine."""
        bind = self.rt.sessions.kw.get("bind")
        assert isinstance(bind, AsyncEngine)
        return bind

    def app(self) -> web.Application:
        """The aiohttp application with the three routes."""
        app = web.Application()
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)
        app.router.add_get("/metrics", self.metrics)
        return app

    async def start(self) -> None:
        """Listen, and start the heartbeat."""
        self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.listen, self.port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise _port_error(self.listen, self.port, exc) from None
        self._heartbeat = asyncio.create_task(self._beat(), name="ops-heartbeat")
        log.info("ops endpoint listening on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        """Stop listening and the heartbeat."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat
        if self._runner is not None:
            await self._runner.cleanup()
        if self._http is not None:
            await self._http.close()

    async def healthz(self, _request: web.Request) -> web.Response:
        """The process serves (its event loop answers)."""
        return web.json_response({"status": "ok"})

    async def readyz(self, _request: web.Request) -> web.Response:
        """200 when every check passes, else 503 naming the failing checks."""
        checks = await readiness(self.engine, self.activity, self.delivery.dispatcher.stats)
        failing = {c.name: c.detail for c in checks if not c.ok}
        body = {
            "ready": not failing,
            "failing": failing,
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in checks},
        }
        return web.json_response(body, status=503 if failing else 200)

    async def metrics(self, _request: web.Request) -> web.Response:
        """Read the database gauges, then render every metric."""
        async with self._scrape:
            try:
                self._database.facts = await read_facts(self.engine, self.rt.clock.now())
            except Exception as exc:  # a scrape must answer; database_up says what failed
                self._database.facts = None
                log.warning("metrics: database read failed error=%s", type(exc).__name__)
            body = metrics.render(self._registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def _beat(self) -> None:
        """Note the dispatcher's cycles and the Bot API's answers (a getMe when it is quiet)."""
        seen = -1
        while True:
            stats = self.delivery.dispatcher.stats
            answered = answered_sends(stats)
            now = time.monotonic()
            self.activity.note_cycles(stats.cycles, now)
            if answered != seen:
                if seen >= 0:
                    self.activity.last_api_answer_at = now
                seen = answered
            last = self.activity.last_api_answer_at
            quiet = last is None or now - last >= API_HEARTBEAT_SECONDS
            if quiet and await self._get_me():
                self.activity.last_api_answer_at = time.monotonic()
            await asyncio.sleep(min(5.0, API_HEARTBEAT_SECONDS))

    async def _get_me(self) -> bool:
        """Ask the Bot API who the bot is; whether it answered (an error answer counts)."""
        assert self._http is not None
        settings = self.rt.settings
        url = f"{settings.telegram_api_url}/bot{settings.token()}/getMe"
        try:
            async with self._http.get(url) as response:
                body: Any = json.loads(await response.text())
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            # Never the URL: it carries the token.
            log.warning("Bot API heartbeat failed error=%s", type(exc).__name__)
            return False
        return response.status < 500 and isinstance(body, dict) and "ok" in body


def _port_error(listen: str, port: int, exc: OSError) -> SettingsError:
    return SettingsError(
        f"{ENV_PREFIX}OPS_PORT: cannot listen on {listen}:{port} "
        f"({exc.strerror or exc}); choose a free port"
    )


def check_ops_port(settings: Settings) -> None:
    """Raise SettingsError when the ops endpoint's port is taken, before anything starts."""
    if settings.ops_port is None:
        return
    try:
        for family, kind, proto, _, address in socket.getaddrinfo(
            settings.ops_listen, settings.ops_port, type=socket.SOCK_STREAM
        ):
            with socket.socket(family, kind, proto) as probe:
                # As aiohttp binds: a port in TIME_WAIT is free, one with a listener is not.
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
    except OSError as exc:
        raise _port_error(settings.ops_listen, settings.ops_port, exc) from None


@asynccontextmanager
async def ops_endpoint(rt: Runtime, delivery: Delivering) -> AsyncIterator[OpsServer | None]:
    """Serve the ops endpoint while the block runs, when REMINDERBOT_OPS_PORT is set."""
    settings = rt.settings
    if settings.ops_port is None:
        yield None
        return
    server = OpsServer(rt, delivery, settings.ops_listen, settings.ops_port)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
