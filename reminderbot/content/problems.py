"""Problems found in the message catalog, and the error raised when it cannot be loaded."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from reminderbot.content.conventions import display_path

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the catalog, located as precisely as the data allows."""

    severity: Severity
    file: str  # relative to the messages root, with forward slashes
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        parts = [display_path(self.file, self.line)]
        if self.severity != "error":
            parts.append(self.severity)
        if self.key:
            parts.append(self.key)
        parts.append(self.message)
        # A report is read and grepped line by line; a stray newline would split a problem.
        return ": ".join(parts).replace("\r", "\\r").replace("\n", "\\n")

    def sort_key(self) -> tuple[str, int, str, str]:
        """Order problems by file, then line (file-wide ones first), then key."""
        return (self.file, self.line or 0, self.key or "", self.message)


def error(file: str, line: int | None, key: str | None, message: str) -> Problem:
    """Build an error: the catalog cannot be used until it is fixed."""
    return Problem("error", file, line, key, message)


def warning(file: str, line: int | None, key: str | None, message: str) -> Problem:
    """Build a warning: worth fixing, but the bot can run."""
    return Problem("warning", file, line, key, message)


class ProblemList(list[Problem]):
    """Problems from one check, sorted, with the size of the catalog they were found in."""

    def __init__(
        self, problems: Iterable[Problem] = (), *, locale_count: int = 0, key_count: int = 0
    ) -> None:
        super().__init__(sorted(problems, key=Problem.sort_key))
        # Carried so a report can say "catalog OK: 2 locales, 57 keys" from the list alone.
        self.locale_count = locale_count
        self.key_count = key_count

    @property
    def errors(self) -> list[Problem]:
        """Return only the problems of severity "error"."""
        return [p for p in self if p.severity == "error"]


class CatalogError(Exception):
    """Raised when the catalog has errors; `problems` holds every problem found."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.sort_key)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)
