"""The message catalog: every user-facing text, read from messages/ and checked."""

from reminderbot.content.catalog import Catalog, MissingPlaceholderError, UnknownKeyError
from reminderbot.content.problems import CatalogError, Problem, ProblemList
from reminderbot.content.report import format_report
from reminderbot.content.validation import check_catalog

__all__ = [
    "Catalog",
    "CatalogError",
    "MissingPlaceholderError",
    "Problem",
    "ProblemList",
    "UnknownKeyError",
    "check_catalog",
    "format_report",
]
