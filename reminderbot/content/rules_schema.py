"""The schema of rules/calcium.yaml and rules/escalation.yaml; the names come from care/."""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from reminderbot.care.calcium import (
    BANDS,
    DEFAULT_RANGES,
    MAX_TIER,
    MG_DL_THRESHOLD_SPAN,
    THRESHOLD_NAMES,
    THRESHOLD_SPAN,
)
from reminderbot.care.escalation import DEFAULT_RULES, MAX_SCORE, RED_FLAG_TIERS
from reminderbot.content.conventions import KEY_SEGMENT
from reminderbot.content.schema import Says, Schema, as_tuple, fail, list_as_tuple

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


def _strictly_up(values: dict[str, Any]) -> None:
    # Checked in band order, not file order: the order of lines is the reviewer's choice.
    for lower, name in pairwise(THRESHOLD_NAMES):
        if not values[name] > values[lower]:
            raise fail(
                f"{name} = {values[name]:g} must be greater than {lower} = "
                f"{values[lower]:g}; thresholds go strictly up from low_g4_below to "
                "high_g4_above",
                at=name,
            )


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
        _strictly_up(self.model_dump())
        return self


_MG_LOW, _MG_HIGH = MG_DL_THRESHOLD_SPAN
_MG_DL_THRESHOLD = Annotated[
    float,
    Field(ge=_MG_LOW, le=_MG_HIGH, allow_inf_nan=False),
    Says(
        "{name} must be a number in mg/dL, not {raw}",
        bounds=f"{{name}} = {{value:g}} is outside {_MG_LOW:g}-{_MG_HIGH:g}; these thresholds "
        "are in mg/dL, not mmol/L",
    ),
]


class CalciumMgDlThresholds(Schema):
    """The band thresholds in mg/dL (graded in the unit given [22]), named as the mmol/L ones."""

    what: ClassVar[str] = "'thresholds_mg_dl'"

    low_g4_below: _MG_DL_THRESHOLD
    low_g3_below: _MG_DL_THRESHOLD
    low_g2_below: _MG_DL_THRESHOLD
    low_g1_below: _MG_DL_THRESHOLD
    high_borderline_above: _MG_DL_THRESHOLD
    high_g1_above: _MG_DL_THRESHOLD
    high_g2_above: _MG_DL_THRESHOLD
    high_g3_above: _MG_DL_THRESHOLD
    high_g4_above: _MG_DL_THRESHOLD

    @model_validator(mode="after")
    def _strictly_up(self) -> CalciumMgDlThresholds:
        _strictly_up(self.model_dump())
        return self


def _span_says(low: float, high: float, unit: str) -> Says:
    return Says(
        f"{{name}} must be a list [lowest, highest] in {unit} within {low:g}-{high:g}, not {{raw}}"
    )


_MMOL_L_SPAN = Annotated[
    tuple[float, float], BeforeValidator(list_as_tuple), _span_says(*THRESHOLD_SPAN, "mmol/L")
]
_MG_DL_SPAN = Annotated[
    tuple[float, float], BeforeValidator(list_as_tuple), _span_says(*MG_DL_THRESHOLD_SPAN, "mg/dL")
]


class CalciumPlausible(Schema):
    """The span of each unit a typed calcium must lie in; a unit-less number in both is asked."""

    what: ClassVar[str] = "'plausible'"

    mmol_l: _MMOL_L_SPAN
    mg_dl: _MG_DL_SPAN

    @model_validator(mode="after")
    def _inside(self) -> CalciumPlausible:
        for name, (low, high), outer in (
            ("mmol_l", self.mmol_l, THRESHOLD_SPAN),
            ("mg_dl", self.mg_dl, MG_DL_THRESHOLD_SPAN),
        ):
            if not outer[0] <= low < high <= outer[1]:
                raise fail(
                    f"{name} must go up and lie within {outer[0]:g}-{outer[1]:g}, "
                    f"not [{low:g}, {high:g}]",
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


_BAND = Annotated[
    Literal[BANDS],  # type: ignore[valid-type]
    Says(f"caveat_bands must be a list of bands ({', '.join(BANDS)}), not {{raw}}"),
]


class CalciumFile(Schema):
    """rules/calcium.yaml: band thresholds (mmol/L, mg/dL), tiers, plausible spans, caveat bands."""

    what: ClassVar[str] = "the file"

    thresholds: CalciumThresholds
    tiers: CalciumTiers
    # Optional, so a file written before grading in mg/dL still loads with the reference values.
    thresholds_mg_dl: CalciumMgDlThresholds = CalciumMgDlThresholds(**DEFAULT_RANGES.mg_dl)
    plausible: CalciumPlausible = CalciumPlausible(
        mmol_l=DEFAULT_RANGES.plausible["mmol/L"], mg_dl=DEFAULT_RANGES.plausible["mg/dL"]
    )
    caveat_bands: Annotated[
        tuple[_BAND, ...],
        BeforeValidator(list_as_tuple),
        Says("caveat_bands must be a list of bands, not {raw}"),
    ] = tuple(b for b in BANDS if b in DEFAULT_RANGES.caveat_bands)


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
    # Optional, so a file written before issue 11 still loads with the reference values.
    worsening_urgent_from_score: Annotated[
        int,
        Field(ge=0, le=MAX_SCORE),
        _number(True, "a pain score 0-10 (0 = every worsening is urgent)"),
    ] = DEFAULT_RULES.worsening_urgent_from_score
    stable_moderate_quiet_days: Annotated[
        int, Field(ge=0, le=365), _number(True, "whole days, 0-365 (0 = alert every time)")
    ] = DEFAULT_RULES.stable_moderate_quiet_days

    @model_validator(mode="after")
    def _severe_above_moderate(self) -> EscalationThresholds:
        moderate, severe = self.moderate_score, self.severe_score
        if not moderate < severe:
            raise fail(
                f"severe_score ({severe:g}) must be greater than moderate_score ({moderate:g})",
                at="severe_score",
            )
        if self.worsening_urgent_from_score > severe:
            raise fail(
                f"worsening_urgent_from_score ({self.worsening_urgent_from_score:g}) must not be "
                f"greater than severe_score ({severe:g})",
                at="worsening_urgent_from_score",
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
