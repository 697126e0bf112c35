"""The webhook endpoint: secret checked from the headers before any body is read, 1 MB at most.

python-telegram-bot's built-in webhook server (tornado) reads a whole body of up to 100 MB
before it looks at the secret header, so anyone could make the bot buffer 100 MB per request.
This small aiohttp server decides from the headers alone: a missing or wrong secret gets 403
and a declared length over the limit 413, and the connection is closed without reading the
body. Accepted updates go into the Application's update queue, as polling's do.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.web_urldispatcher import _default_expect_handler
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application

from reminderbot.config import Settings, SettingsError
from reminderbot.telegram.update_log import describe_raw_update

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's updates are a few kilobytes; a message's text is at most 4,096 characters.
MAX_BODY_BYTES = 1024 * 1024


class WebhookError(SettingsError):
    """The webhook cannot be served; the message is one line naming the setting."""


class WebhookServer:
    """An aiohttp server feeding one Application's update queue from Telegram's POSTs."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        *,
        url: str,
        secret: str,
        listen: str,
        port: int,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.url = url
        self.path = urlsplit(url).path or "/"
        self.listen = listen
        self.port = port
        self.max_body_bytes = max_body_bytes
        self._secret = secret.encode()
        self._runner: web.AppRunner | None = None

    @classmethod
    def for_settings(
        cls, app: Application[Any, Any, Any, Any, Any, Any], settings: Settings
    ) -> WebhookServer:
        """The webhook endpoint for the configured URL, address, port and secret."""
        secret = settings.webhook_secret_token
        assert secret is not None, "check_webhook() first"
        return cls(
            app,
            url=settings.webhook_url,
            secret=secret.get_secret_value(),
            listen=settings.webhook_listen,
            port=settings.webhook_port,
        )

    def _refusal(self, request: web.BaseRequest) -> web.Response | None:
        """403 or 413 decided from the headers alone, or None when the body may be read."""
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            return web.Response(status=403, text="Forbidden")
        if request.content_length is not None and request.content_length > self.max_body_bytes:
            return web.Response(status=413, text="Request Entity Too Large")
        return None

    async def _expect(self, request: web.Request) -> web.StreamResponse | None:
        # A client that asks "Expect: 100-continue" (curl does for large bodies) is told no
        # before it sends anything; aiohttp's default handler (used once we said yes) would
        # invite the body first.
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        await _default_expect_handler(request)
        return None

    async def _receive(self, request: web.Request) -> web.Response:
        refusal = self._refusal(request)
        if refusal is not None:
            return refusal
        try:
            body = await request.read()  # stops at client_max_size (chunked bodies too)
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413, text="Request Entity Too Large")
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            log.warning("webhook body is not JSON bytes=%d", len(body))
            return web.Response(status=400, text="Bad Request")
        try:
            if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
                raise TypeError("an update is a JSON object with an integer update_id")
            update = Update.de_json(data, self.app.bot)
        except Exception as exc:  # any shape PTB cannot read; the type is all that is logged
            # Answered 200 so that Telegram does not send it again and again: it would never
            # parse. Logged by ids and type only; the body is what someone wrote.
            log.error(
                "dropped an update that could not be read %s error=%s",
                describe_raw_update(data),
                type(exc).__name__,
            )
            return web.Response(text="OK")
        await self.app.update_queue.put(update)
        return web.Response(text="OK")

    async def start(self) -> None:
        """Listen, then tell Telegram the URL and secret; WebhookError when either fails."""
        server = web.Application(client_max_size=self.max_body_bytes)
        server.router.add_route("POST", self.path, self._receive, expect_handler=self._expect)
        # lingering_time=0: a refused body is not drained, the connection is closed at once.
        runner = web.AppRunner(server, access_log=None, lingering_time=0, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.listen, self.port).start()
        except OSError as exc:
            await runner.cleanup()
            raise WebhookError(
                f"REMINDERBOT_WEBHOOK_PORT: cannot listen on {self.listen}:{self.port} "
                f"({exc.strerror or type(exc).__name__}); choose a free port or stop the "
                "program using it"
            ) from None
        self._runner = runner
        try:
            await self.app.bot.set_webhook(
                url=self.url,
                secret_token=self._secret.decode(),
                allowed_updates=Update.ALL_TYPES,
            )
        except TelegramError as exc:
            await self.stop()
            raise WebhookError(
                f"REMINDERBOT_WEBHOOK_URL: Telegram did not accept {self.url} "
                f"({type(exc).__name__}: {exc.message}); it must be a public HTTPS URL "
                "that reaches this server"
            ) from None

    async def stop(self) -> None:
        """Stop accepting requests (those in hand finish first)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
