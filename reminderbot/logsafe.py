"""Logs without user text or secrets: tracebacks by exception type, secrets masked everywhere.

An exception's message can carry what a person typed: a driver error quotes the value it
refused ("invalid input syntax for type integer: \"…\"", "Key (…)=(…) already exists"), and
SQLAlchemy appends the statement's parameters unless an engine hides them. So tracebacks here
keep the frames (file, line, function) and each exception's type, never its message.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable

MASK = "***"


def _exception_label(exc: BaseException) -> str:
    """The exception's qualified type, plus the SQLSTATE of a database error (content-free)."""
    kind = type(exc)
    label = f"{kind.__module__}.{kind.__qualname__}".removeprefix("builtins.")
    driver_error = getattr(exc, "orig", None) or exc
    sqlstate = getattr(driver_error, "sqlstate", None)
    if isinstance(sqlstate, str):
        label += f" (SQLSTATE {sqlstate})"
    return label


def scrubbed_traceback(exc: BaseException) -> str:
    """Render an exception and its causes as a traceback without any exception message."""
    blocks: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = traceback.extract_tb(current.__traceback__)
        block = "Traceback (most recent call last):\n"
        block += "".join(
            f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}\n' for frame in frames
        )
        block += f"{_exception_label(current)}: <message hidden>\n"
        blocks.append(block)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    # Outermost last, as Python prints chained exceptions.
    return "\nDuring handling of the above, another exception occurred:\n\n".join(reversed(blocks))


class PrivateLogFilter(logging.Filter):
    """Mask secrets in every record and replace its traceback with a scrubbed one."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def _mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drop it."""
        message = record.getMessage()
        masked = self._mask(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self._mask(scrubbed_traceback(record.exc_info[1]))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self._mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self._mask(record.stack_info)
        return True


def install_log_privacy(*secrets: str) -> PrivateLogFilter:
    """Put the privacy filter on every handler of the root logger (where all records end)."""
    privacy = PrivateLogFilter(secrets)
    root = logging.getLogger()
    for handler in root.handlers:
        for existing in [f for f in handler.filters if isinstance(f, PrivateLogFilter)]:
            handler.removeFilter(existing)
        handler.addFilter(privacy)
    return privacy
