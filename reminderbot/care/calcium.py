"""Blood calcium results: albumin correction, unit conversion, and the result bands.

Pure rules: no I/O; reading what patients type is in care.calcium_parsing. The thresholds come
in as a CalciumRanges (loaded from messages/rules/calcium.yaml by
reminderbot.content.calcium_rules); the clinical basis is docs/clinical-reference.md section 3
(sources [13], [14], [20]-[22]).

Arithmetic is done in Decimal on the digits the patient typed, so results match a hand
calculation exactly. A result is graded in the unit it was given in, against that unit's
cut-offs (the CTCAE mg/dL cut-offs are not exact conversions of the mmol/L ones [22]); the
graded figure is rounded once, half up, to 0.01 of that unit. The mmol/L figures kept for the
record and the care team are rounded the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from types import MappingProxyType
from typing import Literal

CalciumUnit = Literal["mmol/L", "mg/dL"]
AlbuminUnit = Literal["g/L", "g/dL"]
CALCIUM_UNITS: tuple[CalciumUnit, ...] = ("mmol/L", "mg/dL")

MG_DL_TO_MMOL_L = Decimal("0.2495")  # docs/clinical-reference.md §3 [20]

# Albumin correction [21]: mmol/L + 0.02 × (40 − albumin g/L); mg/dL + 0.8 × (4.0 − g/dL).
_REFERENCE_ALBUMIN_G_L = Decimal(40)
_PER_G_L = Decimal("0.02")
_REFERENCE_ALBUMIN_G_DL = Decimal("4.0")
_PER_G_DL = Decimal("0.8")

_HUNDREDTH = Decimal("0.01")

# Band order, lowest calcium first; thresholds sit between neighbouring bands.
BANDS = (
    "low_g4",
    "low_g3",
    "low_g2",
    "low_g1",
    "normal",
    "high_borderline",
    "high_g1",
    "high_g2",
    "high_g3",
    "high_g4",
)
THRESHOLD_NAMES = (
    "low_g4_below",
    "low_g3_below",
    "low_g2_below",
    "low_g1_below",
    "high_borderline_above",
    "high_g1_above",
    "high_g2_above",
    "high_g3_above",
    "high_g4_above",
)
# The widest span of total calcium seen in living patients, 1.0–5.0 mmol/L (4.0–20 mg/dL):
# thresholds and the plausible spans of rules/calcium.yaml must lie inside it, which also
# catches a number typed in the other unit by mistake.
THRESHOLD_SPAN = (1.0, 5.0)
MG_DL_THRESHOLD_SPAN = (4.0, 20.0)
UNIT_SPANS: Mapping[CalciumUnit, tuple[float, float]] = MappingProxyType(
    {"mmol/L": THRESHOLD_SPAN, "mg/dL": MG_DL_THRESHOLD_SPAN}
)
MAX_TIER = 3


@dataclass(frozen=True)
class CalciumReading:
    """A calcium result as the patient gave it, normalised to mmol/L and corrected when possible.

    `lab_corrected` is set when the patient said the number is already corrected ("corrected
    calcium 2.45"): it is then not corrected again, and `mmol_l` and `corrected_mmol_l` both
    hold that number, because the total was not given. `corrected` is the corrected value in
    the patient's own unit (rounded to 0.01 of it), the figure that is graded.
    """

    value: float
    unit: CalciumUnit
    albumin: float | None
    albumin_unit: AlbuminUnit | None
    mmol_l: float
    corrected_mmol_l: float | None
    lab_corrected: bool = False
    corrected: float | None = None

    @property
    def effective_mmol_l(self) -> float:
        """Return the value to assess: corrected calcium when known, else total calcium."""
        return self.corrected_mmol_l if self.corrected_mmol_l is not None else self.mmol_l

    @property
    def graded_value(self) -> float:
        """Return the figure graded, in the unit given: corrected when known, else total."""
        if self.corrected is not None:
            return self.corrected
        if self.corrected_mmol_l is not None and self.unit == "mmol/L":
            return self.corrected_mmol_l  # readings built by hand carry only the mmol/L figure
        return round_hundredth(Decimal(repr(self.value)))

    @property
    def albumin_known(self) -> bool:
        """Return whether the result accounts for albumin (albumin given, or lab-corrected)."""
        return self.lab_corrected or self.albumin is not None


def _default_mg_dl() -> Mapping[str, float]:
    # CTCAE cut-offs in mg/dL [22], and normal 8.5–10.2, "high" above 10.4 mg/dL [20].
    values = (6.0, 7.0, 8.0, 8.5, 10.2, 10.4, 11.5, 12.5, 13.5)
    return MappingProxyType(dict(zip(THRESHOLD_NAMES, values, strict=True)))


def _default_plausible() -> Mapping[CalciumUnit, tuple[float, float]]:
    return MappingProxyType(dict(UNIT_SPANS))


def _default_caveat_bands() -> frozenset[str]:
    return frozenset({"low_g1", "normal", "high_borderline", "high_g1"})


@dataclass(frozen=True)
class CalciumRanges:
    """Band thresholds in mmol/L and in mg/dL, each band's escalation tier (0–3), and units.

    `<band>_below: x` puts results strictly below x in that band (or a lower one);
    `<band>_above: x` puts results strictly above x in that band (or a higher one); so the
    normal range includes both of its limits, as lab reports print it. The flat fields are the
    mmol/L cut-offs; `mg_dl` holds the same names in mg/dL. `plausible` is the span of each
    unit a typed number must lie in: a unit-less number plausible in both units, or in
    neither, is not guessed. `caveat_bands` are the bands in or near normal where a total
    calcium without albumin is said to possibly hide a high corrected calcium.
    """

    low_g4_below: float
    low_g3_below: float
    low_g2_below: float
    low_g1_below: float
    high_borderline_above: float
    high_g1_above: float
    high_g2_above: float
    high_g3_above: float
    high_g4_above: float
    tiers: Mapping[str, int]
    mg_dl: Mapping[str, float] = field(default_factory=_default_mg_dl)
    plausible: Mapping[CalciumUnit, tuple[float, float]] = field(default_factory=_default_plausible)
    caveat_bands: frozenset[str] = field(default_factory=_default_caveat_bands)

    def __post_init__(self) -> None:
        # The loader reports problems with file and line; this guards ranges built in code.
        _check_cutoffs("mmol/L", self.thresholds(), THRESHOLD_SPAN)
        if set(self.mg_dl) != set(THRESHOLD_NAMES):
            raise ValueError(f"mg_dl must name exactly {', '.join(THRESHOLD_NAMES)}")
        _check_cutoffs("mg/dL", self.thresholds("mg/dL"), MG_DL_THRESHOLD_SPAN)
        if set(self.tiers) != set(BANDS):
            raise ValueError(f"tiers must name exactly the bands {', '.join(BANDS)}")
        for band, tier in self.tiers.items():
            if isinstance(tier, bool) or not isinstance(tier, int) or not 0 <= tier <= MAX_TIER:
                raise ValueError(f"tier of {band} must be a whole number 0–{MAX_TIER}")
        if set(self.plausible) != set(CALCIUM_UNITS):
            raise ValueError("plausible must give a span for mmol/L and for mg/dL")
        for unit, (low, high) in self.plausible.items():
            outer = UNIT_SPANS[unit]
            if not outer[0] <= low < high <= outer[1]:
                raise ValueError(f"plausible {unit} span must lie in {outer} and go up")
        if not set(self.caveat_bands) <= set(BANDS):
            raise ValueError(f"caveat_bands must be among {', '.join(BANDS)}")
        object.__setattr__(self, "tiers", MappingProxyType(dict(self.tiers)))
        object.__setattr__(self, "mg_dl", MappingProxyType(dict(self.mg_dl)))
        object.__setattr__(self, "plausible", MappingProxyType(dict(self.plausible)))
        object.__setattr__(self, "caveat_bands", frozenset(self.caveat_bands))

    def thresholds(self, unit: CalciumUnit = "mmol/L") -> tuple[float, ...]:
        """Return one unit's thresholds in THRESHOLD_NAMES order (strictly increasing)."""
        if unit == "mg/dL":
            return tuple(float(self.mg_dl[name]) for name in THRESHOLD_NAMES)
        return tuple(float(getattr(self, name)) for name in THRESHOLD_NAMES)

    def unit_for(self, value: Decimal) -> CalciumUnit | None:
        """Return the one unit a unit-less number is plausible in; None if both or neither."""
        fits = [u for u in CALCIUM_UNITS if _within(value, _span(self.plausible[u]))]
        return fits[0] if len(fits) == 1 else None

    def plausible_in(self, value: Decimal, unit: CalciumUnit) -> bool:
        """Return whether a number is a plausible calcium in the stated unit."""
        return _within(value, _span(self.plausible[unit]))


def _check_cutoffs(unit: str, values: tuple[float, ...], span: tuple[float, float]) -> None:
    for name, value in zip(THRESHOLD_NAMES, values, strict=True):
        if not span[0] <= value <= span[1]:
            raise ValueError(f"{name} = {value} is outside {span} {unit}")
    named = tuple(zip(THRESHOLD_NAMES, values, strict=True))
    for (lower_name, lower), (name, value) in pairwise(named):
        if not value > lower:
            raise ValueError(f"{name} ({value}) must be greater than {lower_name} ({lower})")


def _span(span: tuple[float, float]) -> tuple[Decimal, Decimal]:
    return Decimal(repr(span[0])), Decimal(repr(span[1]))


@dataclass(frozen=True)
class CalciumAssessment:
    """Where a result falls: band, escalation tier, message key, and whether it is abnormal.

    `albumin_unknown` is set for a total calcium without albumin in a band where the corrected
    value could be higher than it looks (low albumin is common in advanced cancer) [21].
    """

    band: str
    tier: int
    advice_key: str
    abnormal: bool
    albumin_unknown: bool = False


# The defaults of docs/clinical-reference.md §2 and §3; messages/rules/calcium.yaml ships
# the same numbers.
DEFAULT_RANGES = CalciumRanges(
    low_g4_below=1.50,
    low_g3_below=1.75,
    low_g2_below=2.00,
    low_g1_below=2.15,
    high_borderline_above=2.55,
    high_g1_above=2.60,
    high_g2_above=2.90,
    high_g3_above=3.10,
    high_g4_above=3.40,
    tiers={
        "low_g4": 3,
        "low_g3": 3,
        "low_g2": 2,
        "low_g1": 1,
        "normal": 0,
        "high_borderline": 1,
        "high_g1": 1,
        "high_g2": 2,
        "high_g3": 3,
        "high_g4": 3,
    },
)


def assess_calcium(reading: CalciumReading, ranges: CalciumRanges) -> CalciumAssessment:
    """Place a reading's graded (corrected when known) value in its band, in its own unit."""
    value = reading.graded_value
    cutoffs = dict(zip(THRESHOLD_NAMES, ranges.thresholds(reading.unit), strict=True))
    band = "normal"
    # Low bands are checked from the lowest up, high bands from the highest down, so the
    # first threshold crossed is the most extreme band reached.
    for low_band, name in zip(BANDS[:4], THRESHOLD_NAMES[:4], strict=True):
        if value < cutoffs[name]:
            band = low_band
            break
    if band == "normal":
        for high_band, name in zip(BANDS[:4:-1], THRESHOLD_NAMES[:3:-1], strict=True):
            if value > cutoffs[name]:
                band = high_band
                break
    return CalciumAssessment(
        band=band,
        tier=ranges.tiers[band],
        advice_key=f"calcium.result.{band}",
        abnormal=band != "normal",
        albumin_unknown=not reading.albumin_known and band in ranges.caveat_bands,
    )


def round_hundredth(value: Decimal) -> float:
    """Round half up to 0.01, the precision labs report (and the one results are graded at)."""
    return float(value.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP))


def make_reading(
    value: Decimal,
    unit: CalciumUnit,
    albumin: Decimal | None,
    albumin_unit: AlbuminUnit | None,
    lab_corrected: bool,
) -> CalciumReading:
    """Build a reading from the typed numbers: converted to mmol/L, corrected for albumin [21]."""
    to_mmol = Decimal(1) if unit == "mmol/L" else MG_DL_TO_MMOL_L
    corrected: Decimal | None = None  # in the patient's unit
    if lab_corrected:
        corrected = value
    elif albumin is not None:
        if unit == "mmol/L":
            grams_per_litre = albumin if albumin_unit == "g/L" else albumin * 10
            corrected = value + _PER_G_L * (_REFERENCE_ALBUMIN_G_L - grams_per_litre)
        else:
            grams_per_decilitre = albumin if albumin_unit == "g/dL" else albumin / 10
            corrected = value + _PER_G_DL * (_REFERENCE_ALBUMIN_G_DL - grams_per_decilitre)
    return CalciumReading(
        value=float(value),
        unit=unit,
        albumin=None if albumin is None else float(albumin),
        albumin_unit=albumin_unit,
        mmol_l=round_hundredth(value * to_mmol),
        corrected_mmol_l=None if corrected is None else round_hundredth(corrected * to_mmol),
        lab_corrected=lab_corrected,
        corrected=None if corrected is None else round_hundredth(corrected),
    )


def _within(value: Decimal, span: tuple[Decimal, Decimal]) -> bool:
    return span[0] <= value <= span[1]
