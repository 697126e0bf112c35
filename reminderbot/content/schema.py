"""The base of every catalog schema model, and how a model says what is wrong in a reviewer's words.

A model names its fields' problems with `Says` (in `Annotated[...]`) and its own with the
templates below; `schema_errors.validate_located` turns pydantic's errors into those texts and
the file's line numbers.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from reminderbot.content.yaml_loading import describe_value

CUSTOM_ERROR = "content"


@dataclass(frozen=True, slots=True)
class Says:
    """A field's problem texts; {name}, {raw} (repr), {got}, {value} and {parent} are filled in.

    `wrong` is for a value of the wrong kind, `bounds` for one outside its limits (defaults to
    `wrong`), `missing` for an absent required field (defaults to the model's template).
    """

    wrong: str
    bounds: str | None = None
    missing: str | None = None


class Schema(BaseModel):
    """A mapping in a catalog file: strict types, and an unknown field is a problem, not ignored."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    # How problems name a mapping of this kind ("a tip", "'thresholds'").
    what: ClassVar[str] = "the mapping"
    unknown_template: ClassVar[str] = "unknown field {name!r} in {what}; expected {fields}{dym}"
    missing_template: ClassVar[str] = "{what} is missing {name!r}"
    not_mapping_template: ClassVar[str] = "{what} must be a mapping of {fields}, got {got}"

    @classmethod
    def field_list(cls) -> str:
        """Return the field names as problems list them: "id, tier, requires_tags"."""
        return ", ".join(cls.model_fields)


def fail(message: str, at: str | int | tuple[str | int, ...] = ()) -> PydanticCustomError:
    """Build the error a validator raises; `at` points below the validated value, for its line."""
    where = at if isinstance(at, tuple) else (at,)
    return PydanticCustomError(CUSTOM_ERROR, "{message}", {"message": message, "at": where})


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """Return "; did you mean x?" for the closest of `choices`, or "" if none is close."""
    guess = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f"; did you mean {guess[0]}?" if guess else ""


def list_as_tuple(value: Any) -> Any:
    """Read a YAML list as the tuple a frozen model holds (a BeforeValidator)."""
    return tuple(value) if isinstance(value, list) else value


def as_tuple(value: Any) -> Any:
    """Read a YAML list as a tuple, and `tags:` with nothing after it as () (a BeforeValidator)."""
    return () if value is None else list_as_tuple(value)


def shown(value: object) -> str:
    """Show a wrong value: text in quotes, anything else described ("the number 42")."""
    return repr(value) if isinstance(value, str) else describe_value(value)
