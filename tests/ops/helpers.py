"""Shared by the ops tests: a free port, scraping /metrics, a `reminderbot deliver` process."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.helpers import VALID_TOKEN, cli_process


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse_metrics(text: str) -> Samples:
    """Every sample of a Prometheus text page: (name, sorted labels) -> value."""
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when the page does not have it (an empty label set)."""
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


async def scrape(http: aiohttp.ClientSession, port: int) -> Samples:
    """GET /metrics and parse it."""
    async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        return parse_metrics(await response.text())


async def ready(http: aiohttp.ClientSession, port: int) -> tuple[int, dict[str, Any]]:
    """GET /readyz: the status code and the JSON body."""
    async with http.get(f"http://127.0.0.1:{port}/readyz") as response:
        return response.status, await response.json()


async def eventually(
    check: Callable[[], Awaitable[Any]],
    timeout: float,  # noqa: ASYNC109
    what: str,
    every: float = 0.2,
) -> Any:
    """Re-run `check` until it returns something truthy (then return it) or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = await check()
        except (aiohttp.ClientError, OSError):
            result = None  # the endpoint is not up yet
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"not within {timeout}s: {what}")
        await asyncio.sleep(every)


@asynccontextmanager
async def deliver_process(
    tmp_path: Path, db_url: str, api_root: str, ops_port: int, **settings: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`reminderbot deliver` with its ops endpoint on `ops_port`; killed at the end."""
    async with cli_process(
        tmp_path,
        "deliver",
        TELEGRAM_BOT_TOKEN=VALID_TOKEN,
        REMINDERBOT_TELEGRAM_API_URL=api_root,
        REMINDERBOT_DATABASE_URL=db_url,
        REMINDERBOT_OPS_PORT=str(ops_port),
        REMINDERBOT_TICK_SECONDS="0.5",
        REMINDERBOT_AUTO_MIGRATE="false",
        **settings,
    ) as process:
        yield process
