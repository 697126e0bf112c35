"""Reply markup: validate keyboards the way Telegram does and read their button labels."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from .errors import bad_request

Markup = dict[str, Any]

MAX_CALLBACK_DATA_BYTES = 64
# Exactly one of these makes an inline button do something; a bare text button is refused.
_INLINE_ACTIONS = (
    "callback_data",
    "url",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
    "web_app",
)
_KINDS = {
    "inline_keyboard": "inline",
    "keyboard": "reply",
    "remove_keyboard": "remove",
    "force_reply": "force_reply",
}


def parse_reply_markup(value: Any) -> Markup | None:
    """Validate a reply_markup value and return it normalized; None when there is none."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(value, dict) or not any(key in value for key in _KINDS):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in value:
        rows = _rows(value["inline_keyboard"], "inline keyboard")
        normalized = [[_inline_button(button) for button in row] for row in rows]
        # An empty inline keyboard is accepted and means "no keyboard" (used to remove one).
        if not any(normalized):
            return None
        return {**value, "inline_keyboard": normalized}
    if "keyboard" in value:
        rows = _rows(value["keyboard"], "keyboard")
        return {**value, "keyboard": [[_reply_button(button) for button in row] for row in rows]}
    return dict(value)


def _rows(rows: Any, what: str) -> list[list[Any]]:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(f"can't parse {what}: field must be an Array of Arrays")
    return rows


def _inline_button(button: Any) -> dict[str, Any]:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse inline keyboard button: Can't find field \"text\"")
    if not any(action in button for action in _INLINE_ACTIONS):
        raise bad_request(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if "callback_data" in button:
        data = button["callback_data"]
        size = len(data.encode("utf-8")) if isinstance(data, str) else -1
        if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or parts.scheme not in ("http", "https", "tg") or not parts.netloc:
            raise bad_request("BUTTON_URL_INVALID")
    return dict(button)


def _reply_button(button: Any) -> dict[str, Any]:
    # The Bot API accepts a bare string as shorthand for {"text": string}.
    if isinstance(button, str):
        return {"text": button}
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise bad_request("can't parse keyboard button: Can't find field \"text\"")
    return dict(button)


def keyboard_kind(markup: Markup | None) -> str | None:
    """Return "inline", "reply", "remove", "force_reply" or None."""
    if not markup:
        return None
    return next((kind for key, kind in _KINDS.items() if key in markup), None)


def inline_markup(markup: Markup | None) -> Markup | None:
    """Return the markup if it is an inline keyboard (the only kind a Message echoes back)."""
    return markup if keyboard_kind(markup) == "inline" else None


def button_labels(markup: Markup | None) -> list[list[str]]:
    """Return rows of button labels for inline or reply keyboards, else []."""
    kind = keyboard_kind(markup)
    if kind == "inline":
        return [[b["text"] for b in row] for row in markup["inline_keyboard"]]  # type: ignore[index]
    if kind == "reply":
        return [[b["text"] for b in row] for row in markup["keyboard"]]  # type: ignore[index]
    return []


def inline_buttons(markup: Markup | None) -> list[list[tuple[str, str | None]]]:
    """Return rows of (label, callback_data or url) for an inline keyboard, else []."""
    if keyboard_kind(markup) != "inline":
        return []
    return [
        [(b["text"], b.get("callback_data", b.get("url"))) for b in row]
        for row in markup["inline_keyboard"]  # type: ignore[index]
    ]
