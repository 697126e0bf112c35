"""Webhook delivery: POST pending updates, oldest first, to the URL given to setWebhook."""

from __future__ import annotations

import asyncio
import contextlib
import json

import aiohttp

from .state import SandboxState, WebhookConfig

_MIN_BACKOFF = 0.05
_MAX_BACKOFF = 2.0
_POST_TIMEOUT = aiohttp.ClientTimeout(total=10)


class WebhookDelivery:
    """Background task that delivers updates while a webhook is set, retrying on failure."""

    def __init__(self, state: SandboxState) -> None:
        self.state = state
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def restart(self) -> None:
        """Follow state.webhook: stop the current delivery task and start one for the new URL."""
        self._cancel()
        hook = self.state.webhook
        if hook is not None and not self.state.closing:
            self._task = asyncio.get_running_loop().create_task(
                self._run(hook), name="sandbox-webhook-delivery"
            )

    async def close(self) -> None:
        """Stop delivering and close the HTTP client."""
        task = self._task
        self._cancel()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _run(self, hook: WebhookConfig) -> None:
        state = self.state
        queue = state.updates
        backoff = _MIN_BACKOFF
        while state.webhook is hook and not state.closing:
            pending = queue.first(1)
            if not pending:
                await queue.signal.wait(None)
                continue
            update = pending[0]
            error = await self._post(hook, update)
            if error is None:
                queue.pop_if_first(update)
                backoff = _MIN_BACKOFF
                continue
            hook.last_error_date = state.timestamp()
            hook.last_error_message = error
            # A real retry backoff (Telegram retries failed deliveries), not a condition poll.
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _MAX_BACKOFF)

    async def _post(self, hook: WebhookConfig, update: dict[str, object]) -> str | None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=_POST_TIMEOUT)
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            async with self._session.post(
                hook.url, data=json.dumps(update, ensure_ascii=False), headers=headers
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except aiohttp.ClientConnectorError:
            return "Connection refused"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as exc:
            return f"Connection error: {exc}"
