"""Telegram's answers to a send, sorted into what the dispatcher should do about them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError, TimedOut


class Outcome(StrEnum):
    """How a failed send is handled."""

    RATE_LIMITED = "rate_limited"  # wait retry_after, for everyone, then try again
    PERMANENT = "permanent"  # the chat cannot be reached: stop sending to it
    TRANSIENT = "transient"  # retry with backoff, then give up visibly
    REJECTED = "rejected"  # this message is wrong (e.g. too long): do not retry it


# Recorded on an at-most-once row whose send timed out: Telegram may have the message.
TIMED_OUT_UNKNOWN = "outcome unknown: the send timed out; not sent again"


@dataclass(frozen=True)
class SendFailure:
    """A classified send error.

    `maybe_delivered`: the request may have reached Telegram (the client timed out waiting for
    the answer), so sending again may double the message.
    """

    outcome: Outcome
    reason: str
    retry_after: timedelta | None = None
    maybe_delivered: bool = False


# Substrings of Telegram's descriptions (PTB strips "Bad Request: " and capitalises).
_UNREACHABLE = (
    "bot was blocked by the user",
    "user is deactivated",
    "chat not found",
    "bot was kicked",
    "bot can't initiate conversation",
    "have no rights to send a message",
    "not enough rights",
    "group chat was upgraded",
)


def classify(error: Exception) -> SendFailure:
    """Sort an exception raised by a send into an Outcome."""
    reason = f"{type(error).__name__}: {error}"[:300]
    if isinstance(error, RetryAfter):
        seconds = error.retry_after
        delay = seconds if isinstance(seconds, timedelta) else timedelta(seconds=float(seconds))
        return SendFailure(Outcome.RATE_LIMITED, reason, retry_after=delay)
    message = str(getattr(error, "message", error)).lower()
    if isinstance(error, Forbidden) or (
        isinstance(error, BadRequest) and any(s in message for s in _UNREACHABLE)
    ):
        return SendFailure(Outcome.PERMANENT, reason)
    if isinstance(error, BadRequest):
        return SendFailure(Outcome.REJECTED, reason)
    if isinstance(error, TimedOut):
        # A pool timeout never left this process; any other may have reached Telegram.
        sent = "pool timeout" not in message
        return SendFailure(Outcome.TRANSIENT, reason, maybe_delivered=sent)
    if isinstance(error, NetworkError):
        return SendFailure(Outcome.TRANSIENT, reason)
    if isinstance(error, TelegramError):
        return SendFailure(Outcome.TRANSIENT, reason)
    return SendFailure(Outcome.TRANSIENT, reason)
