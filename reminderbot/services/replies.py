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
    """One message to send back to the person who wrote or tapped."""

    text: str
    buttons: Buttons = ()


def keyboard(*rows: Sequence[tuple[str, str]]) -> Buttons:
    """Build the buttons of a Reply from rows of (label, callback data)."""
    return tuple(tuple(row) for row in rows)
