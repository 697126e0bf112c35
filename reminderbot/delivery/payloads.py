"""The text and buttons of scheduled messages, rendered in the recipient's language."""

from __future__ import annotations

from typing import Any

from reminderbot.content import Catalog
from reminderbot.content.tip_message import tip_message
from reminderbot.delivery import callbacks

Buttons = list[list[list[str]]]


def payload(text: str, buttons: Buttons | None = None) -> dict[str, Any]:
    """The JSON stored in the outbox: text and rows of [label, callback data]."""
    return {"text": text, "buttons": buttons or []}


def tip_payload(
    catalog: Catalog, locale: str, topic: str, text: str, **common: Any
) -> dict[str, Any]:
    """A tip with its topic as a heading."""
    return payload(tip_message(catalog, locale, topic, text, **common))


def checkin_payload(catalog: Catalog, locale: str, key: str, **common: Any) -> dict[str, Any]:
    """The pain check-in prompt: eleven buttons 0–10 and a snooze."""
    scores = [[str(n), callbacks.build(callbacks.CHECKIN, key, str(n))] for n in range(11)]
    return payload(
        catalog.text(locale, "delivery.checkin.prompt", **common),
        [
            scores[:6],
            scores[6:],
            [
                [
                    catalog.text(locale, "delivery.snooze.hour_button", **common),
                    callbacks.build(callbacks.SNOOZE_HOUR, key),
                ]
            ],
        ],
    )


def calcium_payload(catalog: Catalog, locale: str, key: str, **common: Any) -> dict[str, Any]:
    """The blood calcium test reminder: done, tomorrow, or log the result."""
    return payload(
        catalog.text(locale, "delivery.calcium.reminder", **common),
        [
            [
                [
                    catalog.text(locale, "delivery.calcium.done_button", **common),
                    callbacks.build(callbacks.CALCIUM_DONE, key),
                ]
            ],
            [
                [
                    catalog.text(locale, "delivery.calcium.tomorrow_button", **common),
                    callbacks.build(callbacks.CALCIUM_TOMORROW, key),
                ]
            ],
            [
                [
                    catalog.text(locale, "delivery.calcium.log_button", **common),
                    callbacks.build(callbacks.CALCIUM_LOG, key),
                ]
            ],
        ],
    )
