"""Bot API error answers: the status code, description and parameters Telegram sends back."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

# Telegram's own wording for statuses the fault injector can produce without a description.
_DEFAULT_DESCRIPTIONS: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


class ApiError(Exception):
    """A Bot API call that Telegram answers with ok=false; carries the HTTP status and text."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """Return the JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def default_description(status: int, retry_after: int | None = None) -> str:
    """Return the description Telegram would use for a bare status code."""
    if status == 429:
        return f"Too Many Requests: retry after {retry_after if retry_after is not None else 1}"
    if status in _DEFAULT_DESCRIPTIONS:
        return _DEFAULT_DESCRIPTIONS[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"Error {status}"


def bad_request(detail: str) -> ApiError:
    """Return a 400 with Telegram's "Bad Request: ..." prefix."""
    return ApiError(400, f"Bad Request: {detail}")


def forbidden(detail: str) -> ApiError:
    """Return a 403 with Telegram's "Forbidden: ..." prefix."""
    return ApiError(403, f"Forbidden: {detail}")


def conflict(detail: str) -> ApiError:
    """Return a 409 with Telegram's "Conflict: ..." prefix."""
    return ApiError(409, f"Conflict: {detail}")


def too_many_requests(retry_after: int) -> ApiError:
    """Return a 429 carrying parameters.retry_after, which PTB turns into RetryAfter."""
    return ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


def chat_not_found() -> ApiError:
    """Return Telegram's answer for a chat id it does not know."""
    return bad_request("chat not found")


def unauthorized() -> ApiError:
    """Return Telegram's answer for a well-formed but wrong bot token."""
    return ApiError(401, "Unauthorized")


def not_found() -> ApiError:
    """Return Telegram's answer for an unknown method or a malformed token."""
    return ApiError(404, "Not Found")
