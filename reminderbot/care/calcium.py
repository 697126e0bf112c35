"""Blood calcium results: reading what patients type, albumin correction and the result bands.

Pure rules: no I/O. The thresholds come in as a CalciumRanges (loaded from
messages/rules/calcium.yaml by reminderbot.content.calcium_rules).

Arithmetic is done in Decimal on the digits the patient typed, so results match a hand
calculation exactly; every mmol/L figure is then rounded once, half up, to 0.01 mmol/L (the
precision labs report) and assessed at that precision. A corrected value is computed in the
patient's own unit and converted afterwards, so it is rounded only once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise
from types import MappingProxyType
from typing import Literal

CalciumUnit = Literal["mmol/L", "mg/dL"]
AlbuminUnit = Literal["g/L", "g/dL"]
ParseErrorCode = Literal["no_number", "implausible", "ambiguous", "albumin_implausible"]

MG_DL_TO_MMOL_L = Decimal("0.2495")  # docs/clinical-reference.md §3 [20]

# Albumin correction [21]: mmol/L + 0.02 × (40 − albumin g/L); mg/dL + 0.8 × (4.0 − g/dL).
_REFERENCE_ALBUMIN_G_L = Decimal(40)
_PER_G_L = Decimal("0.02")
_REFERENCE_ALBUMIN_G_DL = Decimal("4.0")
_PER_G_DL = Decimal("0.8")

# Without a unit the number decides: the two plausible spans meet at 4.5, where the readings
# are extreme and opposite (4.5 mmol/L very high, 4.5 mg/dL = 1.12 mmol/L very low): ask again.
_UNIT_SWITCH = Decimal("4.5")
_GUESS_MMOL_L = (Decimal("1.0"), _UNIT_SWITCH)
_GUESS_MG_DL = (_UNIT_SWITCH, Decimal(20))
# With a stated unit a little more is accepted: both spans cover 1.0–5.0 mmol/L, the widest
# range seen in living patients.
_STATED: dict[CalciumUnit, tuple[Decimal, Decimal]] = {
    "mmol/L": (Decimal("1.0"), Decimal("5.0")),
    "mg/dL": (Decimal("4.0"), Decimal(20)),
}
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
# Thresholds must lie in the span the parser accepts, which also catches mg/dL typed by mistake.
THRESHOLD_SPAN = (1.0, 5.0)
MAX_TIER = 3


class CalciumParseError(ValueError):
    """A typed calcium result could not be read; `code` picks the message shown to the patient."""

    def __init__(self, code: ParseErrorCode, message: str) -> None:
        super().__init__(message)
        self.code: ParseErrorCode = code


@dataclass(frozen=True)
class CalciumReading:
    """A calcium result as the patient gave it, normalised to mmol/L and corrected when possible.

    `lab_corrected` is set when the patient said the number is already corrected ("corrected
    calcium 2.45"): it is then not corrected again, and `mmol_l` and `corrected_mmol_l` both
    hold that number, because the total was not given.
    """

    value: float
    unit: CalciumUnit
    albumin: float | None
    albumin_unit: AlbuminUnit | None
    mmol_l: float
    corrected_mmol_l: float | None
    lab_corrected: bool = False

    @property
    def effective_mmol_l(self) -> float:
        """Return the value to assess: corrected calcium when known, else total calcium."""
        return self.corrected_mmol_l if self.corrected_mmol_l is not None else self.mmol_l


@dataclass(frozen=True)
class CalciumRanges:
    """Band thresholds in mmol/L and the escalation tier (0–3) of each band.

    `<band>_below: x` puts results strictly below x in that band (or a lower one);
    `<band>_above: x` puts results strictly above x in that band (or a higher one); so the
    normal range includes both of its limits, as lab reports print it.
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

    def __post_init__(self) -> None:
        # The loader reports problems with file and line; this guards ranges built in code.
        values = self.thresholds()
        for name, value in zip(THRESHOLD_NAMES, values, strict=True):
            if not THRESHOLD_SPAN[0] <= value <= THRESHOLD_SPAN[1]:
                raise ValueError(f"{name} = {value} is outside {THRESHOLD_SPAN} mmol/L")
        named = tuple(zip(THRESHOLD_NAMES, values, strict=True))
        for (lower_name, lower), (name, value) in pairwise(named):
            if not value > lower:
                raise ValueError(f"{name} ({value}) must be greater than {lower_name} ({lower})")
        if set(self.tiers) != set(BANDS):
            raise ValueError(f"tiers must name exactly the bands {', '.join(BANDS)}")
        for band, tier in self.tiers.items():
            if isinstance(tier, bool) or not isinstance(tier, int) or not 0 <= tier <= MAX_TIER:
                raise ValueError(f"tier of {band} must be a whole number 0–{MAX_TIER}")
        object.__setattr__(self, "tiers", MappingProxyType(dict(self.tiers)))

    def thresholds(self) -> tuple[float, ...]:
        """Return the thresholds in THRESHOLD_NAMES order (strictly increasing)."""
        return tuple(float(getattr(self, name)) for name in THRESHOLD_NAMES)


@dataclass(frozen=True)
class CalciumAssessment:
    """Where a result falls: band, escalation tier, message key, and whether it is abnormal."""

    band: str
    tier: int
    advice_key: str
    abnormal: bool


# The defaults of docs/clinical-reference.md §2 and §3; messages/rules/calcium.yaml ships the
# same numbers.
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
    """Place a reading's effective (corrected when known) calcium in its band and tier."""
    value = reading.effective_mmol_l
    band = "normal"
    # Low bands are checked from the lowest up, high bands from the highest down, so the
    # first threshold crossed is the most extreme band reached.
    for low_band, name in zip(BANDS[:4], THRESHOLD_NAMES[:4], strict=True):
        if value < getattr(ranges, name):
            band = low_band
            break
    if band == "normal":
        for high_band, name in zip(BANDS[:4:-1], THRESHOLD_NAMES[:3:-1], strict=True):
            if value > getattr(ranges, name):
                band = high_band
                break
    return CalciumAssessment(
        band=band,
        tier=ranges.tiers[band],
        advice_key=f"calcium.result.{band}",
        abnormal=band != "normal",
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
_LAB_CORRECTED = re.compile(r"correct|adjust|(?<![a-z])(?:adj|corr)(?![a-z])|校正|矫正|纠正")
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


def parse_calcium(text: str) -> CalciumReading:
    """Read a typed calcium result (with optional albumin); raises CalciumParseError."""
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
    unit = _calcium_unit(value, calcium.unit)
    albumin_value: Decimal | None = None
    albumin_unit: AlbuminUnit | None = None
    if albumins:
        albumin_value = _decimal(albumins[0])
        albumin_unit = _albumin_unit(albumin_value, albumins[0].unit)
    lab_corrected = _LAB_CORRECTED.search(normal) is not None
    return _reading(value, unit, albumin_value, albumin_unit, lab_corrected)


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


def _calcium_unit(value: Decimal, stated: str | None) -> CalciumUnit:
    # Looping over the known units (rather than `stated in _STATED`) gives the unit its type.
    for unit, span in _STATED.items():
        if stated == unit:
            if not _within(value, span):
                raise CalciumParseError(
                    "implausible", f"{_show(value)} {stated} is not a plausible calcium"
                )
            return unit
    if value == _UNIT_SWITCH:
        raise CalciumParseError("ambiguous", "4.5 could be mmol/L or mg/dL; the unit is needed")
    if _within(value, _GUESS_MMOL_L):
        return "mmol/L"
    if _within(value, _GUESS_MG_DL):
        return "mg/dL"
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
    total = value if unit == "mmol/L" else value * MG_DL_TO_MMOL_L
    corrected: Decimal | None = None
    if lab_corrected:
        corrected = total
    elif albumin is not None:
        if unit == "mmol/L":
            grams_per_litre = albumin if albumin_unit == "g/L" else albumin * 10
            corrected = value + _PER_G_L * (_REFERENCE_ALBUMIN_G_L - grams_per_litre)
        else:
            grams_per_decilitre = albumin if albumin_unit == "g/dL" else albumin / 10
            corrected_mg = value + _PER_G_DL * (_REFERENCE_ALBUMIN_G_DL - grams_per_decilitre)
            corrected = corrected_mg * MG_DL_TO_MMOL_L
    return CalciumReading(
        value=float(value),
        unit=unit,
        albumin=None if albumin is None else float(albumin),
        albumin_unit=albumin_unit,
        mmol_l=_round(total),
        corrected_mmol_l=None if corrected is None else _round(corrected),
        lab_corrected=lab_corrected,
    )
