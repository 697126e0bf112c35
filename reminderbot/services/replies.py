"""Replies as plain data: what a use case answers, before any adapter turns it into a message.

Services return these; the Telegram layer (and later other adapters) render them. Keeping them
free of python-telegram-bot lets services stay below the adapters in the layer contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Buttons = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class Reply:
    """One message to send back to the person who wrote or tapped.

    With `photo` (PNG bytes) or `document` (file name, bytes) the text is the caption.
    """

    text: str
    buttons: Buttons = ()
    photo: bytes | None = None
    document: tuple[str, bytes] | None = None


@dataclass(frozen=True)
class Asker:
    """Who wrote or tapped, as the chat adapter knows them; services look up their rights."""

    telegram_id: int
    first_name: str
    language_code: str | None = None


def keyboard(*rows: Sequence[tuple[str, str]]) -> Buttons:
    """Build the buttons of a Reply from rows of (label, callback data)."""
    return tuple(tuple(row) for row in rows)
