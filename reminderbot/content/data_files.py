"""Reading one data file under messages/ (rules, programs, time zones) through its schema model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel

from reminderbot.content.conventions import display_path
from reminderbot.content.problems import Problem, error
from reminderbot.content.schema_errors import validate_located
from reminderbot.content.yaml_loading import Located, load_yaml

Model = TypeVar("Model", bound=BaseModel)


class ContentDataError(Exception):
    """A data file under messages/ is broken; says which file, where, and what is wrong."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{display_path(file, line)}: {message}")


@dataclass
class DataFile(Generic[Model]):
    """A data file as read: the validated model (None if it has errors), its tree, its problems."""

    file: str
    model: Model | None
    tree: Located | None
    problems: list[Problem] = field(default_factory=list)

    def fail(self, line: int | None, message: str, key: str | None = None) -> None:
        """Record a problem found after the schema, by a check across fields or files."""
        self.problems.append(error(self.file, line, key, message))
        self.model = None

    def valid(self) -> Model:
        """Return the model, or raise ContentDataError naming the first problem."""
        raise_first(self.problems)
        assert self.model is not None  # no problems means the schema accepted it
        return self.model


def read_data_file(root: Path, relative: str, model: type[Model], expected: str) -> DataFile[Model]:
    """Read `relative` under `root` and validate it; `expected` says what an empty file lacks."""
    loaded = load_yaml(root / relative)
    problems = [error(relative, issue.line, None, issue.message) for issue in loaded.issues]
    if loaded.root is None or problems:
        if not problems:
            problems.append(error(relative, None, None, f"the file is empty; expected {expected}"))
        return DataFile(relative, None, loaded.root, problems)
    instance, issues = validate_located(model, loaded.root)
    problems = [error(relative, issue.line, None, issue.message) for issue in issues]
    return DataFile(relative, instance, loaded.root, problems)


def raise_first(problems: Sequence[Problem]) -> None:
    """Raise ContentDataError for the first error in `problems`, if there is one."""
    for problem in problems:
        if problem.severity == "error":
            message = f"{problem.key}: {problem.message}" if problem.key else problem.message
            raise ContentDataError(problem.file, problem.line, message)
