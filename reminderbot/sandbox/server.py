"""HTTP routing: /bot<token>/<method> and /file/bot<token>/<path> on an aiohttp app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

from aiohttp import web

from .params import Params, UploadedFile

Dispatch = Callable[[str, str, Params], Awaitable[tuple[int, dict[str, Any]]]]
Download = Callable[[str, str], tuple[bytes, str] | None]
# (seconds on the way there, seconds on the way back) for one call: a simulated network.
Latency = Callable[[], tuple[float, float]]

# Telegram accepts 50 MB uploads; aiohttp's default request limit is 1 MB.
MAX_REQUEST_BYTES = 52 * 1024 * 1024
_dumps = partial(json.dumps, ensure_ascii=False, separators=(",", ":"))


class _BadInput(Exception):
    """The request body could not be read as any format Telegram accepts."""


def build_app(
    dispatch: Dispatch, download: Download, latency: Latency | None = None
) -> web.Application:
    """Return the aiohttp application serving the Bot API and file downloads."""
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)

    async def api(request: web.Request) -> web.StreamResponse:
        there, back = latency() if latency is not None else (0.0, 0.0)
        if there > 0:
            await asyncio.sleep(there)  # the request is still on its way
        try:
            values = await read_parameters(request)
        except _BadInput as exc:
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {exc}"}
            return web.json_response(body, status=400, dumps=_dumps)
        status, body = await dispatch(
            request.match_info["token"], request.match_info["method"], Params(values)
        )
        if back > 0:
            await asyncio.sleep(back)  # the answer is on its way back
        return web.json_response(body, status=status, dumps=_dumps)

    async def file(request: web.Request) -> web.StreamResponse:
        found = download(request.match_info["token"], request.match_info["path"])
        if found is None:
            body = {"ok": False, "error_code": 404, "description": "Not Found"}
            return web.json_response(body, status=404, dumps=_dumps)
        data, content_type = found
        return web.Response(body=data, content_type=content_type)

    app.router.add_route("*", "/bot{token}/{method}", api)
    app.router.add_route("GET", "/file/bot{token}/{path:.+}", file)
    return app


async def read_parameters(request: web.Request) -> dict[str, Any]:
    """Merge query string and body (form, multipart or JSON); the body wins on clashes."""
    values: dict[str, Any] = dict(request.query)
    if not request.body_exists:
        return values
    content_type = request.content_type
    if content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise _BadInput("can't parse JSON request body") from None
        if not isinstance(body, dict):
            raise _BadInput("request body must be a JSON object")
        values.update(body)
    elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                values[name] = UploadedFile(value.file.read(), value.filename, value.content_type)
            else:
                values[name] = value
    return values
