"""Updates of one chat in the order they came; updates of different chats at the same time.

python-telegram-bot handles one update at a time by default: a patient's emergency answer
then waits behind every other patient's taps (each a database transaction and a few sends).
Conversation state is per chat, so only one chat's updates need to keep their order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

# Updates handled at once, across chats (each holds a database session while it runs).
MAX_CONCURRENT_UPDATES = 16


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Processes different chats' updates concurrently, one chat's strictly in order."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        super().__init__(max_concurrent_updates)
        # One lock per chat with updates in hand, dropped when its last update is done.
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await the update's handling after the earlier updates of its chat."""
        key = _chat_key(update)
        if key is None:
            await coroutine
            return
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


def _chat_key(update: object) -> int | None:
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return update.effective_chat.id
    return update.effective_user.id if update.effective_user is not None else None
