"""`reminderbot content check`: the catalog, the programs and the time-zone list together."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from reminderbot.content.calcium_rules import load_calcium_ranges
from reminderbot.content.escalation_rules import load_escalation_rules
from reminderbot.content.problems import Problem, ProblemList, error
from reminderbot.content.programs import (
    ContentDataError,
    load_programs,
    load_suggested_timezones,
    load_timezone_names,
)
from reminderbot.content.report import format_report
from reminderbot.content.tips import check_tips
from reminderbot.content.validation import check_catalog
from reminderbot.paths import messages_dir


def _data_problem(loader: Callable[[Path], Any], root: Path) -> list[Problem]:
    try:
        loader(root)
    except ContentDataError as exc:
        return [error(exc.file, exc.line, None, exc.message)]
    return []


def check_all(root: Path | None = None, strict_review: bool = False) -> tuple[str, bool]:
    """Check every file under messages/; return the report and whether it has no errors.

    `strict_review` turns a tip's `review_by` date in the past from a warning into an error.
    """
    root = root or messages_dir()
    catalog_problems = check_catalog(root)
    data_problems = [
        *_data_problem(load_programs, root),
        *_data_problem(load_suggested_timezones, root),
        *_data_problem(load_timezone_names, root),
        *_data_problem(load_calcium_ranges, root),
        *_data_problem(load_escalation_rules, root),
        *check_tips(root, strict_review=strict_review),
    ]
    problems = ProblemList(
        [*catalog_problems, *data_problems],
        locale_count=getattr(catalog_problems, "locale_count", 0),
        key_count=getattr(catalog_problems, "key_count", 0),
    )
    return format_report(problems), not problems.errors
