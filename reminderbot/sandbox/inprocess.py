"""In-process PTB transport: a telegram.request.BaseRequest that calls the sandbox directly."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from .params import Params, UploadedFile

Dispatch = Callable[[str, str, Params], Awaitable[tuple[int, dict[str, Any]]]]
Download = Callable[[str, str], tuple[bytes, str] | None]

_API_PATH = re.compile(r"^/bot(?P<token>[^/]+)/(?P<method>[^/]+)$")
_FILE_PATH = re.compile(r"^/file/bot(?P<token>[^/]+)/(?P<path>.+)$")


class InProcessRequest(BaseRequest):
    """PTB requests answered by the sandbox without sockets, for many-message benchmarks.

    The same dispatch as over HTTP runs (faults, flood limits, long polls), so only the
    transport differs: parameters arrive exactly as PTB would have form-encoded them.
    """

    def __init__(
        self, dispatch: Dispatch, download: Download, read_timeout: float | None = 5.0
    ) -> None:
        self._dispatch = dispatch
        self._download = download
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        """Default seconds to wait for an answer (PTB adds the long-poll timeout to it)."""
        return self._read_timeout

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer one PTB request from the sandbox; raises TimedOut like the HTTP client."""
        path = unquote(urlsplit(url).path)
        if file_match := _FILE_PATH.match(path):
            found = self._download(file_match["token"], file_match["path"])
            if found is None:
                return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
            return 200, found[0]
        api_match = _API_PATH.match(path)
        if api_match is None:
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        values: dict[str, Any] = {}
        if request_data is not None:
            values.update(request_data.json_parameters)
            for name, (filename, content, mime_type) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                values[name] = UploadedFile(data, filename, mime_type)
        unset = isinstance(read_timeout, type(BaseRequest.DEFAULT_NONE))
        timeout = self._read_timeout if unset else read_timeout
        # Shielded so a client-side timeout leaves the call running, as a dropped HTTP
        # connection would: a slow send still lands later.
        call = asyncio.ensure_future(
            self._dispatch(api_match["token"], api_match["method"], Params(values))
        )
        try:
            status, body = await asyncio.wait_for(asyncio.shield(call), timeout)
        except TimeoutError:
            raise TimedOut from None
        return status, json.dumps(body, ensure_ascii=False).encode()
