"""The schema of one tip (`<locale>/tips/<topic>.yaml`) and one topic (`tip_topics.yaml`)."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, field_validator

from reminderbot.content.schema import Says, Schema, as_tuple, fail, shown

TEXT_LIMIT = 500
# Sources are numbered in the clinical reference; a number outside its list cannot be traced
# back to anything a reviewer can read.
SOURCE_COUNT = 34

NAME = r"^[a-z0-9_]+$"
_SOURCE = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]")
_REVIEW_BY = "review_by must be a date like 2027-11-30, got {got}"

Tag = Annotated[str, Field(pattern=NAME), Says("tag {got} must use only a-z, 0-9 and _")]


class TipEntry(Schema):
    """One tip as written: `- id: ...` with its topic, text, numbered sources and review date."""

    what: ClassVar[str] = "a tip"
    unknown_template: ClassVar[str] = "unknown field {name!r}; a tip has {fields}{dym}"
    missing_template: ClassVar[str] = "missing field {name!r}"
    not_mapping_template: ClassVar[str] = (
        "each tip is a mapping with id, topic, text, source and review_by; got {got}"
    )

    id: Annotated[str, Field(pattern=NAME), Says("id must use only a-z, 0-9 and _ ({got})")]
    topic: Annotated[str, Says("topic must be a topic id, got {got}")]
    text: Annotated[str, Says("text must be text, got {got}")]
    source: Annotated[
        str,
        Says('source must be numbered references like "[23]" or "[23, 24]", got {got}'),
    ]
    review_by: Annotated[date, Says(_REVIEW_BY)]
    tags: Annotated[
        tuple[Tag, ...],
        BeforeValidator(as_tuple),
        Says("tags must be a list like [on_opioids], got {got}"),
    ] = ()

    @field_validator("text")
    @classmethod
    def _text_fits(cls, text: str) -> str:
        text = text.strip()
        if not text:
            raise fail("text is empty")
        if len(text) > TEXT_LIMIT:
            raise fail(f"text is {len(text)} characters; a tip may have at most {TEXT_LIMIT}")
        return text

    @field_validator("source", mode="before")
    @classmethod
    def _source_quoted(cls, value: Any) -> Any:
        if isinstance(value, list):
            # Unquoted, [23] is a YAML list, not the text a reviewer reads.
            raise fail('source must be in quotes, like "[23]" or "[23, 24]"')
        return value

    @field_validator("source")
    @classmethod
    def _source_numbered(cls, value: str) -> str:
        match = _SOURCE.fullmatch(value.strip())
        if match is None:
            raise fail(
                f'source must be numbered references like "[23]" or "[23, 24]", got {value!r}'
            )
        numbers = [int(n) for n in match.group(1).split(",")]
        outside = [n for n in numbers if not 1 <= n <= SOURCE_COUNT]
        if outside:
            raise fail(f"source {outside[0]} is not in the reference list (1 to {SOURCE_COUNT})")
        return value.strip()

    @field_validator("review_by", mode="before")
    @classmethod
    def _review_by_day(cls, value: Any) -> Any:
        # A quoted "2027-11-30" is the same day (a date with a time fails the strict date).
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise fail(_REVIEW_BY.format(got=shown(value))) from None
        return value


class TopicEntry(Schema):
    """One topic of tip_topics.yaml; core topics are the seed article's heart and come first."""

    what: ClassVar[str] = "a topic"
    unknown_template: ClassVar[str] = "unknown field {name!r}; a topic has {fields}{dym}"
    not_mapping_template: ClassVar[str] = (
        "expected a mapping like {{id: protein, core: true}}, got {got}"
    )

    id: Annotated[
        str,
        Field(pattern=NAME),
        Says(
            "topic id must use only a-z, 0-9 and _ ({got})",
            missing="topic id must use only a-z, 0-9 and _ (missing)",
        ),
    ]
    core: Annotated[bool, Says("core must be true or false, got {got}")] = False
