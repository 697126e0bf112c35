"""messages/rules/escalation.yaml and the check-in texts: defaults, broken files, wording."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from reminderbot.care.escalation import DEFAULT_RULES, EMERGENCY_TIER
from reminderbot.content.escalation_rules import (
    ESCALATION_RULES_FILE,
    PASSED_PLACEHOLDERS,
    load_escalation_rules,
)
from reminderbot.content.programs import ContentDataError
from reminderbot.paths import messages_dir

# A valid file; line numbers asserted below refer to this text, so keep it stable.
VALID = """\
thresholds:
  moderate_score: 4
  severe_score: 7
  worsening_min_rise: 2
  worsening_min_ratio: 0.30
  history_days: 7
  screen_min_score: 4
timing:
  followup_hours: 4
  alert_repeat_minutes: 15
  nudge_after_hours: 2
  missed_in_a_row: 2
red_flags:
  - id: mscc
    tier: 3
    requires_tags: []
  - id: fall
    tier: 1
    requires_tags: [on_opioids]
"""
THRESHOLDS_LINE, TIMING_LINE, RED_FLAGS_LINE, MSCC_LINE, FALL_LINE = 1, 8, 13, 14, 17
KEYS = """\
checkin.red_flag.mscc: []
advice.red_flag.mscc: [care_team_contact, emergency_number]
checkin.red_flag.fall: []
advice.red_flag.fall: [care_team_contact]
"""


def _line_of(name: str, text: str = VALID) -> int:
    return next(
        number
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip().startswith(f"{name}:")
    )


def _replace(name: str, new_line: str | None) -> str:
    """VALID with the first line of `name` replaced (or removed when new_line is None)."""
    lines = VALID.splitlines(keepends=True)
    index = _line_of(name) - 1
    lines[index : index + 1] = [] if new_line is None else [new_line + "\n"]
    return "".join(lines)


def _write(tmp_path: Path, text: str, keys: str = KEYS) -> Path:
    path = tmp_path / ESCALATION_RULES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    (tmp_path / "keys.yaml").write_text(keys, encoding="utf-8")
    return tmp_path


def test_shipped_file_matches_the_defaults_in_code() -> None:
    assert load_escalation_rules() == DEFAULT_RULES


def test_shipped_thresholds_are_the_reference_defaults() -> None:
    rules = load_escalation_rules()
    # docs/clinical-reference.md §1: bands 1–3 / 4–6 / 7–10; worsening >= 2 points and
    # >= 30 % over the median of the last 7 days.
    assert (rules.moderate_score, rules.severe_score) == (4, 7)
    assert (rules.worsening_min_rise, rules.worsening_min_ratio, rules.history_days) == (
        2,
        0.30,
        7,
    )


def test_valid_file_loads_from_a_given_root(tmp_path: Path) -> None:
    rules = load_escalation_rules(_write(tmp_path, VALID.replace("tier: 1", "tier: 2")))
    assert [(flag.id, flag.tier) for flag in rules.red_flags] == [("mscc", 3), ("fall", 2)]
    assert rules.red_flags[1].requires_tags == frozenset({"on_opioids"})
    assert rules.red_flags[1].question_key == "checkin.red_flag.fall"
    assert rules.red_flags[1].advice_key == "advice.red_flag.fall"
    assert rules.worsening_min_ratio == 0.30
    assert rules.followup_hours == 4


def test_empty_requires_tags_means_everyone(tmp_path: Path) -> None:
    rules = load_escalation_rules(_write(tmp_path, _replace("requires_tags", "    requires_tags:")))
    assert rules.red_flags[0].requires_tags == frozenset()


def test_every_shipped_value_cites_a_source_or_says_why_not() -> None:
    text = (messages_dir() / ESCALATION_RULES_FILE).read_text(encoding="utf-8")
    values = re.compile(r"^\s+(?:[a-z_]+: [0-9.]+|- id: [a-z_]+)\s")
    lines = [line for line in text.splitlines() if values.match(line)]
    # 12 numbers: issue 11 added worsening_urgent_from_score and stable_moderate_quiet_days.
    assert len(lines) == 12 + len(DEFAULT_RULES.red_flags)
    for line in lines:
        assert re.search(r"#.*(\[\d+(?:[,-]\d+)*\]|service setting|section 2)", line), line


BROKEN: list[tuple[str, int | None, str]] = [
    # (file text, line, words the message must contain)
    ("thresholds: [4\n", 2, "YAML syntax error"),
    (VALID + "timing:\n  followup_hours: 4\n", 20, "duplicate key 'timing'"),
    ("", None, "empty"),
    ("- 4\n", 1, "must be a mapping"),
    (VALID + "notes: reviewed\n", 20, "unknown field 'notes'"),
    (VALID.split("red_flags:")[0], 1, "missing 'red_flags'"),
    (_replace("severe_score", None), THRESHOLDS_LINE, "missing 'severe_score'"),
    (_replace("severe_score", "  severe_score: 7\n  critical_score: 9"), 4, "'critical_score'"),
    (_replace("followup_hours", None), TIMING_LINE, "missing 'followup_hours'"),
    (_replace("moderate_score", "  moderate_score: 4.5"), 2, "whole number"),
    (_replace("moderate_score", "  moderate_score: '4'"), 2, "whole number"),
    (_replace("moderate_score", "  moderate_score: yes"), 2, "whole number"),
    (_replace("moderate_score", "  moderate_score:"), 2, "whole number"),
    (_replace("moderate_score", "  moderate_score: 11"), 2, "out of range"),
    (_replace("severe_score", "  severe_score: 4"), 3, "greater than moderate_score"),
    (_replace("worsening_min_rise", "  worsening_min_rise: 0"), 4, "out of range"),
    (_replace("worsening_min_rise", "  worsening_min_rise: two"), 4, "must be a number"),
    (_replace("worsening_min_ratio", "  worsening_min_ratio: 30"), 5, "write 0.30 for 30 %"),
    (_replace("worsening_min_ratio", "  worsening_min_ratio: .nan"), 5, "must be a number"),
    (_replace("history_days", "  history_days: 1.5"), 6, "whole number"),
    (_replace("screen_min_score", "  screen_min_score: -1"), 7, "out of range"),
    (_replace("followup_hours", "  followup_hours: 0"), 9, "out of range"),
    (_replace("alert_repeat_minutes", "  alert_repeat_minutes: -5"), 10, "out of range"),
    (_replace("nudge_after_hours", "  nudge_after_hours: soon"), 11, "must be a number"),
    (_replace("missed_in_a_row", "  missed_in_a_row: 0"), 12, "out of range"),
    (VALID.split("red_flags:")[0] + "red_flags: []\n", RED_FLAGS_LINE, "must be a list"),
    (VALID.split("red_flags:")[0] + "red_flags: mscc\n", RED_FLAGS_LINE, "must be a list"),
    (_replace("tier", None), MSCC_LINE, "missing 'tier'"),
    (_replace("tier", "    tier: 3\n    notes: x"), 16, "unknown field 'notes'"),
    (_replace("tier", "    tier: 4"), 15, "unknown tier 4"),
    (_replace("tier", "    tier: 0"), 15, "unknown tier 0"),
    (_replace("tier", "    tier: emergency"), 15, "unknown tier 'emergency'"),
    (_replace("tier", "    tier: true"), 15, "unknown tier True"),
    (_replace("tier", "    tier: 3.0"), 15, "unknown tier 3.0"),
    (VALID.replace("id: fall", "id: mscc"), FALL_LINE, "duplicate red flag id 'mscc'"),
    (VALID.replace("id: fall", "id: Fall"), FALL_LINE, "red flag id must be a name"),
    (VALID.replace("[on_opioids]", "on_opioids"), 19, "must be a list"),
    (VALID.replace("[on_opioids]", "[On Opioids]"), 19, "not a name"),
    (VALID.replace("[on_opioids]", "[on_opioids, on_opioids]"), 19, "listed twice"),
]


@pytest.mark.parametrize(("text", "line", "words"), BROKEN)
def test_broken_file_is_named_with_its_line(
    tmp_path: Path, text: str, line: int | None, words: str
) -> None:
    with pytest.raises(ContentDataError) as caught:
        load_escalation_rules(_write(tmp_path, text))
    error = caught.value
    assert (error.file, error.line) == (ESCALATION_RULES_FILE, line)
    assert words in error.message
    where = "messages/rules/escalation.yaml" + ("" if line is None else f":{line}")
    assert str(error).startswith(f"{where}: ")


def test_duplicate_id_names_the_first_line(tmp_path: Path) -> None:
    with pytest.raises(ContentDataError) as caught:
        load_escalation_rules(_write(tmp_path, VALID.replace("id: fall", "id: mscc")))
    assert f"first on line {MSCC_LINE}" in caught.value.message


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        (KEYS.replace("checkin.red_flag.fall: []\n", ""), "'checkin.red_flag.fall'"),
        (KEYS.replace("advice.red_flag.fall: [care_team_contact]\n", ""), "advice.red_flag.fall"),
        (KEYS.replace("[care_team_contact]", "[care_team_contact, name]"), "placeholder(s) name"),
        (KEYS.replace("checkin.red_flag.fall: []", "checkin.red_flag.fall: [day]"), "(s) day"),
    ],
)
def test_red_flag_texts_must_be_declared_and_renderable(
    tmp_path: Path, keys: str, words: str
) -> None:
    with pytest.raises(ContentDataError) as caught:
        load_escalation_rules(_write(tmp_path, VALID, keys=keys))
    error = caught.value
    assert (error.file, error.line) == (ESCALATION_RULES_FILE, FALL_LINE)
    assert words in error.message
    assert "keys.yaml" in error.message


def test_broken_keys_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ContentDataError) as caught:
        load_escalation_rules(_write(tmp_path, VALID, keys="a.b: [x\n"))
    assert caught.value.file == "keys.yaml"
    assert caught.value.line == 2


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ContentDataError) as caught:
        load_escalation_rules(tmp_path)
    assert (caught.value.file, caught.value.line) == (ESCALATION_RULES_FILE, None)
    assert "cannot read" in caught.value.message


# --- the shipped texts ---------------------------------------------------------------------------


def _texts(stem: str) -> dict[str, str]:
    """The en texts of one catalog file as flat keys (`checkin.red_flag.mscc`)."""
    data = yaml.safe_load((messages_dir() / "en" / f"{stem}.yaml").read_text(encoding="utf-8"))
    flat: dict[str, str] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(f"{prefix}.{key}", child)
        else:
            flat[prefix] = node

    walk(stem, data)
    return flat


CHECKIN = _texts("checkin")
ADVICE = _texts("advice")
SAMPLE = {"care_team_contact": "<TEAM>", "emergency_number": "<EMERGENCY>"}


def _render(text: str) -> str:
    # format_map raises KeyError for any placeholder the check-in cannot pass.
    return text.format_map(SAMPLE)


def test_every_text_renders_with_the_values_the_check_in_passes() -> None:
    declared = yaml.safe_load((messages_dir() / "keys.yaml").read_text(encoding="utf-8"))
    for key, text in {**CHECKIN, **ADVICE}.items():
        assert key in declared, key
        assert set(declared[key]) <= PASSED_PLACEHOLDERS, key
        _render(text)
    for key in declared:
        if key.startswith(("checkin.", "advice.")):
            assert key in CHECKIN or key in ADVICE, key


REQUIRED_CHECKIN = [
    "ask_worst",
    "ask_sleep",
    "ask_walking",
    "ask_rescue",
    "screen_intro",
    "ask_note",
    "yes_button",
    "no_button",
    "skip_button",
    "not_taken_button",
    "score_retry",
    "thanks",
]


@pytest.mark.parametrize("name", REQUIRED_CHECKIN)
def test_check_in_texts_exist(name: str) -> None:
    assert CHECKIN[f"checkin.{name}"].strip()


@pytest.mark.parametrize("flag", DEFAULT_RULES.red_flags, ids=lambda flag: flag.id)
def test_every_red_flag_has_a_yes_no_question_and_advice(flag: Any) -> None:
    assert CHECKIN[flag.question_key].rstrip().endswith("?")
    advice = _render(ADVICE[flag.advice_key])
    # Every escalation says whom to call: the care team always.
    assert "<TEAM>" in advice
    if flag.tier == EMERGENCY_TIER:
        first = advice.split("\n\n", 1)[0]
        if flag.id == "fever_chemo":
            # Fever on chemotherapy: the 24-hour oncology line first, the emergency number when
            # it cannot be reached (REFERENCE §2 [19]); both in the first paragraph.
            assert advice.startswith("Call your 24-hour oncology line now")
            assert "<TEAM>" in first
            assert "<EMERGENCY>" in first
        else:
            assert advice.startswith("Call <EMERGENCY> now")


@pytest.mark.parametrize("tier", [1, 2, 3])
def test_tier_advice_names_the_care_team(tier: int) -> None:
    assert "<TEAM>" in _render(ADVICE[f"advice.tier.t{tier}"])


def test_tier_3_advice_starts_with_calling_the_emergency_number() -> None:
    assert _render(ADVICE["advice.tier.t3"]).startswith("Call <EMERGENCY> now")


@pytest.mark.parametrize("flag_id", ["high_calcium", "low_calcium", "new_back_pain", "fall"])
def test_urgent_advice_says_when_to_call_the_emergency_number(flag_id: str) -> None:
    assert "<EMERGENCY>" in _render(ADVICE[f"advice.red_flag.{flag_id}"])


def test_worsening_advice_asks_about_a_bone_scan_and_adjusting_the_plan() -> None:
    text = _render(ADVICE["advice.worsening"]).lower()
    assert "repeat bone scan" in text
    assert "adjusted" in text
    assert "<team>" in text


def test_emergency_advice_says_what_to_do_meanwhile() -> None:
    mscc = ADVICE["advice.red_flag.mscc"].lower()
    # NICE NG234 positioning (REFERENCE §2 [11]).
    assert "lie flat or partly raised, as far as is bearable, and keep your spine still" in mscc
    assert "i have cancer" in mscc
    assert "with or without back pain" in mscc
    assert "don't move" in ADVICE["advice.red_flag.fracture"].lower()
    opioid = ADVICE["advice.red_flag.opioid_toxicity"].lower()
    assert "naloxone" in opioid
    assert "recovery position" in opioid
    assert "follow the call handler's instructions" in opioid


def test_fever_advice_says_paracetamol_or_steroids_can_hide_a_fever() -> None:
    fever = ADVICE["advice.red_flag.fever_chemo"].lower()
    assert "paracetamol or steroids can hide a fever" in fever
    assert (
        "paracetamol or steroids can hide a fever"
        in CHECKIN["checkin.red_flag.fever_chemo"].lower()
    )


def test_high_calcium_advice_asks_about_pausing_supplements() -> None:
    # REFERENCE §3: with high calcium, ask the team whether to pause calcium and vitamin D.
    text = ADVICE["advice.red_flag.high_calcium"].lower()
    assert "calcium or vitamin d tablets" in text and "pause" in text


@pytest.mark.parametrize(
    "sign",
    [
        "back",
        "weak",
        "heavy",
        "arms",
        "difficulty walking",
        "numbness",
        "pins and needles",
        "bottom",
        "between your legs",
        "pee",
        "poo",
        "with or without",
    ],
)
def test_the_mscc_question_names_every_sign(sign: str) -> None:
    # Each of these (REFERENCE §2 [11,12]) must make a patient answer Yes, which is tier 3.
    assert sign in CHECKIN["checkin.red_flag.mscc"].lower()


@pytest.mark.parametrize(
    ("flag_id", "signs"),
    [
        ("fracture", ["sudden", "small movement", "fall", "weight", "shape"]),
        ("fall_injury", ["fall", "new pain", "get up", "head"]),
        ("high_calcium_severe", ["confused", "sleepy", "seizure"]),
        ("opioid_toxicity", ["sleepy", "hard to wake", "confused", "slurred", "breathing"]),
        ("fever_chemo", ["38", "36", "shivering"]),
        ("new_back_pain", ["back", "neck", "band", "cough", "night", "spine"]),
        ("high_calcium", ["thirsty", "peeing", "constipated", "sick", "hungry", "weak"]),
        ("low_calcium", ["tingling", "mouth", "fingers", "toes", "cramps", "twitching"]),
    ],
)
def test_red_flag_questions_name_their_signs(flag_id: str, signs: list[str]) -> None:
    question = CHECKIN[f"checkin.red_flag.{flag_id}"].lower()
    for sign in signs:
        assert sign in question, sign
