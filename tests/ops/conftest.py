"""Fixtures of the ops tests: the e2e harness, with the ops endpoint served beside it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from reminderbot.ops.server import OpsServer
from tests.e2e.conftest import Harness, harness  # noqa: F401 - the fixture, reused
from tests.ops.helpers import free_port


@pytest.fixture
async def ops(harness: Harness) -> AsyncIterator[OpsServer]:  # noqa: F811 - the fixture above
    """The ops endpoint of the harness's bot and delivery, on a free loopback port."""
    server = OpsServer(harness.rt, harness.delivery, "127.0.0.1", free_port())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
