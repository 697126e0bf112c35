"""A tip as the patient reads it: its topic as a heading, then the text."""

from __future__ import annotations

from typing import Any

from reminderbot.content.catalog import Catalog


def tip_message(catalog: Catalog, locale: str, topic: str, text: str, **common: Any) -> str:
    """Render a tip in `locale` with its topic's title as the heading."""
    title = catalog.text(locale, f"delivery.tip_topic.{topic}", **common)
    return catalog.text(locale, "delivery.tip", topic=title, tip=text, **common)
