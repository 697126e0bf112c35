"""The schema of rules/calcium.yaml and rules/escalation.yaml; the names come from care/."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any, ClassVar

from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from reminderbot.care.calcium import MAX_TIER, THRESHOLD_NAMES, THRESHOLD_SPAN
from reminderbot.care.escalation import MAX_SCORE, RED_FLAG_TIERS
from reminderbot.content.conventions import KEY_SEGMENT
from reminderbot.content.schema import Says, Schema, as_tuple, fail

# --- rules/calcium.yaml ------------------------------------------------------------------------

_LOW, _HIGH = THRESHOLD_SPAN
_THRESHOLD = Annotated[
    float,
    Field(ge=_LOW, le=_HIGH, allow_inf_nan=False),
    Says(
        "{name} must be a number in mmol/L, not {raw}",
        # A reviewer copying a lab report in mg/dL is the likely cause (10.2 for 2.55).
        bounds=f"{{name}} = {{value:g}} is outside {_LOW:g}-{_HIGH:g}; thresholds are in "
        "mmol/L, not mg/dL (mg/dL x 0.2495 = mmol/L)",
    ),
]
_TIER = Annotated[
    int,
    Field(ge=0, le=MAX_TIER),
    Says(f"tier of {{name}} must be a whole number 0-{MAX_TIER}, not {{raw}}"),
]


class CalciumThresholds(Schema):
    """The band thresholds in mmol/L, named as in care.calcium.THRESHOLD_NAMES."""

    what: ClassVar[str] = "'thresholds'"

    low_g4_below: _THRESHOLD
    low_g3_below: _THRESHOLD
    low_g2_below: _THRESHOLD
    low_g1_below: _THRESHOLD
    high_borderline_above: _THRESHOLD
    high_g1_above: _THRESHOLD
    high_g2_above: _THRESHOLD
    high_g3_above: _THRESHOLD
    high_g4_above: _THRESHOLD

    @model_validator(mode="after")
    def _strictly_up(self) -> CalciumThresholds:
        # Checked in band order, not file order: the order of lines is the reviewer's choice.
        values = self.model_dump()
        for lower, name in pairwise(THRESHOLD_NAMES):
            if not values[name] > values[lower]:
                raise fail(
                    f"{name} = {values[name]:g} must be greater than {lower} = "
                    f"{values[lower]:g}; thresholds go strictly up from low_g4_below to "
                    "high_g4_above",
                    at=name,
                )
        return self


class CalciumTiers(Schema):
    """Each calcium band's alert tier, named as in care.calcium.BANDS."""

    what: ClassVar[str] = "'tiers'"

    low_g4: _TIER
    low_g3: _TIER
    low_g2: _TIER
    low_g1: _TIER
    normal: _TIER
    high_borderline: _TIER
    high_g1: _TIER
    high_g2: _TIER
    high_g3: _TIER
    high_g4: _TIER


class CalciumFile(Schema):
    """rules/calcium.yaml: the band thresholds in mmol/L and each band's tier."""

    what: ClassVar[str] = "the file"

    thresholds: CalciumThresholds
    tiers: CalciumTiers


# --- rules/escalation.yaml ---------------------------------------------------------------------


def _number(whole: bool, hint: str) -> Says:
    kind = "a whole number" if whole else "a number"
    return Says(
        f"{{name}} must be {kind} ({hint}), not {{raw}}",
        bounds=f"{{name}} = {{value:g}} is out of range: {hint}",
    )


_FINITE = Field(allow_inf_nan=False)
_SCORE = Annotated[int, Field(ge=1, le=MAX_SCORE), _number(True, "a pain score 1-10")]
_HOURS = Annotated[
    float, Field(gt=0, le=168), _FINITE, _number(False, "hours, above 0 and at most 168")
]


class EscalationThresholds(Schema):
    """When a check-in counts as moderate, severe or worse than usual."""

    what: ClassVar[str] = "'thresholds'"

    moderate_score: _SCORE
    severe_score: _SCORE
    worsening_min_rise: Annotated[
        float,
        Field(gt=0, le=MAX_SCORE),
        _FINITE,
        _number(False, "points on the 0-10 scale, above 0"),
    ]
    worsening_min_ratio: Annotated[
        float, Field(ge=0, le=1), _FINITE, _number(False, "a fraction 0-1; write 0.30 for 30 %")
    ]
    history_days: Annotated[int, Field(ge=1, le=365), _number(True, "whole days, 1-365")]
    screen_min_score: Annotated[
        int, Field(ge=0, le=MAX_SCORE), _number(True, "a pain score 0-10 (0 = always ask)")
    ]

    @model_validator(mode="after")
    def _severe_above_moderate(self) -> EscalationThresholds:
        moderate, severe = self.moderate_score, self.severe_score
        if not moderate < severe:
            raise fail(
                f"severe_score ({severe:g}) must be greater than moderate_score ({moderate:g})",
                at="severe_score",
            )
        return self


class EscalationTiming(Schema):
    """How soon the bot follows up, repeats an alert and nudges."""

    what: ClassVar[str] = "'timing'"

    followup_hours: _HOURS
    alert_repeat_minutes: Annotated[
        float,
        Field(gt=0, le=1440),
        _FINITE,
        _number(False, "minutes, above 0 and at most 1440"),
    ]
    nudge_after_hours: _HOURS
    missed_in_a_row: Annotated[
        int, Field(ge=1, le=100), _number(True, "a whole number of check-ins, 1-100")
    ]


_KEY_SEGMENT = f"^{KEY_SEGMENT.pattern}$"
_FLAG_TAG = Annotated[
    str, Field(pattern=_KEY_SEGMENT), Says("tag {raw} is not a name of a-z, 0-9 and _")
]


class RedFlagEntry(Schema):
    """One red-flag question; its texts are checkin.red_flag.<id> and advice.red_flag.<id>."""

    what: ClassVar[str] = "a red flag"

    id: Annotated[
        str,
        Field(pattern=_KEY_SEGMENT),
        Says("red flag id must be a name of a-z, 0-9 and _, not {raw}"),
    ]
    tier: int
    requires_tags: Annotated[
        tuple[_FLAG_TAG, ...],
        BeforeValidator(as_tuple),
        Says("requires_tags of {parent[id]!r} must be a list like [on_opioids]"),
    ]

    @field_validator("tier", mode="before")
    @classmethod
    def _known_tier(cls, tier: Any, info: ValidationInfo) -> Any:
        # `1.0` and `true` compare equal to a tier; only a written whole number is meant.
        if isinstance(tier, bool) or not isinstance(tier, int) or tier not in RED_FLAG_TIERS:
            raise fail(
                f"unknown tier {tier!r} for red flag {info.data.get('id')!r}; use 1 (review), "
                "2 (urgent, today) or 3 (emergency)"
            )
        return tier

    @field_validator("requires_tags")
    @classmethod
    def _no_repeats(cls, tags: tuple[str, ...]) -> tuple[str, ...]:
        for index, tag in enumerate(tags):
            if tag in tags[:index]:
                raise fail(f"tag {tag!r} listed twice", at=index)
        return tags


class EscalationFile(Schema):
    """rules/escalation.yaml: check-in thresholds, timing and the red-flag table."""

    what: ClassVar[str] = "the file"

    thresholds: EscalationThresholds
    timing: EscalationTiming
    red_flags: Annotated[
        tuple[RedFlagEntry, ...],
        BeforeValidator(as_tuple),
        Field(min_length=1),
        Says("'red_flags' must be a list of entries with id, tier, requires_tags"),
    ]
