"""The schema of timezones.yaml (zones offered as buttons) and timezone_names.yaml."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, ConfigDict, RootModel, model_validator

from reminderbot.care.timezones import is_valid_timezone
from reminderbot.content.schema import Says, as_tuple, fail


def _known_zone(zone: str) -> str:
    if not is_valid_timezone(zone):
        raise fail(f"{zone!r} is not a known IANA time zone")
    return zone


_ZONE = Annotated[
    str,
    AfterValidator(_known_zone),
    Says("expected an IANA time zone name like Europe/London, got {got}"),
]


class SuggestedTimezones(RootModel[tuple[_ZONE, ...]]):
    """timezones.yaml: a list of IANA names, offered in this order."""

    model_config = ConfigDict(strict=True, frozen=True)
    root: Annotated[
        tuple[_ZONE, ...],
        BeforeValidator(as_tuple),
        Says("expected a list of IANA time zone names, got {got}"),
    ]


class TimezoneNames(RootModel[dict[str, str]]):
    """timezone_names.yaml: place names people type (上海, Beijing) and their IANA zones."""

    model_config = ConfigDict(strict=True, frozen=True)
    root: Annotated[dict[str, str], Says("expected lines of the form  name: IANA/Zone, got {got}")]

    @model_validator(mode="after")
    def _known_zones(self) -> TimezoneNames:
        for name, zone in self.root.items():
            if not is_valid_timezone(zone):
                raise fail(f"{name}: {zone!r} is not a known IANA time zone", at=name)
        return self
