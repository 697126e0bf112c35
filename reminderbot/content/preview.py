"""Tips as a patient would read them, for clinical reviewers: `reminderbot content preview`."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

from reminderbot.content.catalog import Catalog
from reminderbot.content.tip_message import tip_message
from reminderbot.content.tips import TipLibrary, load_tips

# Realistic contact numbers, so a reviewer reads whole sentences rather than {placeholders}.
SAMPLE_COMMON = {"emergency_number": "999", "care_team_contact": "the oncology nurses"}


class PreviewError(ValueError):
    """A locale or topic that the library does not have; the message says which exist."""


def preview(root: Path | None, locale: str, topic: str | None, today: date) -> Iterator[str]:
    """Yield one block per tip: a reviewer's header line, then the message as sent."""
    catalog = Catalog.load(root)
    library: TipLibrary = load_tips(root)
    if locale not in catalog.locales:
        raise PreviewError(f"no locale {locale!r}; the catalog has: {', '.join(catalog.locales)}")
    topics = list(library.topics)
    if topic is not None and topic not in topics:
        raise PreviewError(f"no topic {topic!r}; the topics are: {', '.join(topics)}")
    own = locale in library.locales
    tips = [t for t in library.tips(locale) if topic is None or t.topic == topic]
    for tip in tips:
        overdue = "  ⚠ review overdue" if tip.review_by < today else ""
        tags = f"  tags: {', '.join(sorted(tip.tags))}" if tip.tags else ""
        fallback = "" if own else f"  (no {locale} text yet: shown in en)"
        header = (
            f"── {tip.id} · source {tip.source} · review by {tip.review_by.isoformat()}"
            f"{tags}{overdue}{fallback}"
        )
        body = tip_message(catalog, locale, tip.topic, tip.text, **SAMPLE_COMMON)
        yield f"{header}\n{body}\n"
    yield f"{len(tips)} tips ({locale}{', topic ' + topic if topic else ''})"
