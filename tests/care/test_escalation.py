"""Pain check-in escalation: usual score, worsening, red-flag screen, tiers and advice order."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminderbot.care.escalation import (
    DEFAULT_RULES,
    Answers,
    EscalationRules,
    PastCheckIn,
    RedFlag,
    assess,
    is_worsened,
    needs_screen,
    red_flag,
    screen_for,
    usual_score,
)

NOW = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
RULES = DEFAULT_RULES


def daily(*scores: int, worsened: tuple[bool, ...] = ()) -> tuple[PastCheckIn, ...]:
    """One check-in a day, the last score the most recent (yesterday)."""
    flags = worsened or (False,) * len(scores)
    return tuple(
        PastCheckIn(at=NOW - timedelta(days=len(scores) - index), score=score, worsened=flag)
        for index, (score, flag) in enumerate(zip(scores, flags, strict=True))
    )


def alerted(*scores: int, tiers: tuple[int, ...]) -> tuple[PastCheckIn, ...]:
    """Like daily(), with the tier each check-in gave (none worsened)."""
    return tuple(replace(past, tier=tier) for past, tier in zip(daily(*scores), tiers, strict=True))


STEADY_2 = daily(2, 2, 2, 2, 2, 2, 2)
TWO_WITH_SLEEP = ("pain_moderate", "sleep_disturbed", "two_t1")

# --- usual score ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history", "usual"),
    [
        ((), None),
        (daily(3), 3.0),
        (daily(1, 5, 2), 2.0),  # median, not mean (2.67)
        (daily(1, 2, 3, 8), 2.5),  # even count: mean of the middle two
        # Older than 7 days does not count; exactly 7 days ago does.
        ((PastCheckIn(NOW - timedelta(days=7, seconds=1), 9, False), *daily(1)), 1.0),
        ((PastCheckIn(NOW - timedelta(days=7), 9, False), *daily(1, 1)), 1.0),
        ((PastCheckIn(NOW - timedelta(days=7), 9, False), *daily(1)), 5.0),
        # A check-in dated after now (clock set wrong) is not history.
        ((PastCheckIn(NOW + timedelta(hours=1), 9, False), *daily(1)), 1.0),
        ((PastCheckIn(NOW - timedelta(days=30), 5, False),), None),
    ],
)
def test_usual_score(history: tuple[PastCheckIn, ...], usual: float | None) -> None:
    assert usual_score(history, NOW, RULES) == usual


def test_usual_score_window_follows_history_days() -> None:
    history = (PastCheckIn(NOW - timedelta(days=10), 9, False), *daily(1))
    assert usual_score(history, NOW, replace(RULES, history_days=14)) == 5.0


# --- worsening ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usual_level", "score", "worsened"),
    [
        (3, 5, True),  # +2 and +67 %
        (3, 4, False),  # +1: below the 2-point rise
        (5, 7, True),  # +2, needs 1.5
        (6, 8, True),  # +2, needs 1.8
        (7, 9, False),  # +2 but only 29 %: needs 2.1
        (7, 10, True),  # +3 >= 2.1
        (8, 10, False),  # +2 but needs 2.4
        (0, 2, True),  # usual 0: the absolute rise alone decides
        (0, 1, False),
        (1, 2, False),  # +100 % but only 1 point
        (4, 4, False),
        (6, 3, False),  # better is never worse
    ],
)
def test_worsening_needs_both_the_rise_and_the_ratio(
    usual_level: int, score: int, worsened: bool
) -> None:
    history = daily(*[usual_level] * 7)
    assert is_worsened(score, history, NOW, RULES) is worsened


def test_worsening_without_history_is_not_judged() -> None:
    assert is_worsened(10, (), NOW, RULES) is False


def test_worsening_is_relative_to_the_patients_own_history() -> None:
    # The same score of 6: worse than usual for a patient at 3, steady for one at 6.
    assert is_worsened(6, daily(3, 3, 3, 3), NOW, RULES) is True
    assert is_worsened(6, daily(6, 6, 6, 6), NOW, RULES) is False


def test_worsening_ignores_check_ins_outside_the_window() -> None:
    old_high = tuple(PastCheckIn(NOW - timedelta(days=20 + d), 8, False) for d in range(5))
    assert is_worsened(5, (*old_high, *daily(2, 2)), NOW, RULES) is True


def test_worsening_thresholds_come_from_the_rules() -> None:
    history = daily(3, 3, 3)
    assert is_worsened(5, history, NOW, replace(RULES, worsening_min_rise=3)) is False
    assert is_worsened(5, history, NOW, replace(RULES, worsening_min_ratio=0.8)) is False
    assert is_worsened(5, history, NOW, replace(RULES, worsening_min_ratio=0.6)) is True


# --- screening ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "history", "new_back_pain", "screen"),
    [
        (0, STEADY_2, False, False),
        (3, STEADY_2, False, False),
        (4, STEADY_2, False, True),  # moderate pain
        (9, (), False, True),
        (3, daily(1, 1, 1), False, True),  # worsened below the score threshold
        (0, (), True, True),  # new back pain always screens
    ],
)
def test_needs_screen(
    score: int, history: tuple[PastCheckIn, ...], new_back_pain: bool, screen: bool
) -> None:
    assert needs_screen(score, history, NOW, RULES, new_back_pain=new_back_pain) is screen


def test_needs_screen_threshold_comes_from_the_rules() -> None:
    assert needs_screen(2, (), NOW, replace(RULES, screen_min_score=2)) is True
    assert needs_screen(2, (), NOW, replace(RULES, screen_min_score=3)) is False


def test_screen_for_everyone_leaves_out_tagged_questions() -> None:
    ids = [flag.id for flag in screen_for(frozenset(), RULES)]
    assert "opioid_toxicity" not in ids
    assert "fever_chemo" not in ids
    assert {"mscc", "fracture", "fall", "low_calcium", "new_back_pain"} <= set(ids)


@pytest.mark.parametrize(
    ("tags", "flag_id"),
    [({"on_opioids"}, "opioid_toxicity"), ({"on_chemotherapy"}, "fever_chemo")],
)
def test_screen_for_tagged_patients_adds_their_questions(tags: set[str], flag_id: str) -> None:
    ids = [flag.id for flag in screen_for(frozenset(tags), RULES)]
    assert flag_id in ids


def test_screen_for_puts_emergency_questions_first_in_file_order() -> None:
    rules = replace(
        RULES,
        red_flags=(
            red_flag("b_review", 1),
            red_flag("a_emergency", 3),
            red_flag("c_urgent", 2),
            red_flag("d_emergency", 3),
            red_flag("e_review", 1),
        ),
    )
    ids = [flag.id for flag in screen_for(frozenset(), rules)]
    assert ids == ["a_emergency", "d_emergency", "b_review", "c_urgent", "e_review"]


def test_screen_for_needs_all_required_tags() -> None:
    rules = replace(RULES, red_flags=(red_flag("both", 2, ["a", "b"]),))
    assert screen_for(frozenset({"a"}), rules) == ()
    assert [f.id for f in screen_for(frozenset({"a", "b", "c"}), rules)] == ["both"]


def test_shipped_screen_order() -> None:
    every_tag = frozenset({"on_opioids", "on_chemotherapy"})
    tiers = [flag.tier for flag in screen_for(every_tag, RULES)]
    assert tiers == sorted(tiers, reverse=True)
    assert screen_for(every_tag, RULES)[0].id == "mscc"


# --- tiers ----------------------------------------------------------------------------------------

# (answers, history, tier, reasons): every tier condition of the table in care/escalation.py.
TIER_TABLE: list[tuple[dict[str, Any], tuple[PastCheckIn, ...], int, set[str]]] = [
    ({"score": 0}, (), 0, set()),
    ({"score": 3}, STEADY_2, 0, set()),
    ({"score": 3, "sleep": 3, "walking": 3, "worst_24h": 6, "rescue_helped": True}, (), 0, set()),
    ({"score": 4}, daily(4, 4, 4), 1, {"pain_moderate"}),
    ({"score": 6}, daily(6, 6, 6), 1, {"pain_moderate"}),
    ({"score": 2, "worst_24h": 7}, STEADY_2, 1, {"worst_severe"}),
    ({"score": 2, "sleep": 4}, STEADY_2, 1, {"sleep_disturbed"}),
    ({"score": 2, "walking": 4}, STEADY_2, 1, {"walking_disturbed"}),
    ({"score": 7}, daily(7, 7, 7), 2, {"pain_severe"}),
    ({"score": 10}, (), 2, {"pain_severe"}),
    # Issue 11: a worsening that ends below 4 is at most tier 1 (was tier 2).
    ({"score": 3}, daily(1, 1, 1), 1, {"worsened"}),
    ({"score": 5}, STEADY_2, 2, {"worsened", "pain_moderate"}),
    ({"score": 1, "rescue_helped": False}, (), 2, {"rescue_not_helping"}),
    (
        {"score": 1, "sleep": 5, "walking": 5},
        (),
        2,
        {"sleep_disturbed", "walking_disturbed", "two_t1"},
    ),
    ({"score": 5, "worst_24h": 8}, daily(5, 5), 2, {"pain_moderate", "worst_severe", "two_t1"}),
    ({"score": 5, "sleep": 6}, daily(5, 5), 2, {"pain_moderate", "sleep_disturbed", "two_t1"}),
    (
        {"score": 4},
        daily(1, 1, 2, worsened=(False, False, True)),
        2,
        {"pain_moderate", "worsened", "worsened_twice"},
    ),
    # The previous check-in worsened but this one did not: not twice.
    ({"score": 2}, daily(1, 1, 2, worsened=(False, False, True)), 0, set()),
    # An earlier worsened check-in that is not the one just before: not "in a row".
    ({"score": 4}, daily(1, 1, 1, worsened=(False, True, False)), 2, {"pain_moderate", "worsened"}),
    # --- alert fatigue (issue 11, docs/clinical-reference.md §2) ---
    # A rise that ends in mild pain is at most tier 1, even twice in a row.
    ({"score": 2}, daily(0, 0, 0), 1, {"worsened"}),
    ({"score": 3}, daily(1, 1, 1, 1, 1, 1, 1), 1, {"worsened"}),
    ({"score": 3}, daily(1, 1, 1, 1, 1, 1, 1, worsened=(False,) * 6 + (True,)), 1, {"worsened"}),
    # ... but with another amber condition it makes two (tier 2) [9].
    ({"score": 3, "sleep": 5}, daily(1, 1, 1), 2, {"worsened", "sleep_disturbed", "two_t1"}),
    # A rise into moderate pain is still an urgent worsening.
    ({"score": 6}, daily(3, 3, 3), 2, {"worsened", "pain_moderate"}),
    ({"score": 4}, daily(2, 2, 2), 2, {"worsened", "pain_moderate"}),
    # Stable moderate pain already alerted in the band: quiet (tier 0).
    ({"score": 5}, alerted(5, 5, 5, tiers=(1, 0, 0)), 0, set()),
    ({"score": 4}, alerted(6, 5, tiers=(1, 0)), 0, set()),
    # Never alerted (or tier unknown), or the band was left since: alert.
    ({"score": 5}, alerted(5, 5, tiers=(0, 0)), 1, {"pain_moderate"}),
    ({"score": 5}, alerted(5, 3, 5, tiers=(1, 0, 0)), 1, {"pain_moderate"}),
    ({"score": 5}, alerted(5, 7, 5, tiers=(1, 2, 0)), 1, {"pain_moderate"}),
    # Known moderate pain still counts towards two ambers, and severe pain is never quiet.
    ({"score": 5, "sleep": 6}, alerted(5, 5, tiers=(1, 0)), 2, set(TWO_WITH_SLEEP)),
    ({"score": 7}, alerted(7, 7, 7, tiers=(2, 2, 2)), 2, {"pain_severe"}),
]


@pytest.mark.parametrize(("answers", "history", "tier", "reasons"), TIER_TABLE)
def test_tier_table(
    answers: dict[str, Any], history: tuple[PastCheckIn, ...], tier: int, reasons: set[str]
) -> None:
    result = assess(Answers(**answers), history, NOW, RULES)
    assert result.tier == tier
    assert set(result.reasons) == reasons
    assert len(result.reasons) == len(reasons)


def test_worst_pain_below_severe_is_not_a_condition() -> None:
    assert assess(Answers(score=2, worst_24h=6), (), NOW, RULES).tier == 0


def test_score_bands_follow_the_rules() -> None:
    rules = replace(RULES, moderate_score=3, severe_score=6)
    assert assess(Answers(score=3), (), NOW, rules).reasons == ("pain_moderate",)
    assert assess(Answers(score=6), (), NOW, rules).reasons == ("pain_severe",)


# The tier each red flag must give, from docs/clinical-reference.md §2.
RED_FLAG_TIERS = {
    "mscc": 3,
    "fracture": 3,
    "fall_injury": 3,
    "high_calcium_severe": 3,
    "opioid_toxicity": 3,
    "fever_chemo": 3,
    "new_back_pain": 2,
    "high_calcium": 2,
    "low_calcium": 2,
    "fall": 1,
}
RED_FLAG_TAGS = {"opioid_toxicity": {"on_opioids"}, "fever_chemo": {"on_chemotherapy"}}


def test_the_shipped_red_flags_are_exactly_the_expected_ones() -> None:
    assert {flag.id: flag.tier for flag in RULES.red_flags} == RED_FLAG_TIERS
    assert {f.id: set(f.requires_tags) for f in RULES.red_flags if f.requires_tags} == (
        RED_FLAG_TAGS
    )


@pytest.mark.parametrize(("flag_id", "tier"), sorted(RED_FLAG_TIERS.items()))
def test_each_red_flag_gives_its_tier_and_advice(flag_id: str, tier: int) -> None:
    result = assess(Answers(score=0, red_flags=frozenset({flag_id})), STEADY_2, NOW, RULES)
    assert result.tier == tier
    assert result.reasons == (f"red_flag:{flag_id}",)
    advice = f"advice.red_flag.{flag_id}"
    if tier == 3:
        assert result.advice_keys == (advice, "advice.tier.t3")
    else:
        assert result.advice_keys == (f"advice.tier.t{tier}", advice)
    assert RULES.flag(flag_id).question_key == f"checkin.red_flag.{flag_id}"


def test_a_red_flag_tier_comes_from_the_rules() -> None:
    rules = replace(RULES, red_flags=(red_flag("fall", 2),))
    assert assess(Answers(score=0, red_flags=frozenset({"fall"})), (), NOW, rules).tier == 2


# --- advice and follow-up -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "history", "keys"),
    [
        ({"score": 1}, (), ("advice.tier.t0",)),
        ({"score": 5}, daily(5), ("advice.tier.t1",)),
        ({"score": 8}, daily(8), ("advice.tier.t2", "advice.worsening")),
        ({"score": 4}, STEADY_2, ("advice.tier.t2", "advice.worsening")),
        ({"score": 3}, daily(1, 1, 1), ("advice.tier.t1", "advice.worsening")),
        ({"score": 5}, alerted(5, tiers=(1,)), ("advice.tier.t0",)),
        ({"score": 1, "rescue_helped": False}, (), ("advice.tier.t2",)),
        (
            {"score": 1, "red_flags": {"new_back_pain", "fall"}},
            (),
            ("advice.tier.t2", "advice.red_flag.new_back_pain", "advice.red_flag.fall"),
        ),
        (
            {"score": 8, "red_flags": {"fall", "mscc"}},
            STEADY_2,
            (
                "advice.red_flag.mscc",
                "advice.tier.t3",
                "advice.red_flag.fall",
                "advice.worsening",
            ),
        ),
        (
            {"score": 2, "red_flags": {"fall_injury", "fracture", "fall"}},
            STEADY_2,
            (
                "advice.red_flag.fracture",
                "advice.red_flag.fall_injury",
                "advice.tier.t3",
                "advice.red_flag.fall",
            ),
        ),
    ],
)
def test_advice_keys_in_order(
    answers: dict[str, Any], history: tuple[PastCheckIn, ...], keys: tuple[str, ...]
) -> None:
    fields = {**answers, "red_flags": frozenset(answers.get("red_flags", ()))}
    assert assess(Answers(**fields), history, NOW, RULES).advice_keys == keys


def test_reasons_list_red_flags_first_by_tier() -> None:
    answers = Answers(score=8, red_flags=frozenset({"fall", "high_calcium", "fracture"}))
    reasons = assess(answers, (), NOW, RULES).reasons
    assert reasons == (
        "red_flag:fracture",
        "red_flag:high_calcium",
        "red_flag:fall",
        "pain_severe",
    )


def test_red_flags_are_ordered_by_tier_not_by_file_order() -> None:
    rules = replace(
        RULES,
        red_flags=(red_flag("b_review", 1), red_flag("a_emergency", 3), red_flag("c_urgent", 2)),
    )
    answers = Answers(score=0, red_flags=frozenset({"a_emergency", "b_review", "c_urgent"}))
    result = assess(answers, (), NOW, rules)
    assert result.reasons == ("red_flag:a_emergency", "red_flag:c_urgent", "red_flag:b_review")
    assert result.advice_keys == (
        "advice.red_flag.a_emergency",
        "advice.tier.t3",
        "advice.red_flag.c_urgent",
        "advice.red_flag.b_review",
    )


@pytest.mark.parametrize(
    ("answers", "follow_up"),
    [
        (Answers(score=1), False),
        (Answers(score=5), True),
        (Answers(score=9), True),
        (Answers(score=1, red_flags=frozenset({"mscc"})), False),
    ],
)
def test_follow_up_only_for_tiers_1_and_2(answers: Answers, follow_up: bool) -> None:
    assert assess(answers, (), NOW, RULES).follow_up is follow_up


def _run_days(scores: list[int], rules: EscalationRules = RULES) -> list[Any]:
    """Assess one check-in a day, feeding each result back as history as the service does."""
    history: list[PastCheckIn] = []
    results = []
    start = NOW - timedelta(days=len(scores))
    for day, score in enumerate(scores):
        at = start + timedelta(days=day)
        result = assess(Answers(score=score), history, at, rules)
        results.append(result)
        history.append(PastCheckIn(at=at, score=score, worsened=result.worsened, tier=result.tier))
    return results


def test_stable_moderate_pain_alerts_once_then_stays_quiet() -> None:
    results = _run_days([5, 5, 5, 5, 5])
    assert [r.tier for r in results] == [1, 0, 0, 0, 0]
    assert [r.follow_up for r in results] == [True, False, False, False, False]


def test_stable_moderate_pain_alerts_again_after_the_quiet_days_or_a_change() -> None:
    # Weekly at most while the band holds (quiet days = 7, counted from the last alert).
    assert [r.tier for r in _run_days([5] * 15)] == [1] + [0] * 6 + [1] + [0] * 6 + [1]
    # Leaving the band and coming back is a change: it alerts again.
    assert [r.tier for r in _run_days([5, 5, 3, 3, 3, 4, 4])] == [1, 0, 0, 0, 0, 1, 0]
    assert [r.tier for r in _run_days([5, 5, 7, 5])] == [1, 0, 2, 1]


def test_quiet_days_zero_is_the_old_daily_alert() -> None:
    rules = replace(RULES, stable_moderate_quiet_days=0, worsening_urgent_from_score=0)
    assert [r.tier for r in _run_days([5, 5, 5], rules)] == [1, 1, 1]
    assert assess(Answers(score=3), daily(1, 1, 1), NOW, rules).tier == 2


def test_assessment_reports_usual_and_worsened() -> None:
    result = assess(Answers(score=5), daily(2, 3, 1), NOW, RULES)
    assert (result.usual, result.worsened) == (2.0, True)
    assert assess(Answers(score=5), (), NOW, RULES).usual is None


@pytest.mark.parametrize(
    "answers",
    [
        Answers(score=11),
        Answers(score=-1),
        Answers(score=True),
        Answers(score=5, sleep=11),
        Answers(score=5, walking=-1),
        Answers(score=5, worst_24h=12),
        Answers(score=5, red_flags=frozenset({"no_such_flag"})),
    ],
)
def test_invalid_answers_are_refused(answers: Answers) -> None:
    with pytest.raises(ValueError, match=r"0–10|unknown red flag"):
        assess(answers, (), NOW, RULES)


@pytest.mark.parametrize(
    "change",
    [
        {"moderate_score": 7},
        {"screen_min_score": 11},
        {"worsening_min_rise": 0},
        {"history_days": 0},
        {"followup_hours": 0},
        {"worsening_urgent_from_score": 8},
        {"stable_moderate_quiet_days": -1},
        {"red_flags": (red_flag("x", 1), red_flag("x", 2))},
    ],
)
def test_rules_built_in_code_are_checked(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"."):
        replace(RULES, **change)


def test_a_red_flag_needs_a_tier_of_1_to_3() -> None:
    with pytest.raises(ValueError, match="tier"):
        RedFlag("x", 0, "checkin.red_flag.x", "advice.red_flag.x", frozenset())


# --- invariants (property-based) ------------------------------------------------------------------

FLAG_IDS = sorted(flag.id for flag in RULES.red_flags)
scores = st.integers(0, 10)
optional_scores = st.none() | scores


@st.composite
def histories(draw: st.DrawFn) -> tuple[PastCheckIn, ...]:
    """Check-ins spread over the last 10 days (some outside the 7-day window)."""
    minutes = draw(st.lists(st.integers(1, 10 * 24 * 60), max_size=12, unique=True))
    return tuple(
        PastCheckIn(NOW - timedelta(minutes=m), draw(scores), draw(st.booleans())) for m in minutes
    )


answers_strategy = st.builds(
    Answers,
    score=scores,
    worst_24h=optional_scores,
    sleep=optional_scores,
    walking=optional_scores,
    rescue_helped=st.none() | st.booleans(),
    red_flags=st.frozensets(st.sampled_from(FLAG_IDS)),
)


@settings(max_examples=300)
@given(answers_strategy, histories())
def test_tier_is_0_to_3_and_the_outputs_agree(answers: Answers, history: Any) -> None:
    result = assess(answers, history, NOW, RULES)
    assert result.tier in (0, 1, 2, 3)
    assert result.follow_up is (result.tier in (1, 2))
    assert result.advice_keys.count(f"advice.tier.t{result.tier}") == 1
    assert len(set(result.advice_keys)) == len(result.advice_keys)
    assert result.worsened is is_worsened(answers.score, history, NOW, RULES)
    assert (result.tier == 0) is (result.reasons == ())
    if result.tier == 3:
        first = result.advice_keys[0].removeprefix("advice.red_flag.")
        assert RULES.flag(first).tier == 3
    else:
        assert result.advice_keys[0] == f"advice.tier.t{result.tier}"


@settings(max_examples=300)
@given(answers_strategy, histories())
def test_a_higher_score_never_lowers_the_tier(answers: Answers, history: Any) -> None:
    if answers.score == 10:
        return
    lower = assess(answers, history, NOW, RULES).tier
    higher = assess(replace(answers, score=answers.score + 1), history, NOW, RULES).tier
    assert higher >= lower


@settings(max_examples=300)
@given(answers_strategy, histories(), st.sampled_from(FLAG_IDS))
def test_adding_a_red_flag_never_lowers_the_tier(
    answers: Answers, history: Any, flag_id: str
) -> None:
    without = assess(answers, history, NOW, RULES).tier
    flagged = replace(answers, red_flags=answers.red_flags | {flag_id})
    result = assess(flagged, history, NOW, RULES)
    assert result.tier >= max(without, RULES.flag(flag_id).tier)
    assert f"red_flag:{flag_id}" in result.reasons


@given(answers_strategy, histories())
def test_spinal_cord_compression_is_always_an_emergency(answers: Answers, history: Any) -> None:
    # Every MSCC sign is asked in the one mscc question (tests/content checks its wording).
    flagged = replace(answers, red_flags=answers.red_flags | {"mscc"})
    result = assess(flagged, history, NOW, RULES)
    assert result.tier == 3
    assert (
        "advice.red_flag.mscc" in result.advice_keys[: result.advice_keys.index("advice.tier.t3")]
    )


@given(scores, histories())
def test_a_higher_score_never_undoes_worsening(score: int, history: Any) -> None:
    if score < 10 and is_worsened(score, history, NOW, RULES):
        assert is_worsened(score + 1, history, NOW, RULES)


@given(st.integers(0, 8), st.integers(1, 7))
def test_the_same_score_differs_with_the_own_history(level: int, count: int) -> None:
    score = level + 2
    # Steady at the same level: never worse. Steady two below: worse unless the 30 % part
    # is bigger than 2 points (a usual of 7 or more).
    assert not is_worsened(score, daily(*[score] * count), NOW, RULES)
    assert is_worsened(score, daily(*[level] * count), NOW, RULES) is (0.3 * level <= 2)
    steady = assess(Answers(score=score), daily(*[score] * count), NOW, RULES)
    lower = assess(Answers(score=score), daily(*[level] * count), NOW, RULES)
    assert ("worsened" in lower.reasons) is (0.3 * level <= 2)
    assert "worsened" not in steady.reasons


@given(histories(), st.integers(1, 30))
def test_history_outside_the_window_never_matters(history: Any, days: int) -> None:
    rules: EscalationRules = replace(RULES, history_days=days)
    inside = [past for past in history if past.at >= NOW - timedelta(days=days)]
    assert usual_score(history, NOW, rules) == usual_score(inside, NOW, rules)
