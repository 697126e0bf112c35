"""Request parameters: merge query/form/multipart/JSON input and read typed values from it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import bad_request

# Form and multipart requests carry every value as a string; PTB JSON-encodes nested objects
# and numbers/booleans (json.dumps) but sends plain strings raw. Only fields whose type is known
# are decoded, so a text of "123" or "true" stays a string.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "allowed_updates",
        "commands",
        "scope",
        "entities",
        "caption_entities",
        "link_preview_options",
        "reply_parameters",
        "media",
        "message_ids",
        "reaction",
        "menu_button",
        "rights",
    }
)
INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "message_thread_id",
        "reply_to_message_id",
        "offset",
        "limit",
        "user_id",
        "max_connections",
        "cache_time",
    }
)
FLOAT_FIELDS = frozenset({"timeout"})
BOOL_FIELDS = frozenset(
    {
        "drop_pending_updates",
        "show_alert",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
        "show_caption_above_media",
        "allow_paid_broadcast",
        "revoke_messages",
    }
)
_INT_RE = re.compile(r"^-?\d+$")


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request: its bytes, file name and declared content type."""

    data: bytes
    filename: str | None
    content_type: str | None

    def __repr__(self) -> str:
        return f"UploadedFile({self.filename!r}, {len(self.data)} bytes, {self.content_type!r})"


def decode_value(name: str, value: Any) -> Any:
    """Turn a raw string into the type this field has; values of unknown fields stay as sent."""
    if not isinstance(value, str):
        return value
    if name in JSON_FIELDS:
        try:
            return json.loads(value)
        except ValueError:
            # Left raw on purpose: the method that reads it answers Telegram's parse error.
            return value
    if name in INT_FIELDS and _INT_RE.match(value.strip()):
        return int(value)
    if name in FLOAT_FIELDS:
        try:
            return float(value)
        except ValueError:
            return value
    if name in BOOL_FIELDS:
        lowered = value.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0", ""):
            return False
    return value


class Params(Mapping[str, Any]):
    """The decoded parameters of one call, with typed getters that answer Telegram's 400s."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._values = {name: decode_value(name, value) for name, value in values.items()}

    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"Params({self._values!r})"

    def as_dict(self) -> dict[str, Any]:
        """Return a plain dict copy (what `sandbox.calls` records)."""
        return dict(self._values)

    def text(self, name: str) -> str | None:
        """Return a string parameter; numbers sent in JSON bodies are stringified."""
        value = self._values.get(name)
        if value is None:
            return None
        if isinstance(value, UploadedFile):
            raise bad_request(f"{name} must be a string")
        return value if isinstance(value, str) else json.dumps(value)

    def integer(self, name: str) -> int | None:
        """Return an integer parameter, or None when absent; a non-number is a 400."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            raise bad_request(f"invalid {name} specified")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return int(value)
        raise bad_request(f"invalid {name} specified")

    def number(self, name: str) -> float | None:
        """Return a numeric parameter, or None when absent."""
        value = self._values.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """Return a boolean parameter; absent means False."""
        value = self._values.get(name)
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1")
        return bool(value)

    def json(self, name: str, what: str | None = None) -> Any:
        """Return a JSON-valued parameter decoded; an undecodable string is Telegram's 400."""
        value = self._values.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {what or name} JSON object") from None
        return value

    def file(self, name: str) -> UploadedFile | str | None:
        """Return an uploaded file, or the string (file_id, URL, attach://name) sent instead."""
        value = self._values.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            attached = self._values.get(value.removeprefix("attach://"))
            if isinstance(attached, UploadedFile):
                return attached
        return value if isinstance(value, UploadedFile | str) else None

    def chat_id(self) -> int | str | None:
        """Return chat_id as int when numeric (private/group ids), else the raw @username."""
        value = self._values.get("chat_id")
        if value is None or value == "":
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT_RE.match(value.strip()):
            return int(value)
        return str(value)
