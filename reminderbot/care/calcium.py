"""Blood calcium results: reading what patients type, albumin correction and the result bands.

Pure rules: no I/O. The thresholds come in as a CalciumRanges (loaded from
messages/rules/calcium.yaml by reminderbot.content.calcium_rules); the clinical basis is
docs/clinical-reference.md section 3 (sources [13], [14], [20]-[22]).

Arithmetic is done in Decimal on the digits the patient typed, so results match a hand
calculation exactly. A result is graded in the unit it was given in, against that unit's
cut-offs (the CTCAE mg/dL cut-offs are not exact conversions of the mmol/L ones [22]); the
graded figure is rounded once, half up, to 0.01 of that unit. The mmol/L figures kept for the
record and the care team are rounded the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise
from types import MappingProxyType
from typing import Literal

CalciumUnit = Literal["mmol/L", "mg/dL"]
AlbuminUnit = Literal["g/L", "g/dL"]
ParseErrorCode = Literal["no_number", "implausible", "ambiguous", "albumin_implausible", "unit"]
CALCIUM_UNITS: tuple[CalciumUnit, ...] = ("mmol/L", "mg/dL")

MG_DL_TO_MMOL_L = Decimal("0.2495")  # docs/clinical-reference.md §3 [20]

# Albumin correction [21]: mmol/L + 0.02 × (40 − albumin g/L); mg/dL + 0.8 × (4.0 − g/dL).
_REFERENCE_ALBUMIN_G_L = Decimal(40)
_PER_G_L = Decimal("0.02")
_REFERENCE_ALBUMIN_G_DL = Decimal("4.0")
_PER_G_DL = Decimal("0.8")

_ALBUMIN: dict[AlbuminUnit, tuple[Decimal, Decimal]] = {
    "g/L": (Decimal(15), Decimal(60)),
    "g/dL": (Decimal("1.5"), Decimal("6.0")),
}
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


class CalciumParseError(ValueError):
    """A typed calcium result could not be read; `code` picks the message shown to the patient."""

    def __init__(self, code: ParseErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ParseErrorCode = code


@dataclass(frozen=True)
class PendingCalcium:
    """A result read except for its unit: the numbers as typed, waiting for the patient's answer."""

    value: Decimal
    albumin: Decimal | None
    albumin_unit: AlbuminUnit | None
    lab_corrected: bool


class CalciumUnitQuestion(CalciumParseError):
    """The number is plausible in both units (or needs one): the patient is asked, never guessed."""

    def __init__(self, pending: PendingCalcium) -> None:
        super().__init__("unit", f"{_show(pending.value)} could be mmol/L or mg/dL; ask")
        self.pending = pending


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
        return _round(Decimal(repr(self.value)))

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


# --- Reading typed text -------------------------------------------------------------------

_DIGIT_RUN = r"[0-9]+(?:[.,][0-9]+)?"
# Dates and clock times carry digits that are not results; blank them out first.
_DATES_AND_TIMES = re.compile(
    r"(?<![0-9.,])(?:"
    r"[0-9]{4}[-/.年][0-9]{1,2}[-/.月][0-9]{1,2}日?"
    r"|[0-9]{1,2}[-/.][0-9]{1,2}[-/.][0-9]{2,4}"
    r"|[0-9]{1,2}月[0-9]{1,2}[日号]?"
    r"|[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?"
    r"|[0-9]{1,2}/[0-9]{1,2}"
    r")(?![0-9])"
)
# "2.15-2.55" is a reference range copied from a lab report, or the patient unsure of the value.
_RANGE = re.compile(rf"(?<![0-9.,]){_DIGIT_RUN}\s*(?:-|–|—|~|to|至|到)\s*{_DIGIT_RUN}(?![0-9])")
# A run with two separators ("2.4,38") cannot be read safely; it is kept whole and refused.
_NUMBER = re.compile(r"(?<![0-9.,])[0-9]+(?:[.,][0-9]+)*")
_UNITS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "mmol/L",
        re.compile(
            r"\s*(?:mmol(?:\s*(?:/|per)\s*l(?:itre|iter)?)?(?![a-z])"
            r"|毫摩尔?(?:\s*(?:/|每)\s*升)?|mmol\s*/\s*升)"
        ),
    ),
    (
        "mg/dL",
        re.compile(
            r"\s*(?:mg\s*(?:/|per)\s*(?:dl|decilit(?:re|er)|100\s*ml)(?![a-z])|mg\s*%"
            r"|mg(?![a-z/])|毫克(?:\s*(?:/|每)\s*(?:分升|dl))?)"
        ),
    ),
    (
        "g/dL",
        re.compile(
            r"\s*(?:g\s*(?:/|per)\s*(?:dl|decilit(?:re|er))(?![a-z])|g\s*%|克\s*(?:/|每)\s*分升)"
        ),
    ),
    ("g/L", re.compile(r"\s*(?:g\s*(?:/|per)\s*l(?:itre|iter)?(?![a-z])|克\s*(?:/|每)\s*升)")),
)
_CALCIUM_UNITS = ("mmol/L", "mg/dL")
_ALBUMIN_UNITS = ("g/L", "g/dL")
# "Ca2+" and "Ca++" name calcium; their digit must not be read as a result.
_CA_ION = re.compile(r"(?<![a-z])ca(?:2\+|\+2|\+\+)")
_KEYWORDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("calcium", re.compile(r"calcium|(?<![a-z])ca(?:lc)?(?![a-z])|钙")),
    ("albumin", re.compile(r"(?<![a-z])alb(?:umin)?(?![a-z])|白蛋白")),
)
# Only an explicit phrase says the lab already corrected the number: "corrected calcium 2.45",
# "adjusted Ca 2.4", "Ca (corrected) 2.4", 校正钙 2.4. A stray "correct" ("Is this correct?")
# must not stop the albumin correction, which would hide a high calcium [21].
_CALCIUM_WORD = r"(?:calcium|ca(?:lc)?)(?![a-z])"
_CORRECTED_WORD = r"(?:(?:albumin[\s-]*)?(?:corrected|adjusted)|(?:corr|adj)\.?)"
_LAB_CORRECTED = re.compile(
    rf"(?<![a-z]){_CORRECTED_WORD}\s*(?:serum\s+|total\s+|blood\s+)?{_CALCIUM_WORD}"
    rf"|(?<![a-z]){_CALCIUM_WORD}\s*[(\[,:-]?\s*(?:corrected|adjusted|corr|adj)(?![a-z])"
    r"|(?:校正|矫正|纠正)(?:后)?的?(?:血清?)?(?:总)?钙"
    r"|钙\s*[(（]?\s*(?:校正|矫正|纠正)"
)
# Ionised calcium (normal about 1.1–1.3 mmol/L) would look dangerously low against total
# calcium ranges: refuse it rather than raise a false emergency.
_IONISED = re.compile(r"ioni[sz]ed|(?<![a-z])i-?ca(?![a-z])|free calcium|离子钙|游离钙")
# What may stand between a keyword and its number: "Calcium level: 2.31", "白蛋白为35".
_FILLER = re.compile(
    r"(?:[\s:=,;\-–—()\[\]'\"]|is|was|of|level|value|result|total|serum|blood|"
    r"为|是|值|水平|结果|总)*"
)
_MAX_FILLER = 40


@dataclass
class _Number:
    text: str
    start: int
    end: int
    unit: str | None = None
    keyword: str | None = None


def parse_calcium(text: str, ranges: CalciumRanges = DEFAULT_RANGES) -> CalciumReading:
    """Read a typed calcium result (with optional albumin); raises CalciumParseError.

    A number without a unit that is plausible in both units (or in neither) raises
    CalciumUnitQuestion, which carries the numbers so the patient can be asked for the unit.
    """
    if not isinstance(text, str):
        raise CalciumParseError("no_number", f"expected text, got {type(text).__name__}")
    normal = _normalise(text)
    if _IONISED.search(normal):
        raise CalciumParseError(
            "ambiguous", "ionised calcium has other ranges; ask for total calcium"
        )
    normal = _CA_ION.sub("ca", normal)
    normal = _DATES_AND_TIMES.sub(" ", normal)
    normal, range_count = _RANGE.subn(" ", normal)
    numbers = _find_numbers(normal)

    albumins = [
        n
        for n in numbers
        if n.unit in _ALBUMIN_UNITS or (n.keyword == "albumin" and n.unit not in _CALCIUM_UNITS)
    ]
    calciums = [n for n in numbers if n not in albumins]
    if len(albumins) > 1:
        raise CalciumParseError("ambiguous", f"{len(albumins)} albumin values")
    if not calciums:
        if range_count:
            raise CalciumParseError("ambiguous", "only a range of values, not one result")
        raise CalciumParseError("no_number", "no calcium number found")
    if len(calciums) > 1:
        marked = [n for n in calciums if n.keyword == "calcium" or n.unit in _CALCIUM_UNITS]
        if len(marked) != 1:
            raise CalciumParseError(
                "ambiguous", f"{len(calciums)} numbers and no single one marked as calcium"
            )
        calciums = marked
    calcium = calciums[0]
    value = _decimal(calcium)
    albumin_value: Decimal | None = None
    albumin_unit: AlbuminUnit | None = None
    if albumins:
        albumin_value = _decimal(albumins[0])
        albumin_unit = _albumin_unit(albumin_value, albumins[0].unit)
    lab_corrected = _LAB_CORRECTED.search(normal) is not None
    pending = PendingCalcium(value, albumin_value, albumin_unit, lab_corrected)
    unit = _calcium_unit(pending, calcium.unit, ranges)
    return _reading(value, unit, albumin_value, albumin_unit, lab_corrected)


def reading_in_unit(
    pending: PendingCalcium, unit: CalciumUnit, ranges: CalciumRanges = DEFAULT_RANGES
) -> CalciumReading:
    """Finish a result once the patient has said its unit; raises CalciumParseError."""
    _calcium_unit(pending, unit, ranges)
    if pending.albumin is not None:
        _albumin_unit(pending.albumin, pending.albumin_unit)
    return _reading(
        pending.value, unit, pending.albumin, pending.albumin_unit, pending.lab_corrected
    )


def _normalise(text: str) -> str:
    # NFKC turns full-width digits, "．", "／" and "㎎/㎗" into ASCII; other scripts' digits
    # (Arabic-Indic, Devanagari...) are mapped one by one because NFKC keeps them.
    folded = unicodedata.normalize("NFKC", text)
    chars: list[str] = []
    for char in folded:
        if char.isascii():
            chars.append(char)
        elif char == "\u066b":  # Arabic decimal separator
            chars.append(".")
        else:
            digit = unicodedata.decimal(char, None)
            chars.append(char if digit is None else str(digit))
    return "".join(chars).casefold()


def _find_numbers(text: str) -> list[_Number]:
    numbers = [_Number(m.group(), m.start(), m.end()) for m in _NUMBER.finditer(text)]
    for number in numbers:
        for unit, pattern in _UNITS:
            if pattern.match(text, number.end):
                number.unit = unit
                break
    for kind, pattern in _KEYWORDS:
        for match in pattern.finditer(text):
            following = next((n for n in numbers if n.start >= match.end()), None)
            if following is None or following.keyword is not None:
                continue
            gap = text[match.end() : following.start]
            if len(gap) <= _MAX_FILLER and _FILLER.fullmatch(gap):
                following.keyword = kind
    return numbers


def _decimal(number: _Number) -> Decimal:
    if number.text.count(".") + number.text.count(",") > 1:
        raise CalciumParseError("ambiguous", f"cannot read {number.text[:20]!r} as one number")
    try:
        return Decimal(number.text.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern only lets digits through
        raise CalciumParseError("ambiguous", f"cannot read {number.text!r}") from None


def _show(value: Decimal) -> str:
    # Keeps developer messages short when someone pastes thousands of digits.
    text = str(value)
    return text if len(text) <= 12 else f"{text[:12]}…"


def _within(value: Decimal, span: tuple[Decimal, Decimal]) -> bool:
    return span[0] <= value <= span[1]


def _calcium_unit(
    pending: PendingCalcium, stated: str | None, ranges: CalciumRanges
) -> CalciumUnit:
    value = pending.value
    # Looping over the known units (rather than `stated in ...`) gives the unit its type.
    for unit in CALCIUM_UNITS:
        if stated == unit:
            if not ranges.plausible_in(value, unit):
                raise CalciumParseError(
                    "implausible", f"{_show(value)} {stated} is not a plausible calcium"
                )
            return unit
    only = ranges.unit_for(value)
    if only is not None:
        return only
    if any(ranges.plausible_in(value, unit) for unit in CALCIUM_UNITS):
        # Plausible in both units, where the two readings are extreme and opposite
        # (4.6 mmol/L very high, 4.6 mg/dL = 1.15 mmol/L very low): ask, never guess.
        raise CalciumUnitQuestion(pending)
    raise CalciumParseError("implausible", f"{_show(value)} is not a plausible calcium in any unit")


def _albumin_unit(value: Decimal, stated: str | None) -> AlbuminUnit:
    for unit, span in _ALBUMIN.items():
        if stated == unit:
            if not _within(value, span):
                raise CalciumParseError(
                    "albumin_implausible", f"{_show(value)} {stated} is not a plausible albumin"
                )
            return unit
    if _within(value, _ALBUMIN["g/L"]):
        return "g/L"
    if _within(value, _ALBUMIN["g/dL"]):
        return "g/dL"
    raise CalciumParseError("albumin_implausible", f"{_show(value)} is not a plausible albumin")


def _round(value: Decimal) -> float:
    return float(value.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP))


def _reading(
    value: Decimal,
    unit: CalciumUnit,
    albumin: Decimal | None,
    albumin_unit: AlbuminUnit | None,
    lab_corrected: bool,
) -> CalciumReading:
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
        mmol_l=_round(value * to_mmol),
        corrected_mmol_l=None if corrected is None else _round(corrected * to_mmol),
        lab_corrected=lab_corrected,
        corrected=None if corrected is None else _round(corrected),
    )
