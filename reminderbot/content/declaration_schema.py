"""The schema of one entry of locales.yaml and of keys.yaml; the files' keys are checked apart."""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import BeforeValidator, ConfigDict, Field, RootModel, field_validator

from reminderbot.content.conventions import PLACEHOLDER_NAME
from reminderbot.content.schema import Says, Schema, fail, list_as_tuple

_NAME_RULE = "name must be the language's name as its speakers write it"


class LocaleEntry(Schema):
    """One locale of locales.yaml: `en: {name: English}`."""

    what: ClassVar[str] = "a locale"
    not_mapping_template: ClassVar[str] = "expected a mapping like {{name: ...}}, got {got}"

    name: Annotated[
        str,
        Field(pattern=r"\S"),
        Says(f"{_NAME_RULE} (got {{got}})", missing=f"{_NAME_RULE} (got missing)"),
    ]


_PLACEHOLDER = Annotated[
    str,
    Field(pattern=f"^{PLACEHOLDER_NAME.pattern}$"),
    Says("placeholder {got} is not a name (letters, digits and _)"),
]


class PlaceholderList(RootModel[tuple[_PLACEHOLDER, ...]]):
    """One entry of keys.yaml: the placeholders the key's texts may use, like [name] or []."""

    model_config = ConfigDict(strict=True, frozen=True)
    root: Annotated[
        tuple[_PLACEHOLDER, ...],
        BeforeValidator(list_as_tuple),
        Says("expected a list of placeholder names such as [name] or [], got {got}"),
    ]

    @field_validator("root")
    @classmethod
    def _no_repeats(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        for index, name in enumerate(names):
            if name in names[:index]:
                raise fail(f"placeholder {name} listed twice", at=index)
        return names
