"""A lean sendMessage path for the dispatcher: one pooled aiohttp session, JSON in and out.

python-telegram-bot builds a full Message object from every answer; for a 10,000-message wave
that parsing costs more than the HTTP itself. This sender asks for the same Bot API method,
reads only the message id, and raises python-telegram-bot's own exceptions so that the
dispatcher's error policy is the same whichever sender is used.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import aiohttp
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)


def _reply_markup(buttons: list[list[list[str]]]) -> dict[str, Any] | None:
    if not buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in row] for row in buttons
        ]
    }


def error_for(status: int, body: dict[str, Any]) -> TelegramError:
    """Map a Bot API error answer to the exception python-telegram-bot would raise."""
    description = str(body.get("description") or f"HTTP {status}")
    parameters = body.get("parameters") or {}
    if "retry_after" in parameters:
        return RetryAfter(timedelta(seconds=int(parameters["retry_after"])))
    if status == 403:
        return Forbidden(description)
    if status in (401, 404):
        return InvalidToken(description)
    if status == 400:
        return BadRequest(description.removeprefix("Bad Request: "))
    return NetworkError(description)


class HttpSender:
    """Sends outbox payloads with sendMessage over a pooled aiohttp session."""

    def __init__(
        self, api_root: str, token: str, pool_size: int = 100, timeout: float = 10.0
    ) -> None:
        self._url = f"{api_root.rstrip('/')}/bot{token}/sendMessage"
        self._pool_size = pool_size
        # A connection that cannot be made within this is known not to have sent anything.
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=min(timeout, 5.0))
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HttpSender:
        await self.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.close()

    async def start(self) -> None:
        """Open the connection pool."""
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._pool_size, keepalive_timeout=60)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, json_serialize=json.dumps
            )

    async def close(self) -> None:
        """Close the connection pool."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, chat_id: int, payload: dict[str, Any]) -> int | None:
        """Send one message; raise python-telegram-bot's exceptions on failure."""
        if self._session is None:
            await self.start()
        assert self._session is not None
        body: dict[str, Any] = {"chat_id": chat_id, "text": payload["text"]}
        markup = _reply_markup(payload.get("buttons") or [])
        if markup is not None:
            body["reply_markup"] = markup
        try:
            async with self._session.post(self._url, json=body) as response:
                status = response.status
                try:
                    answer = await response.json(content_type=None)
                except (json.JSONDecodeError, aiohttp.ContentTypeError):
                    raise NetworkError(f"HTTP {status}: answer is not JSON") from None
        except aiohttp.ConnectionTimeoutError:
            raise NetworkError("connecting to the Bot API timed out") from None
        except TimeoutError:
            # The request may have reached Telegram: the dispatcher treats the outcome as unknown.
            raise TimedOut("sendMessage timed out") from None
        except aiohttp.ClientError as exc:
            raise NetworkError(f"{type(exc).__name__}: {exc}") from None
        except asyncio.CancelledError:
            raise
        if not isinstance(answer, dict):
            raise NetworkError(f"HTTP {status}: unexpected answer")
        if status == 200 and answer.get("ok"):
            return int((answer.get("result") or {}).get("message_id", 0)) or None
        raise error_for(status, answer)
