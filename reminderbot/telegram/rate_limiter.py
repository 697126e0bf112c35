"""The Application's side of the one send path: its replies take their slots from the Pacer.

python-telegram-bot calls `PacedRateLimiter.process_request` for every Bot API request but
getUpdates. Messages (replies, photos, documents) wait for a slot of the process's Pacer in
the interactive lane, ahead of every outbox row (edits and other calls take no slot); a 429
pauses every send of the process for `retry_after` and the request is tried again; a network
error is retried a few times. A message that still cannot be sent is put in the outbox (kind
"reply", as urgent as an alert, at least once) and the dispatcher keeps trying: a reply is
never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from telegram.error import BadRequest, NetworkError, RetryAfter
from telegram.ext import BaseRateLimiter

from reminderbot.delivery.pacing import Lane, Limits, Pacer
from reminderbot.delivery.send_path import JSONDict, OutboxDeferral, SendPath, chat_id_of
from reminderbot.runtime import Runtime

log = logging.getLogger(__name__)

# Methods that put a new message in a chat: Telegram's overall and per-chat limits count them.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendVoice",
        "sendVideoNote",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "sendSticker",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)
# Changes to a message already sent (closing a keyboard after a tap). Not messages: Telegram's
# 30/s counts the messages that arrive, so an edit takes no slot; its 429s are waited out.
EDIT_METHODS = frozenset(
    {
        "editMessageText",
        "editMessageCaption",
        "editMessageMedia",
        "editMessageReplyMarkup",
        "editMessageLiveLocation",
        "stopMessageLiveLocation",
        "stopPoll",
    }
)
# A 429 is waited out and retried while the waits add up to less than this; then the message
# goes to the outbox (the dispatcher waits out further 429s without holding up the update).
MAX_RATE_LIMITED_WAIT = 60.0
# Attempts at a request that meets network errors (timeouts, 5xx), and the pause between them.
NETWORK_ATTEMPTS = 3
NETWORK_BACKOFF = 0.5

Deferral = Callable[[str, JSONDict], Awaitable[JSONDict | None]]


class PacedRateLimiter(BaseRateLimiter[JSONDict]):
    """python-telegram-bot's rate limiter hook, on the process's Pacer (see module docstring).

    `rate_limit_args={"lane": Lane.URGENT}` on a Bot call gives that request another lane.
    """

    def __init__(
        self,
        send_path: SendPath,
        defer: Deferral | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.send_path = send_path
        self.defer = defer
        self._mono = monotonic

    async def initialize(self) -> None:
        """Nothing to set up: the pacer lives as long as the process."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: JSONDict | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Send when the pacer allows; wait out 429s and retry network errors; never drop."""
        message = endpoint in MESSAGE_METHODS
        if not message:
            return await self._unpaced(callback, args, kwargs)
        chat_id = chat_id_of(data.get("chat_id"))
        lane = Lane((rate_limit_args or {}).get("lane", Lane.INTERACTIVE))
        # A channel named by @username cannot be matched to a chat: no per-chat interval.
        per_chat = message and chat_id is not None
        # A reply answers what the user just did: it counts against the chat's allowance (the
        # outbox's next message to the chat waits) but is not held back by it. Telegram allows
        # short bursts to a chat; a wait here would hold up every update behind this one.
        waits = per_chat and lane is not Lane.INTERACTIVE
        pacer, stats = self.send_path.pacer, self.send_path.stats
        began = self._mono()
        waited = 0.0
        failures = 0
        while True:
            started = await pacer.acquire(chat_id or 0, lane, per_chat, wait_for_chat=waits)
            try:
                result = await callback(*args, **kwargs)
            except RetryAfter as exc:
                pacer.answered(chat_id or 0, started)
                seconds = _seconds(exc.retry_after)
                stats.paused_seconds += pacer.pause(seconds)
                stats.replies_rate_limited += 1
                waited += seconds
                log.warning("rate limited method=%s retry_after=%.1fs", endpoint, seconds)
                if waited < MAX_RATE_LIMITED_WAIT:
                    stats.replies_retried += 1
                    continue  # acquire() waits out the pause
                last: Exception = exc
            except BadRequest:
                pacer.answered(chat_id or 0, started)
                raise  # this request is wrong; sending it again would not help
            except NetworkError as exc:  # timeouts, 5xx, connection errors
                pacer.answered(chat_id or 0, started)
                failures += 1
                if failures < NETWORK_ATTEMPTS:
                    stats.replies_retried += 1
                    log.info("send failed, retrying method=%s attempt=%d", endpoint, failures)
                    await asyncio.sleep(NETWORK_BACKOFF * 2 ** (failures - 1))
                    continue
                last = exc
            except BaseException:
                pacer.answered(chat_id or 0, started)
                raise
            else:
                pacer.answered(chat_id or 0, started)
                stats.replies_sent += 1
                stats.reply_latencies.add(self._mono() - began)
                return result
            queued = await self._queue(endpoint, data) if message else None
            if queued is None:
                raise last
            return queued

    async def _unpaced(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
    ) -> bool | JSONDict | list[JSONDict]:
        """Not a message (an edit, answerCallbackQuery, getMe...): no slot; 429s waited out."""
        waited = 0.0
        while True:
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                seconds = _seconds(exc.retry_after)
                waited += seconds
                if waited >= MAX_RATE_LIMITED_WAIT:
                    raise
                self.send_path.stats.paused_seconds += self.send_path.pacer.pause(seconds)
                await asyncio.sleep(seconds)

    async def _queue(self, endpoint: str, data: JSONDict) -> JSONDict | None:
        """Hand a message that could not be sent to the outbox; its stand-in result, or None."""
        if self.defer is None:
            return None
        try:
            result = await self.defer(endpoint, data)
        except Exception as exc:  # the database is gone too: the caller sees the send's error
            # The error's type only: a database error's text can carry the message's text.
            log.error(
                "could not queue a reply in the outbox method=%s error=%s",
                endpoint,
                type(exc).__name__,
            )
            return None
        if result is not None:
            self.send_path.stats.replies_queued += 1
            if self.send_path.on_queued is not None:
                self.send_path.on_queued()
        return result


def reply_rate_limiter(rt: Runtime) -> PacedRateLimiter:
    """The rate limiter of the bot's Application, with a new pacer for this process."""
    settings = rt.settings
    limits = Limits.configured(settings.paid_broadcast, settings.rate_per_second)
    return PacedRateLimiter(SendPath(Pacer(limits)), OutboxDeferral(rt.sessions, rt.clock))


def _seconds(retry_after: Any) -> float:
    total = getattr(retry_after, "total_seconds", None)
    return float(total()) if callable(total) else float(retry_after)
