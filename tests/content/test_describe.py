"""How schedules are described to patients, for every rule type."""

from __future__ import annotations

import pytest

from reminderbot.content import Catalog
from reminderbot.content.describe import describe_rule


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The shipped catalog."""
    return Catalog.load()


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ({"type": "daily"}, "every day at 18:00"),
        ({"type": "weekly", "weekdays": ["fri", "mon"]}, "Mon, Fri at 18:00"),
        ({"type": "interval", "every": 2, "unit": "weeks"}, "every 14 days at 18:00"),
        (
            {"type": "before_dates", "dates": ["2027-01-07", "2026-12-10"], "days_before": 3},
            "3 days before each dose date (Thu 10 Dec, Thu 7 Jan) at 18:00",
        ),
        ({"type": "once", "at": "2026-12-10T09:00:00+00:00"}, "once"),
    ],
)
def test_describe_rule(catalog: Catalog, rule: dict[str, object], text: str) -> None:
    assert describe_rule(catalog, "en", rule, ["18:00"]) == text
