"""Formatting problems for people: the output of `reminderbot content check`."""

from __future__ import annotations

from collections.abc import Sequence

from reminderbot.content.problems import Problem, ProblemList


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def format_report(problems: Sequence[Problem]) -> str:
    """Return one line per problem, then a summary line ("2 errors, 1 warning" or "catalog OK")."""
    errors = sum(1 for problem in problems if problem.severity == "error")
    warnings = len(problems) - errors
    if errors:
        summary = _count(errors, "error")
        if warnings:
            summary += ", " + _count(warnings, "warning")
    else:
        summary = "catalog OK"
        if isinstance(problems, ProblemList):
            summary += (
                f": {_count(problems.locale_count, 'locale')}, {_count(problems.key_count, 'key')}"
            )
        if warnings:
            summary += f" ({_count(warnings, 'warning')})"
    return "\n".join([*(str(problem) for problem in problems), summary])
