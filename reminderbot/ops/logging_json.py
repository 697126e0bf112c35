"""REMINDERBOT_LOG_FORMAT=json: one JSON object per line, with the event and its ids as fields.

The project's log lines already read `what happened key=value key=value`, with ids only; this
formatter splits such a line into `event` and one field per pair, so a log pipeline can filter
on `delivery` or `recipient` without parsing text. Exceptions keep their type and the stack's
frames, never their message (see reminderbot.logsafe).
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

from reminderbot.logsafe import scrubbed_traceback

_PAIR = re.compile(r"(?<!\S)([A-Za-z_][A-Za-z0-9_]*)=(\S+)")
# LogRecord attributes that are not `extra=` fields.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _value(raw: str) -> Any:
    """An integer, a float or a truth value when the text is one; else the text."""
    if raw in ("True", "False"):
        return raw == "True"
    for kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            continue
    return raw


def split_event(message: str) -> tuple[str, dict[str, Any]]:
    """Split `what happened key=value …` into the event and its fields.

    Words between the pairs (rare: `mode=webhook on 127.0.0.1:8443`) go to `detail`.
    """
    fields: dict[str, Any] = {key: _value(value) for key, value in _PAIR.findall(message)}
    first = _PAIR.search(message)
    event = (message[: first.start()] if first else message).strip().rstrip(";,:")
    if first:
        rest = " ".join(_PAIR.sub(" ", message[first.start() :]).split())
        if rest:
            fields.setdefault("detail", rest)
    return event, fields


class JsonFormatter(logging.Formatter):
    """Formats each record as one JSON object on one line."""

    def format(self, record: logging.LogRecord) -> str:
        """Render the record: time (UTC, ISO 8601), level, logger, event, then its fields."""
        event, fields = split_event(record.getMessage())
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": event,
        }
        for key, value in fields.items():
            entry.setdefault(key, value)
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry.setdefault(key, value)
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            entry["exception"] = type(exc).__name__
            entry["traceback"] = scrubbed_traceback(exc)
        elif record.exc_text:  # already scrubbed by logsafe's filter
            entry["traceback"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)
