"""messages/rules/calcium.yaml: the shipped defaults, and every broken file named with its line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reminderbot.care.calcium import BANDS, THRESHOLD_NAMES
from reminderbot.content.calcium_rules import CALCIUM_RULES_FILE, load_calcium_ranges
from reminderbot.content.programs import ContentDataError
from reminderbot.paths import messages_dir

# A valid file; line numbers asserted below refer to this text, so keep it stable.
VALID = """\
thresholds:
  low_g4_below: 1.50
  low_g3_below: 1.75
  low_g2_below: 2.00
  low_g1_below: 2.15
  high_borderline_above: 2.55
  high_g1_above: 2.60
  high_g2_above: 2.90
  high_g3_above: 3.10
  high_g4_above: 3.40
tiers:
  low_g4: 3
  low_g3: 3
  low_g2: 2
  low_g1: 1
  normal: 0
  high_borderline: 1
  high_g1: 1
  high_g2: 2
  high_g3: 3
  high_g4: 3
"""
THRESHOLDS_LINE, TIERS_LINE = 1, 11


def _line_of(name: str) -> int:
    return next(
        number
        for number, line in enumerate(VALID.splitlines(), start=1)
        if line.strip().startswith(f"{name}:")
    )


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / CALCIUM_RULES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return tmp_path


def _replace(name: str, new_line: str | None) -> str:
    """VALID with the line of `name` replaced (or removed when new_line is None)."""
    lines = VALID.splitlines(keepends=True)
    index = _line_of(name) - 1
    lines[index : index + 1] = [] if new_line is None else [new_line + "\n"]
    return "".join(lines)


def test_shipped_file_has_the_reference_defaults() -> None:
    ranges = load_calcium_ranges()
    # docs/clinical-reference.md §3: normal 2.15–2.55, "high" above 2.60, G1–G4 limits
    # 2.9 / 3.1 / 3.4; CTCAE hypocalcaemia 2.0 / 1.75 / 1.5.
    assert ranges.thresholds() == (1.50, 1.75, 2.00, 2.15, 2.55, 2.60, 2.90, 3.10, 3.40)
    # docs/clinical-reference.md §2 tiers, mapped to the grades.
    assert dict(ranges.tiers) == {
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
    }


def test_valid_file_loads_from_a_given_root(tmp_path: Path) -> None:
    edited = VALID.replace("high_borderline: 1", "high_borderline: 0")
    ranges = load_calcium_ranges(_write(tmp_path, edited))
    assert ranges.tiers["high_borderline"] == 0


def test_every_shipped_value_cites_a_source() -> None:
    text = (messages_dir() / CALCIUM_RULES_FILE).read_text(encoding="utf-8")
    for name in (*THRESHOLD_NAMES, *BANDS):
        line = next(line for line in text.splitlines() if line.strip().startswith(f"{name}:"))
        assert re.search(r"#.*\[\d+(?:[,-]\d+)*\]", line), line


BROKEN = [
    # (file text, line, words the message must contain)
    ("thresholds: [1.5\n", 2, "YAML syntax error"),
    (VALID + "tiers:\n  normal: 0\n", 22, "duplicate key 'tiers'"),
    ("", None, "empty"),
    ("- 1.5\n- 1.75\n", 1, "must be a mapping"),
    (VALID + "notes: reviewed\n", 22, "unknown field 'notes'"),
    (VALID.split("tiers:")[0], 1, "missing 'tiers'"),
    ("thresholds: 2.15\n" + VALID[VALID.index("tiers:") :], 1, "'thresholds' must be a mapping"),
    (_replace("high_g1_above", None), THRESHOLDS_LINE, "missing 'high_g1_above'"),
    (
        _replace("high_g1_above", "  high_g1_above: 2.60\n  high_g5_above: 4.0"),
        8,
        "'high_g5_above'",
    ),
    (_replace("low_g1_below", "  low_g1_below: '2.15'"), 5, "must be a number"),
    (_replace("low_g1_below", "  low_g1_below: 2,15"), 5, "must be a number"),
    (_replace("low_g1_below", "  low_g1_below: yes"), 5, "must be a number"),
    (_replace("low_g1_below", "  low_g1_below:"), 5, "must be a number"),
    (_replace("low_g1_below", "  low_g1_below: .nan"), 5, "must be a number"),
    (_replace("high_g1_above", "  high_g1_above: 10.4"), 7, "mmol/L, not mg/dL"),
    (_replace("low_g3_below", "  low_g3_below: 1.50"), 3, "greater than low_g4_below"),
    (_replace("high_g2_above", "  high_g2_above: 2.58"), 8, "greater than high_g1_above"),
    (_replace("normal", None), TIERS_LINE, "missing 'normal'"),
    (_replace("normal", "  normal: 0\n  borderline: 1"), 17, "unknown field 'borderline'"),
    (_replace("high_g4", "  high_g4: 4"), 21, "0-3"),
    (_replace("low_g1", "  low_g1: -1"), 15, "0-3"),
    (_replace("low_g1", "  low_g1: 1.5"), 15, "whole number"),
    (_replace("low_g1", "  low_g1: high"), 15, "whole number"),
    (_replace("low_g1", "  low_g1: true"), 15, "whole number"),
]


@pytest.mark.parametrize(("text", "line", "words"), BROKEN)
def test_broken_file_is_named_with_its_line(
    tmp_path: Path, text: str, line: int | None, words: str
) -> None:
    with pytest.raises(ContentDataError) as caught:
        load_calcium_ranges(_write(tmp_path, text))
    error = caught.value
    assert (error.file, error.line) == (CALCIUM_RULES_FILE, line)
    assert words in error.message
    where = "messages/rules/calcium.yaml" + ("" if line is None else f":{line}")
    assert str(error).startswith(f"{where}: ")


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ContentDataError) as caught:
        load_calcium_ranges(tmp_path)
    assert (caught.value.file, caught.value.line) == (CALCIUM_RULES_FILE, None)
    assert "cannot read" in caught.value.message


# --- Issue 11: mg/dL cut-offs, plausible spans and caveat bands are data too --------------


def test_shipped_file_grades_mg_dl_against_ctcae_mg_dl_cut_offs() -> None:
    ranges = load_calcium_ranges()
    # docs/clinical-reference.md §3: normal 8.5–10.2, high above 10.4; G1–G4 at 11.5/12.5/13.5.
    assert ranges.thresholds("mg/dL") == (6.0, 7.0, 8.0, 8.5, 10.2, 10.4, 11.5, 12.5, 13.5)
    assert dict(ranges.plausible) == {"mmol/L": (1.0, 5.0), "mg/dL": (4.0, 20.0)}
    assert ranges.caveat_bands == {"low_g1", "normal", "high_borderline", "high_g1"}


def test_every_shipped_mg_dl_value_cites_a_source() -> None:
    text = (messages_dir() / CALCIUM_RULES_FILE).read_text(encoding="utf-8")
    section = text[text.index("thresholds_mg_dl:") :]
    for name in (*THRESHOLD_NAMES, "mmol_l", "mg_dl", "caveat_bands"):
        line = next(line for line in section.splitlines() if line.strip().startswith(f"{name}:"))
        assert re.search(r"#.*\[\d+(?:[,-]\d+)*\]", line), line


MG_DL_SECTION = """\
thresholds_mg_dl:
  low_g4_below: 6.0
  low_g3_below: 7.0
  low_g2_below: 8.0
  low_g1_below: 8.5
  high_borderline_above: 10.2
  high_g1_above: 10.4
  high_g2_above: 11.5
  high_g3_above: 12.5
  high_g4_above: 13.5
plausible:
  mmol_l: [1.0, 5.0]
  mg_dl: [4.0, 20.0]
caveat_bands: [normal]
"""


def test_file_with_mg_dl_section_loads(tmp_path: Path) -> None:
    edited = VALID + MG_DL_SECTION.replace("high_g2_above: 11.5", "high_g2_above: 11.0")
    ranges = load_calcium_ranges(_write(tmp_path, edited))
    assert ranges.mg_dl["high_g2_above"] == 11.0
    assert ranges.caveat_bands == {"normal"}


MG_DL_BROKEN = [
    ("high_g1_above: 10.4", "high_g1_above: 2.60", "mg/dL, not mmol/L"),
    ("high_g3_above: 12.5", "high_g3_above: 11.0", "greater than high_g2_above"),
    ("mg_dl: [4.0, 20.0]", "mg_dl: [4.0, 40.0]", "mg_dl must go up"),
    ("mmol_l: [1.0, 5.0]", "mmol_l: 1.0", "mmol_l must be a list"),
    ("caveat_bands: [normal]", "caveat_bands: [norml]", "caveat_bands must be a list of bands"),
]


@pytest.mark.parametrize(("old", "new", "words"), MG_DL_BROKEN)
def test_broken_mg_dl_section_is_named_with_its_line(
    tmp_path: Path, old: str, new: str, words: str
) -> None:
    section = MG_DL_SECTION.replace(old, new)
    text = VALID + section
    offset = len(VALID.splitlines())
    line = offset + next(n for n, t in enumerate(section.splitlines(), start=1) if new in t)
    with pytest.raises(ContentDataError) as caught:
        load_calcium_ranges(_write(tmp_path, text))
    assert (caught.value.file, caught.value.line) == (CALCIUM_RULES_FILE, line)
    assert words in caught.value.message


def test_numbers_asked_about_are_grade_4_in_either_unit() -> None:
    # The unit question tells the patient the number is far outside the usual range either way.
    ranges = load_calcium_ranges()
    low = max(span[0] for span in ranges.plausible.values())
    high = min(span[1] for span in ranges.plausible.values())
    assert low <= high, "the shipped spans overlap: 4.0-5.0 is asked about"
    assert low > ranges.high_g4_above  # as mmol/L: high grade 4
    assert high < ranges.mg_dl["low_g4_below"]  # as mg/dL: low grade 4
