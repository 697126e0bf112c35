"""Calcium results: reading typed text, unit conversion, albumin correction, bands and tiers."""

from __future__ import annotations

import contextlib
import dataclasses
import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminderbot.care.calcium import (
    BANDS,
    DEFAULT_RANGES,
    THRESHOLD_NAMES,
    CalciumRanges,
    CalciumReading,
    assess_calcium,
)
from reminderbot.care.calcium_parsing import (
    CalciumParseError,
    CalciumUnitQuestion,
    parse_calcium,
    reading_in_unit,
)


def _mmol(value: float) -> CalciumReading:
    """A total calcium in mmol/L without albumin, as parse_calcium would return it."""
    return CalciumReading(value, "mmol/L", None, None, value, None)


# (typed, value, unit, albumin, albumin unit, total mmol/L, corrected mmol/L)
ACCEPTED = [
    ("2.45", 2.45, "mmol/L", None, None, 2.45, None),
    ("2,45", 2.45, "mmol/L", None, None, 2.45, None),
    ("9.8 mg/dL", 9.8, "mg/dL", None, None, 2.45, None),  # 9.8 × 0.2495 = 2.4451
    ("9.8mg/dl", 9.8, "mg/dL", None, None, 2.45, None),
    ("9,8 MG/DL", 9.8, "mg/dL", None, None, 2.45, None),
    ("9.8 mg", 9.8, "mg/dL", None, None, 2.45, None),
    ("2.45 mmol/l", 2.45, "mmol/L", None, None, 2.45, None),
    ("2.45mmol/L", 2.45, "mmol/L", None, None, 2.45, None),
    ("2.45 mmol", 2.45, "mmol/L", None, None, 2.45, None),
    ("Ca 2.3", 2.3, "mmol/L", None, None, 2.3, None),
    ("Ca2+ 2.3", 2.3, "mmol/L", None, None, 2.3, None),
    ("Calcium level: 2.31", 2.31, "mmol/L", None, None, 2.31, None),
    # 2.31 + 0.02 × (40 − 32) = 2.47
    ("calcium 2.31 albumin 32", 2.31, "mmol/L", 32.0, "g/L", 2.31, 2.47),
    ("Calcium 2.31 Albumin 32", 2.31, "mmol/L", 32.0, "g/L", 2.31, 2.47),
    # 9.1 + 0.8 × (4.0 − 3.2) = 9.74 mg/dL; × 0.2495 = 2.43013; total 9.1 × 0.2495 = 2.27045
    ("9.1 albumin 3.2", 9.1, "mg/dL", 3.2, "g/dL", 2.27, 2.43),
    # 2.4 + 0.02 × (40 − 38) = 2.44
    ("2.4 alb 38 g/L", 2.4, "mmol/L", 38.0, "g/L", 2.4, 2.44),
    ("Ca: 2,31 mmol/L; Alb: 38 g/L", 2.31, "mmol/L", 38.0, "g/L", 2.31, 2.35),
    ("2.4 38 g/l", 2.4, "mmol/L", 38.0, "g/L", 2.4, 2.44),  # the unit marks the albumin
    # Mixed units: albumin 3.2 g/dL = 32 g/L; 2.4 + 0.16 = 2.56.
    ("2.4 mmol/L albumin 3.2 g/dL", 2.4, "mmol/L", 3.2, "g/dL", 2.4, 2.56),
    # 30 g/L = 3.0 g/dL; 8.6 + 0.8 = 9.4 mg/dL = 2.3453 mmol/L
    ("8.6 mg/dL albumin 30 g/L", 8.6, "mg/dL", 30.0, "g/L", 2.15, 2.35),
    ("albumin normal, 2.4", 2.4, "mmol/L", None, None, 2.4, None),  # word between: not albumin
    ("My calcium today was 2.38, thanks!", 2.38, "mmol/L", None, None, 2.38, None),
    ("result: 2.38 🙂👍", 2.38, "mmol/L", None, None, 2.38, None),
    ("calcium 2.3 (ref 2.15-2.55)", 2.3, "mmol/L", None, None, 2.3, None),
    ("Ca 2.4 on 2024-05-01", 2.4, "mmol/L", None, None, 2.4, None),
    ("2.4 on 1.5.2024 at 9:30", 2.4, "mmol/L", None, None, 2.4, None),
    ("2024年5月1日 2.4", 2.4, "mmol/L", None, None, 2.4, None),
    ("2.3 (2.15 - 2.55)", 2.3, "mmol/L", None, None, 2.3, None),
    ("12/03/2025 at 09:30 calcium 2.4", 2.4, "mmol/L", None, None, 2.4, None),
    ("Ca 2.3, last time 2.5", 2.3, "mmol/L", None, None, 2.3, None),
    ("２.４５", 2.45, "mmol/L", None, None, 2.45, None),
    ("２．４５", 2.45, "mmol/L", None, None, 2.45, None),
    ("９．８ ｍｇ／ｄＬ", 9.8, "mg/dL", None, None, 2.45, None),
    ("2.45 毫摩尔/升", 2.45, "mmol/L", None, None, 2.45, None),
    ("钙 2.4", 2.4, "mmol/L", None, None, 2.4, None),
    ("钙 2.4 白蛋白 35", 2.4, "mmol/L", 35.0, "g/L", 2.4, 2.5),
    ("血钙2.4毫摩尔/升，白蛋白35克/升", 2.4, "mmol/L", 35.0, "g/L", 2.4, 2.5),
    ("我的血钙是２.４，白蛋白为３５", 2.4, "mmol/L", 35.0, "g/L", 2.4, 2.5),
    ("9.6 毫克/分升", 9.6, "mg/dL", None, None, 2.4, None),  # 9.6 × 0.2495 = 2.3952
    ("٢٫٤٥", 2.45, "mmol/L", None, None, 2.45, None),  # Arabic-Indic digits
    ("الكالسيوم 2.4", 2.4, "mmol/L", None, None, 2.4, None),  # right-to-left text
    ("1.0", 1.0, "mmol/L", None, None, 1.0, None),
    ("3.99", 3.99, "mmol/L", None, None, 3.99, None),  # below 4.0 only mmol/L is plausible
    ("5.1", 5.1, "mg/dL", None, None, 1.27, None),  # above 5.0 only mg/dL: 5.1 × 0.2495
    ("20", 20.0, "mg/dL", None, None, 4.99, None),
    ("4.8 mmol/L", 4.8, "mmol/L", None, None, 4.8, None),  # a stated unit widens the span
    ("4.2 mg/dL", 4.2, "mg/dL", None, None, 1.05, None),
    ("2.345", 2.345, "mmol/L", None, None, 2.35, None),  # half up, not float's 2.34
    # albumin above 40 lowers the result: 2.60 + 0.02 × (40 − 45) = 2.50
    ("2.60 albumin 45", 2.6, "mmol/L", 45.0, "g/L", 2.6, 2.5),
]


@pytest.mark.parametrize(
    ("typed", "value", "unit", "albumin", "albumin_unit", "mmol_l", "corrected"), ACCEPTED
)
def test_parse_accepts_what_people_type(
    typed: str,
    value: float,
    unit: str,
    albumin: float | None,
    albumin_unit: str | None,
    mmol_l: float,
    corrected: float | None,
) -> None:
    reading = parse_calcium(typed)
    assert (reading.value, reading.unit) == (value, unit)
    assert (reading.albumin, reading.albumin_unit) == (albumin, albumin_unit)
    assert reading.mmol_l == mmol_l
    assert reading.corrected_mmol_l == corrected
    assert reading.effective_mmol_l == (corrected if corrected is not None else mmol_l)
    assert not reading.lab_corrected


REJECTED = [
    ("", "no_number"),
    ("   ", "no_number"),
    ("hello", "no_number"),
    ("🙂🙂🙂", "no_number"),
    ("albumin 35", "no_number"),  # albumin alone is not a calcium result
    ("2024-05-01", "no_number"),  # a date alone
    ("0.5", "implausible"),
    ("0", "implausible"),
    ("245", "implausible"),  # decimal point forgotten
    ("25", "implausible"),
    ("9.8 mmol/L", "implausible"),  # mg/dL number with the wrong unit: not guessed
    ("2.4 mg/dL", "implausible"),
    ("98 mg/L", "implausible"),  # mg/L is not a unit the bot reads
    ("4.5", "unit"),  # 4.5 mmol/L or 4.5 mg/dL: both extreme, opposite: asked
    ("4,50", "unit"),
    ("4.6", "unit"),  # the issue's case: was read as mg/dL and raised tier 3
    ("4.4", "unit"),  # was read as mmol/L
    ("4.0", "unit"),
    ("5.0", "unit"),
    ("钙 4.6 白蛋白 30", "unit"),
    ("2.3 or 2.4", "ambiguous"),
    ("2.45 taken 3 days ago", "ambiguous"),
    ("2.4 mmol/L 9.6 mg/dL", "ambiguous"),
    ("2.4,38", "ambiguous"),
    ("2.3-2.4", "ambiguous"),
    ("ionised calcium 1.2", "ambiguous"),
    ("iCa 1.21 mmol/L", "ambiguous"),
    ("离子钙 1.2", "ambiguous"),
    ("ca 2.4 albumin 30 albumin 32", "ambiguous"),
    ("2.4 albumin 80", "albumin_implausible"),
    ("2.4 albumin 10", "albumin_implausible"),
    ("2.4 albumin 7 g/dL", "albumin_implausible"),
    ("2.4 alb 38 g/dL", "albumin_implausible"),
    ("2.4 alb 3.2 g/L", "albumin_implausible"),
]


@pytest.mark.parametrize(("typed", "code"), REJECTED)
def test_parse_rejects_with_a_code(typed: str, code: str) -> None:
    with pytest.raises(CalciumParseError) as caught:
        parse_calcium(typed)
    assert caught.value.code == code
    assert str(caught.value)  # a developer message, never empty


@pytest.mark.parametrize(
    "typed",
    [
        "x" * 4000,
        "9" * 4000,
        "2," * 2000,
        "calcium " * 500 + "2.4",
        "ca " * 1300 + "2.4",
        "🙂" * 4000,
        "שלום " * 800,
        "\ud800 2.4",
        "\x00\u202e2.4\u202c",
    ],
)
def test_parse_survives_long_and_odd_text(typed: str) -> None:
    started = time.perf_counter()
    with contextlib.suppress(CalciumParseError):
        parse_calcium(typed)
    # Generous bound: only catastrophic regex backtracking would come near it.
    assert time.perf_counter() - started < 1.0


def test_non_text_is_a_parse_error() -> None:
    with pytest.raises(CalciumParseError) as caught:
        parse_calcium(None)  # type: ignore[arg-type]
    assert caught.value.code == "no_number"


def test_value_said_to_be_corrected_is_not_corrected_again() -> None:
    reading = parse_calcium("corrected calcium 2.45 albumin 30")
    assert reading.lab_corrected
    assert reading.albumin == 30.0
    assert reading.corrected_mmol_l == 2.45  # not 2.45 + 0.2
    assert reading.effective_mmol_l == 2.45
    assert parse_calcium("adjusted Ca 10.4 mg/dL").corrected_mmol_l == 2.59  # 10.4 × 0.2495


# --- Conversion and correction, computed by hand ------------------------------------------


@pytest.mark.parametrize(
    ("typed", "corrected"),
    [
        ("2.20 albumin 30", 2.40),  # 2.20 + 0.02 × 10
        ("8.6 mg/dL albumin 3.0", 2.35),  # 8.6 + 0.8 × 1.0 = 9.4 mg/dL; × 0.2495 = 2.3453
        ("2.20 mmol/L albumin 3.0 g/dL", 2.40),  # albumin unit converted to g/L first
        ("8.6 mg/dL albumin 30", 2.35),  # albumin unit from its range, converted to g/dL
        ("2.50 albumin 40", 2.50),  # at the reference albumin nothing changes
        ("10.0 mg/dL albumin 4.0", 2.50),  # 2.495 rounds half up
        ("1.20 albumin 15", 1.70),  # 1.20 + 0.02 × 25
    ],
)
def test_correction_matches_hand_calculation(typed: str, corrected: float) -> None:
    assert parse_calcium(typed).corrected_mmol_l == corrected


def test_conversion_factor() -> None:
    assert parse_calcium("10.0 mg/dL").mmol_l == 2.50  # 2.495 half up
    assert parse_calcium("11.5 mg/dL").mmol_l == 2.87  # 2.86925
    assert parse_calcium("13.5 mg/dL").mmol_l == 3.37  # 3.36825


# --- Bands and tiers at and around every boundary -----------------------------------------

BOUNDARIES = [
    (1.00, "low_g4", 3),
    (1.49, "low_g4", 3),
    (1.50, "low_g3", 3),
    (1.74, "low_g3", 3),
    (1.75, "low_g2", 2),
    (1.99, "low_g2", 2),
    (2.00, "low_g1", 1),
    (2.14, "low_g1", 1),
    (2.15, "normal", 0),
    (2.40, "normal", 0),
    (2.55, "normal", 0),
    (2.56, "high_borderline", 1),
    (2.60, "high_borderline", 1),
    (2.61, "high_g1", 1),
    (2.90, "high_g1", 1),
    (2.91, "high_g2", 2),
    (3.10, "high_g2", 2),
    (3.11, "high_g3", 3),
    (3.40, "high_g3", 3),
    (3.41, "high_g4", 3),
    (5.00, "high_g4", 3),
]


@pytest.mark.parametrize(("mmol_l", "band", "tier"), BOUNDARIES)
def test_band_and_tier_at_boundaries(mmol_l: float, band: str, tier: int) -> None:
    assessment = assess_calcium(_mmol(mmol_l), DEFAULT_RANGES)
    assert (assessment.band, assessment.tier) == (band, tier)
    assert assessment.advice_key == f"calcium.result.{band}"
    assert assessment.abnormal == (band != "normal")


@pytest.mark.parametrize(("mmol_l", "band", "tier"), BOUNDARIES)
def test_boundaries_hold_for_typed_values(mmol_l: float, band: str, tier: int) -> None:
    # Through the parser the values are Decimal-derived floats: equality at a threshold holds.
    assessment = assess_calcium(parse_calcium(f"{mmol_l:.2f} mmol/L"), DEFAULT_RANGES)
    assert (assessment.band, assessment.tier) == (band, tier)


def test_corrected_value_is_assessed_not_total() -> None:
    low_total = parse_calcium("2.05 albumin 25")  # total low G1, corrected 2.35 normal
    assert assess_calcium(low_total, DEFAULT_RANGES).band == "normal"
    hidden_high = parse_calcium("2.50 albumin 20")  # total normal, corrected 2.90 high G1
    assert assess_calcium(hidden_high, DEFAULT_RANGES).band == "high_g1"


def test_ranges_passed_in_are_used() -> None:
    stricter = dataclasses.replace(
        DEFAULT_RANGES,
        high_borderline_above=2.50,
        tiers={**DEFAULT_RANGES.tiers, "high_borderline": 0},
    )
    assessment = assess_calcium(_mmol(2.52), stricter)
    assert (assessment.band, assessment.tier) == ("high_borderline", 0)
    assert assess_calcium(_mmol(2.52), DEFAULT_RANGES).band == "normal"


@pytest.mark.parametrize(
    "change",
    [
        {"low_g3_below": 1.50},  # equal to the one before
        {"high_g2_above": 2.50},  # below the one before
        {"low_g4_below": 0.5},  # outside the span the parser reads
        {"tiers": {**DEFAULT_RANGES.tiers, "normal": 4}},
        {"tiers": {**DEFAULT_RANGES.tiers, "normal": True}},
        {"tiers": {band: 0 for band in BANDS[1:]}},
    ],
)
def test_ranges_refuse_nonsense(change: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        dataclasses.replace(DEFAULT_RANGES, **change)


def test_ranges_cannot_be_changed_after_creation() -> None:
    with pytest.raises(TypeError):
        DEFAULT_RANGES.tiers["normal"] = 3  # type: ignore[index]


# --- Properties ---------------------------------------------------------------------------

FRAGMENTS = [
    "2.4", "9,8", "4.5", "38", "3.2", "245", "0", " ", ",", ".", "-", "/", ":", "(", "+",
    "mg/dl", "mmol/l", "mg", "g/l", "g/dl", "%", "ca", "calcium", "albumin", "alb", "corrected",
    "ionised", "钙", "白蛋白", "毫摩尔/升", "克/升", "２", "．", "٢", "٫", "🙂", "ا", "\u202e",
    "2024-05-01", "12:30", "to", "is",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(st.sampled_from(FRAGMENTS)).map("".join)))
def test_parse_raises_only_parse_errors(typed: str) -> None:
    code: str | None = None
    try:
        reading = parse_calcium(typed)
    except CalciumParseError as exc:
        code = exc.code
    if code is not None:
        assert code in {"no_number", "implausible", "ambiguous", "albumin_implausible", "unit"}
        return
    assert 1.0 <= reading.mmol_l <= 5.0
    assert (reading.albumin is None) == (reading.albumin_unit is None)
    assert reading.lab_corrected or (reading.albumin is None) == (reading.corrected_mmol_l is None)
    assert assess_calcium(reading, DEFAULT_RANGES).band in BANDS


@st.composite
def _ranges(draw: st.DrawFn) -> CalciumRanges:
    hundredths = draw(
        st.lists(st.integers(100, 500), min_size=9, max_size=9, unique=True).map(sorted)
    )
    tiers = draw(st.lists(st.integers(0, 3), min_size=10, max_size=10))
    return CalciumRanges(
        **{name: h / 100 for name, h in zip(THRESHOLD_NAMES, hundredths, strict=True)},
        tiers=dict(zip(BANDS, tiers, strict=True)),
    )


@given(
    st.one_of(st.just(DEFAULT_RANGES), _ranges()),
    st.floats(0.5, 5.5, allow_nan=False),
    st.floats(0.5, 5.5, allow_nan=False),
)
def test_higher_calcium_never_gives_a_lower_band(
    ranges: CalciumRanges, first: float, second: float
) -> None:
    lower, higher = sorted((first, second))
    low_band = assess_calcium(_mmol(lower), ranges).band
    high_band = assess_calcium(_mmol(higher), ranges).band
    assert BANDS.index(high_band) >= BANDS.index(low_band)


@given(st.integers(150, 300), st.integers(15, 60), st.integers(15, 60))
def test_lower_albumin_never_gives_a_lower_band(total: int, albumin: int, other: int) -> None:
    # Less albumin means a higher corrected calcium, so never a less severe high-side band.
    less, more = sorted((albumin, other))
    with_less = parse_calcium(f"calcium {total / 100:.2f} albumin {less}")
    with_more = parse_calcium(f"calcium {total / 100:.2f} albumin {more}")
    assert with_less.effective_mmol_l >= with_more.effective_mmol_l
    band_less = assess_calcium(with_less, DEFAULT_RANGES).band
    band_more = assess_calcium(with_more, DEFAULT_RANGES).band
    assert BANDS.index(band_less) >= BANDS.index(band_more)


@given(st.integers(113, 449))
def test_same_amount_in_either_unit_is_at_most_one_band_apart(hundredths: int) -> None:
    # Each unit is graded against its own cut-offs [22], which are not exact conversions of
    # each other (11.5 mg/dL = 2.87 mmol/L, not 2.9): near a cut-off the bands may differ by
    # one step, never more.
    mmol_l = Decimal(hundredths) / 100
    mg_dl = (mmol_l / Decimal("0.2495")).quantize(Decimal("0.000001"))
    as_mmol, as_mg = parse_calcium(f"{mmol_l} mmol/L"), parse_calcium(f"{mg_dl} mg/dL")
    assert (as_mmol.unit, as_mg.unit) == ("mmol/L", "mg/dL")
    assert as_mmol.mmol_l == as_mg.mmol_l == float(mmol_l)
    mmol_band = assess_calcium(as_mmol, DEFAULT_RANGES).band
    mg_band = assess_calcium(as_mg, DEFAULT_RANGES).band
    assert abs(BANDS.index(mmol_band) - BANDS.index(mg_band)) <= 1


# --- Issue 11: graded in the unit given, albumin caveat, explicit lab-corrected phrases -------

# (typed, unit, graded value in that unit, band, tier, albumin caveat, lab-corrected)
ISSUE_11_CASES = [
    # Without albumin: a normal-looking total gets the caveat, never a plain "normal".
    ("2.50", "mmol/L", 2.50, "normal", 0, True, False),
    ("10.0 mg/dL", "mg/dL", 10.0, "normal", 0, True, False),
    ("2.58 mmol/L", "mmol/L", 2.58, "high_borderline", 1, True, False),
    ("10.3 mg/dL", "mg/dL", 10.3, "high_borderline", 1, True, False),
    ("2.10", "mmol/L", 2.10, "low_g1", 1, True, False),
    ("8.4 mg/dL", "mg/dL", 8.4, "low_g1", 1, True, False),
    ("2.70", "mmol/L", 2.70, "high_g1", 1, True, False),
    ("10.8 mg/dL", "mg/dL", 10.8, "high_g1", 1, True, False),
    # With albumin: 2.50 + 0.02 × (40 − 25) = 2.80, high grade 1 (the issue's case).
    ("2.50 albumin 25", "mmol/L", 2.80, "high_g1", 1, False, False),
    # 10.0 + 0.8 × (4.0 − 2.5) = 11.2 mg/dL: high grade 1 in mg/dL too.
    ("10.0 mg/dL albumin 2.5 g/dL", "mg/dL", 11.2, "high_g1", 1, False, False),
    # "correct" in a question is not a lab-corrected value: 2.3 + 0.3 = 2.60, not normal.
    ("Is this correct? calcium 2.3 albumin 25", "mmol/L", 2.60, "high_borderline", 1, False, False),
    ("Correct me if wrong: Ca 2.4 albumin 20", "mmol/L", 2.80, "high_g1", 1, False, False),
    ("9.6 mg/dL albumin 2.5, correct?", "mg/dL", 10.8, "high_g1", 1, False, False),
    ("Is my calcium correct? 2.3 albumin 25", "mmol/L", 2.60, "high_borderline", 1, False, False),
    # Explicit phrases only mark a lab-corrected value.
    ("corrected calcium 2.45", "mmol/L", 2.45, "normal", 0, False, True),
    ("adjusted Ca 2.4", "mmol/L", 2.40, "normal", 0, False, True),
    ("Adj Ca: 2.65 mmol/L", "mmol/L", 2.65, "high_g1", 1, False, True),
    ("Ca (corrected) 2.95", "mmol/L", 2.95, "high_g2", 2, False, True),
    ("albumin-corrected calcium 11.8 mg/dL", "mg/dL", 11.8, "high_g2", 2, False, True),
    ("校正钙 2.4", "mmol/L", 2.40, "normal", 0, False, True),
    ("校正后血钙 3.2", "mmol/L", 3.20, "high_g3", 3, False, True),
    # Graded in the unit given: 11.6 mg/dL is grade 2 (CTCAE), though 11.6 × 0.2495 = 2.89.
    ("11.6 mg/dL", "mg/dL", 11.6, "high_g2", 2, False, False),
    ("11.6", "mg/dL", 11.6, "high_g2", 2, False, False),
    ("11.5 mg/dL", "mg/dL", 11.5, "high_g1", 1, True, False),
    ("2.90 mmol/L", "mmol/L", 2.90, "high_g1", 1, True, False),
    ("2.95 mmol/L", "mmol/L", 2.95, "high_g2", 2, False, False),
    ("12.6 mg/dL", "mg/dL", 12.6, "high_g3", 3, False, False),
    ("3.2 mmol/L", "mmol/L", 3.20, "high_g3", 3, False, False),
    ("13.6 mg/dL", "mg/dL", 13.6, "high_g4", 3, False, False),
    ("3.5 mmol/L", "mmol/L", 3.50, "high_g4", 3, False, False),
    ("7.9 mg/dL", "mg/dL", 7.9, "low_g2", 2, False, False),
    ("6.9 mg/dL", "mg/dL", 6.9, "low_g3", 3, False, False),
    ("1.70 mmol/L", "mmol/L", 1.70, "low_g3", 3, False, False),
    ("5.9 mg/dL", "mg/dL", 5.9, "low_g4", 3, False, False),
    ("1.40 mmol/L", "mmol/L", 1.40, "low_g4", 3, False, False),
    # Albumin turning a high total into grade 4 in mg/dL: 13.0 + 0.8 × 1.5 = 14.2.
    ("13.0 mg/dL albumin 25", "mg/dL", 14.2, "high_g4", 3, False, False),
    # A grade-3 total that albumin lowers to grade 2: 3.15 + 0.02 × (40 − 45) = 3.05.
    ("3.15 albumin 45", "mmol/L", 3.05, "high_g2", 2, False, False),
]


@pytest.mark.parametrize(
    ("typed", "unit", "graded", "band", "tier", "caveat", "lab_corrected"), ISSUE_11_CASES
)
def test_issue_11_cases(
    typed: str,
    unit: str,
    graded: float,
    band: str,
    tier: int,
    caveat: bool,
    lab_corrected: bool,
) -> None:
    reading = parse_calcium(typed)
    assessment = assess_calcium(reading, DEFAULT_RANGES)
    assert (reading.unit, reading.graded_value) == (unit, graded)
    assert (assessment.band, assessment.tier) == (band, tier)
    assert assessment.albumin_unknown is caveat
    assert reading.lab_corrected is lab_corrected


MG_DL_BOUNDARIES = [
    (5.99, "low_g4"),
    (6.0, "low_g3"),
    (6.99, "low_g3"),
    (7.0, "low_g2"),
    (7.99, "low_g2"),
    (8.0, "low_g1"),
    (8.49, "low_g1"),
    (8.5, "normal"),
    (10.2, "normal"),
    (10.21, "high_borderline"),
    (10.4, "high_borderline"),
    (10.41, "high_g1"),
    (11.5, "high_g1"),
    (11.51, "high_g2"),
    (12.5, "high_g2"),
    (12.51, "high_g3"),
    (13.5, "high_g3"),
    (13.51, "high_g4"),
]


@pytest.mark.parametrize(("mg_dl", "band"), MG_DL_BOUNDARIES)
def test_mg_dl_results_are_graded_against_mg_dl_cut_offs(mg_dl: float, band: str) -> None:
    assert assess_calcium(parse_calcium(f"{mg_dl} mg/dL"), DEFAULT_RANGES).band == band


# A unit-less number: read in the one unit whose plausible span holds it, asked about when it
# is plausible in both (4.0–5.0), refused when in neither.
UNITLESS = [
    ("0.99", "implausible"),
    ("1.0", "mmol/L"),
    ("3.99", "mmol/L"),
    ("4.0", "unit"),
    ("4.6", "unit"),
    ("5.0", "unit"),
    ("5.01", "mg/dL"),
    ("20", "mg/dL"),
    ("20.1", "implausible"),
]


@pytest.mark.parametrize(("typed", "outcome"), UNITLESS)
def test_a_unitless_number_is_read_asked_or_refused(typed: str, outcome: str) -> None:
    try:
        got = parse_calcium(typed).unit
    except CalciumParseError as exc:
        got = exc.code
    assert got == outcome


def test_the_unit_question_carries_the_numbers_and_is_finished_by_the_answer() -> None:
    with pytest.raises(CalciumUnitQuestion) as asked:
        parse_calcium("钙 4.6 白蛋白 30")
    pending = asked.value.pending
    assert (pending.value, pending.albumin, pending.albumin_unit) == (
        Decimal("4.6"),
        Decimal(30),
        "g/L",
    )
    # 4.6 mmol/L + 0.2 = 4.80: high G4. 4.6 mg/dL + 0.8 × 1.0 = 5.4 mg/dL: low G4.
    as_mmol = reading_in_unit(pending, "mmol/L")
    as_mg = reading_in_unit(pending, "mg/dL")
    assert (as_mmol.graded_value, assess_calcium(as_mmol, DEFAULT_RANGES).band) == (
        4.8,
        "high_g4",
    )
    assert (as_mg.graded_value, assess_calcium(as_mg, DEFAULT_RANGES).band) == (5.4, "low_g4")


def test_the_unitless_spans_come_from_the_ranges() -> None:
    narrow = dataclasses.replace(
        DEFAULT_RANGES, plausible={"mmol/L": (1.0, 4.5), "mg/dL": (4.6, 20.0)}
    )
    assert parse_calcium("4.6", narrow).unit == "mg/dL"
    assert parse_calcium("4.4", narrow).unit == "mmol/L"
    with pytest.raises(CalciumParseError) as caught:
        parse_calcium("4.55", narrow)  # in neither span
    assert caught.value.code == "implausible"


def test_mg_dl_cut_offs_come_from_the_ranges() -> None:
    stricter = dataclasses.replace(
        DEFAULT_RANGES, mg_dl={**DEFAULT_RANGES.mg_dl, "high_g2_above": 11.0}
    )
    assert assess_calcium(parse_calcium("11.2 mg/dL"), stricter).band == "high_g2"
    assert assess_calcium(parse_calcium("11.2 mg/dL"), DEFAULT_RANGES).band == "high_g1"
