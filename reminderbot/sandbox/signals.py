"""Change notification: waiters sleep on an event that every state change sets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ChangeSignal:
    """Broadcast "something changed" to every waiter; notify() is sync so any code can call it."""

    def __init__(self) -> None:
        # Created lazily so notify() with no waiters costs nothing (benchmarks send a lot).
        self._event: asyncio.Event | None = None

    def notify(self) -> None:
        """Wake everyone currently waiting."""
        event = self._event
        if event is not None:
            self._event = None
            event.set()

    async def wait(self, timeout: float | None) -> bool:
        """Wait for the next notify(); return False if `timeout` seconds pass first."""
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def wait_until(self, predicate: Callable[[], T], timeout: float | None) -> T | None:
        """Return predicate()'s first truthy value, re-checked on each notify; None on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            if not await self.wait(remaining):
                # One last look: the change and the timeout may have raced.
                result = predicate()
                return result if result else None
