"""`reminderbot content check`: the catalog, the programs and the time-zone list together."""

from __future__ import annotations

from pathlib import Path

from reminderbot.content.calcium_rules import check_calcium_rules
from reminderbot.content.escalation_rules import check_escalation_rules
from reminderbot.content.problems import ProblemList
from reminderbot.content.programs import check_programs, check_timezones
from reminderbot.content.report import format_report
from reminderbot.content.tips import check_tips
from reminderbot.content.validation import check_catalog
from reminderbot.paths import messages_dir


def check_all(root: Path | None = None, strict_review: bool = False) -> tuple[str, bool]:
    """Check every file under messages/; return the report and whether it has no errors.

    `strict_review` turns a tip's `review_by` date in the past from a warning into an error.
    """
    root = root or messages_dir()
    catalog_problems = check_catalog(root)
    data_problems = [
        *check_programs(root),
        *check_timezones(root),
        *check_calcium_rules(root),
        *check_escalation_rules(root),
        *check_tips(root, strict_review=strict_review),
    ]
    problems = ProblemList(
        [*catalog_problems, *data_problems],
        locale_count=catalog_problems.locale_count,
        key_count=catalog_problems.key_count,
    )
    return format_report(problems), not problems.errors
