"""Reading a blood calcium result typed by a patient: the numbers, their units, albumin.

Pure rules: no I/O. A number without a unit is read in the one unit whose plausible span
(messages/rules/calcium.yaml) holds it; when it is plausible in both units it is asked about,
never guessed (docs/clinical-reference.md section 3, sources [20], [21]).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from reminderbot.care.calcium import (
    CALCIUM_UNITS,
    DEFAULT_RANGES,
    AlbuminUnit,
    CalciumRanges,
    CalciumReading,
    CalciumUnit,
    make_reading,
)

ParseErrorCode = Literal["no_number", "implausible", "ambiguous", "albumin_implausible", "unit"]

# Plausible albumin, per unit; a number outside both is refused rather than used to correct.
_ALBUMIN: dict[AlbuminUnit, tuple[Decimal, Decimal]] = {
    "g/L": (Decimal(15), Decimal(60)),
    "g/dL": (Decimal("1.5"), Decimal("6.0")),
}


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
    """The number is plausible in both units : the patient is asked, never guessed."""

    def __init__(self, pending: PendingCalcium) -> None:
        super().__init__("unit", f"{_show(pending.value)} could be mmol/L or mg/dL; ask")
        self.pending = pending


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
    return make_reading(value, unit, albumin_value, albumin_unit, lab_corrected)


def reading_in_unit(
    pending: PendingCalcium, unit: CalciumUnit, ranges: CalciumRanges = DEFAULT_RANGES
) -> CalciumReading:
    """Finish a result once the patient has said its unit; raises CalciumParseError."""
    _calcium_unit(pending, unit, ranges)
    if pending.albumin is not None:
        _albumin_unit(pending.albumin, pending.albumin_unit)
    return make_reading(
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
