"""Change notification: waiters sleep on an event that every state change sets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class ChangeSignal:
    """Broadcast "something changed" to every waiter; notify() is sync so any code can call it."""

    def __init__(self, parent: ChangeSignal | None = None) -> None:
        # Created lazily so notify() with no waiters costs nothing (benchmarks send a lot).
        self._event: asyncio.Event | None = None
        # A change here is also a change of the enclosing whole (chat -> sandbox).
        self._parent = parent

    def notify(self) -> None:
        """Wake everyone currently waiting (here and on the parent signal)."""
        event = self._event
        if event is not None:
            self._event = None
            event.set()
        if self._parent is not None:
            self._parent.notify()

    async def wait(self, within: float | None) -> bool:
        """Wait for the next notify(); return False if `within` seconds pass first."""
        if self._event is None:
            self._event = asyncio.Event()
        event = self._event
        try:
            await asyncio.wait_for(event.wait(), within)
        except TimeoutError:
            return False
        return True

    async def wait_until(self, predicate: Callable[[], T], within: float | None) -> T | None:
        """Return predicate()'s first truthy value, re-checked on each notify; None on timeout."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
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
