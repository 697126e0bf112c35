"""Reading a typed pain score: the accepted forms, the refused ones, and never an exception."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminderbot.care.scores import parse_score

ACCEPTED = [
    ("7", 7),
    (" 7 ", 7),
    ("7/10", 7),
    ("7 / 10", 7),
    ("7 out of 10", 7),
    ("7.", 7),
    ("pain 7", 7),
    ("pain is 7", 7),
    ("Pain: 7", 7),
    ("my pain is 7", 7),
    ("pain score 7", 7),
    ("seven", 7),
    ("Seven", 7),
    ("SEVEN/10", 7),
    ("10", 10),
    ("10/10", 10),
    ("0", 0),
    ("zero", 0),
    ("ten", 10),
    ("07", 7),
    ("７", 7),  # full-width digit from a CJK keyboard
    ("１０／１０", 10),
    ("七", 7),
    ("十", 10),
    ("两分", 2),
    ("疼痛7分", 7),
    ("疼痛是七分", 7),
    ("7分", 7),
    ("٧", 7),  # Arabic-Indic seven
]

REFUSED = [
    "11",
    "100",
    "-1",
    "7.5",
    "7,5",
    "3-4",
    "3 to 4",
    "7 7",
    "7/5",
    "",
    "   ",
    "pain",
    "7 but worse at night",
    "x" * 4000,
    # Longer than any real score: refused before the pattern runs, whose nested optional
    # spaces would take quadratic time on pasted text (20,000 spaces: about 30 s).
    "pain is" + " " * 40 + "7",
    "7" * 4000,
    "😀",
    "7️⃣",
    "eleven",
    "seventy",
    "十一",
    "疼",
]


@pytest.mark.parametrize(("text", "score"), ACCEPTED)
def test_accepted_forms(text: str, score: int) -> None:
    assert parse_score(text) == score


@pytest.mark.parametrize("text", REFUSED)
def test_refused_forms(text: str) -> None:
    assert parse_score(text) is None


def test_not_text_is_refused() -> None:
    assert parse_score(7) is None  # type: ignore[arg-type]
    assert parse_score(None) is None  # type: ignore[arg-type]


@given(st.integers(0, 10), st.sampled_from(["{}", " {} ", "{}/10", "pain is {}", "{}分"]))
def test_every_score_in_range_is_read_in_every_form(score: int, form: str) -> None:
    assert parse_score(form.format(score)) == score


@given(st.integers(11, 10**6))
def test_scores_above_ten_are_refused(number: int) -> None:
    assert parse_score(str(number)) is None
    assert parse_score(f"pain is {number}") is None


@given(st.integers(0, 10), st.integers(1, 9))
def test_decimals_are_refused(whole: int, tenth: int) -> None:
    assert parse_score(f"{whole}.{tenth}") is None


@given(st.integers(0, 10), st.integers(0, 10))
def test_ranges_are_refused(low: int, high: int) -> None:
    assert parse_score(f"{low}-{high}") is None


FRAGMENTS = ["7", "10", "/", " ", "pain", "is", "seven", "分", "七", ".", "-", "\x00", "😀", "１"]


@settings(max_examples=500)
@given(
    st.one_of(
        st.text(max_size=300),
        st.lists(st.sampled_from(FRAGMENTS), max_size=20).map("".join),
    )
)
def test_never_raises_and_returns_a_valid_score_or_none(text: str) -> None:
    result = parse_score(text)
    assert result is None or (isinstance(result, int) and 0 <= result <= 10)
