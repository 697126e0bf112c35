"""Tip rotation: topics take turns, and no tip repeats before its topic's round is complete."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminderbot.care.tips import TipChoice, TipEntry, choose_tip

NO_TAGS: frozenset[str] = frozenset()
TOPICS = ("protein", "water", "falls")


def tip(tip_id: str, topic: str, *tags: str) -> TipEntry:
    """Build one library entry."""
    return (tip_id, topic, frozenset(tags))


LIBRARY: tuple[TipEntry, ...] = (
    tip("p1", "protein"),
    tip("p2", "protein"),
    tip("p3", "protein"),
    tip("w1", "water"),
    tip("w2", "water"),
    tip("f1", "falls"),
    tip("f2", "falls", "on_opioids"),
)


def run(
    tips: Sequence[TipEntry],
    topics: Sequence[str],
    calls: int,
    tags: frozenset[str] = NO_TAGS,
    state: Mapping[str, Any] | None = None,
) -> tuple[list[str], dict[str, Any]]:
    """Choose `calls` tips in a row, storing the state as JSON between calls like the database."""
    shown: list[str] = []
    current: Mapping[str, Any] | None = state
    for _ in range(calls):
        choice, new_state = choose_tip(tips, topics, current, tags)
        assert choice is not None
        shown.append(choice.tip_id)
        current = json.loads(json.dumps(new_state))
        assert current == new_state, "the state must survive a JSON round trip unchanged"
    return shown, dict(current or {})


def only_json_types(value: object) -> bool:
    """Tell whether `value` is made only of dict, list, str and int (no None, float, tuple)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and only_json_types(v) for k, v in value.items())
    if isinstance(value, list):
        return all(only_json_types(v) for v in value)
    return isinstance(value, str | int) and not isinstance(value, bool)


# --- table: each rule on a small library --------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "tags", "calls", "expected"),
    [
        ("new patient starts with the first topic's first tip", NO_TAGS, 1, ["p1"]),
        ("topics take turns in rotation order", NO_TAGS, 3, ["p1", "w1", "f1"]),
        (
            "within a topic, no repeat until every tip was shown, then it starts over",
            NO_TAGS,
            12,
            ["p1", "w1", "f1", "p2", "w2", "f1", "p3", "w1", "f1", "p1", "w2", "f1"],
        ),
        (
            "a tagged tip joins its topic's round for a patient with the tag",
            frozenset({"on_opioids"}),
            6,
            ["p1", "w1", "f1", "p2", "w2", "f2"],
        ),
        (
            "extra patient tags do not hide untagged tips",
            frozenset({"on_opioids", "on_denosumab"}),
            3,
            ["p1", "w1", "f1"],
        ),
    ],
)
def test_rotation_rules(case: str, tags: frozenset[str], calls: int, expected: list[str]) -> None:
    shown, _ = run(LIBRARY, TOPICS, calls, tags)
    assert shown == expected, case


def test_a_topic_without_an_eligible_tip_is_skipped() -> None:
    tips = [tip("p1", "protein"), tip("w1", "water", "on_opioids"), tip("f1", "falls")]
    shown, _ = run(tips, TOPICS, 4)
    assert shown == ["p1", "f1", "p1", "f1"]


def test_a_tip_needs_all_of_its_tags() -> None:
    tips = [tip("p1", "protein"), tip("p2", "protein", "on_opioids", "on_chemotherapy")]
    assert run(tips, TOPICS, 3, frozenset({"on_opioids"}))[0] == ["p1", "p1", "p1"]
    both = frozenset({"on_opioids", "on_chemotherapy"})
    assert run(tips, TOPICS, 3, both)[0] == ["p1", "p2", "p1"]


def test_a_new_round_never_opens_with_the_tip_shown_last() -> None:
    # p1 was shown last (after p2) in a complete round; library order alone would pick p1 again.
    state = {
        "v": 1,
        "last_topic": "falls",
        "topics": {"protein": {"shown": ["p2", "p1"], "last": "p1"}},
    }
    tips = [tip("p1", "protein"), tip("p2", "protein")]
    shown, new_state = run(tips, TOPICS, 2, state=state)
    assert shown == ["p2", "p1"]
    assert new_state["topics"]["protein"] == {"shown": ["p2", "p1"], "last": "p1"}


def test_a_topic_with_one_tip_repeats_it() -> None:
    assert run([tip("p1", "protein")], TOPICS, 3)[0] == ["p1", "p1", "p1"]


def test_tips_added_later_are_shown_in_the_current_round() -> None:
    before = [tip("p1", "protein"), tip("p2", "protein")]
    shown, state = run(before, ["protein"], 1)
    assert shown == ["p1"]
    after = [tip("p1", "protein"), tip("p0", "protein"), tip("p2", "protein")]
    shown, _ = run(after, ["protein"], 4, state=state)
    # p0 and p2 finish the round that p1 opened; then a new round.
    assert shown == ["p0", "p2", "p1", "p0"]


def test_ids_gone_from_the_library_are_ignored_and_dropped_from_the_state() -> None:
    state = {
        "v": 1,
        "last_topic": "protein",
        "topics": {
            "protein": {"shown": ["gone", "p1"], "last": "gone"},
            "retired_topic": {"shown": ["r1"], "last": "r1"},
        },
    }
    tips = [tip("p1", "protein"), tip("p2", "protein")]
    shown, new_state = run(tips, ["protein"], 1, state=state)
    assert shown == ["p2"]
    assert new_state == {
        "v": 1,
        "last_topic": "protein",
        "topics": {"protein": {"shown": ["p1", "p2"], "last": "p2"}},
    }


def test_tips_of_a_topic_outside_the_rotation_are_never_chosen() -> None:
    tips = [tip("x1", "unlisted"), tip("p1", "protein")]
    assert run(tips, ["protein"], 2)[0] == ["p1", "p1"]


def test_rotation_restarts_at_the_top_when_the_last_topic_was_removed() -> None:
    state = {"v": 1, "last_topic": "removed", "topics": {}}
    assert run(LIBRARY, TOPICS, 2, state=state)[0] == ["p1", "w1"]


def test_rotation_continues_after_the_last_topic_shown() -> None:
    state = {"v": 1, "last_topic": "water", "topics": {}}
    assert run(LIBRARY, TOPICS, 2, state=state)[0] == ["f1", "p1"]


@pytest.mark.parametrize(
    ("tips", "tags"),
    [
        ([], NO_TAGS),
        ([tip("p1", "protein", "on_opioids")], NO_TAGS),
        ([tip("x1", "unlisted")], NO_TAGS),
    ],
)
def test_nothing_eligible_returns_none_and_keeps_the_state(
    tips: list[TipEntry], tags: frozenset[str]
) -> None:
    state = {"v": 1, "last_topic": "water", "topics": {"water": {"shown": ["w1"], "last": "w1"}}}
    choice, new_state = choose_tip(tips, TOPICS, state, tags)
    assert choice is None
    assert new_state == state
    choice, fresh = choose_tip(tips, TOPICS, None, tags)
    assert choice is None
    assert only_json_types(fresh)


@pytest.mark.parametrize(
    "state",
    [
        {},
        [],
        "protein",
        {"v": 2, "last_topic": "water", "topics": {}},
        {"v": "1", "last_topic": "water", "topics": {}},
        {"v": True, "last_topic": "water", "topics": {}},
        {"v": 1, "last_topic": 3, "topics": {}},
        {"v": 1, "last_topic": "water", "topics": []},
        {"v": 1, "last_topic": "water", "topics": {"protein": ["p1"]}},
        {"v": 1, "last_topic": "water", "topics": {"protein": {"shown": "p1"}}},
        {"v": 1, "last_topic": "water", "topics": {"protein": {"shown": [1]}}},
        {"v": 1, "last_topic": "water", "topics": {"protein": {"shown": [], "last": 5}}},
        {"v": 1, "last_topic": "water", "topics": {3: {"shown": []}}},
    ],
)
def test_malformed_state_is_a_fresh_start(state: Any) -> None:
    assert choose_tip(LIBRARY, TOPICS, state, NO_TAGS) == choose_tip(LIBRARY, TOPICS, None, NO_TAGS)


def test_the_state_records_the_turn_and_the_round() -> None:
    choice, state = choose_tip(LIBRARY, TOPICS, None, NO_TAGS)
    assert choice == TipChoice("p1", "protein")
    assert state == {
        "v": 1,
        "last_topic": "protein",
        "topics": {"protein": {"shown": ["p1"], "last": "p1"}},
    }
    assert only_json_types(state)


def test_the_input_state_is_not_modified() -> None:
    _, state = choose_tip(LIBRARY, TOPICS, None, NO_TAGS)
    frozen = json.dumps(state)
    choose_tip(LIBRARY, TOPICS, state, NO_TAGS)
    assert json.dumps(state) == frozen


# --- properties -------------------------------------------------------------------------------

TOPIC_NAMES = ("a", "b", "c", "d")
TAG_NAMES = ("on_opioids", "on_denosumab", "on_chemotherapy")


def _numbered(drawn: list[tuple[str, frozenset[str]]]) -> list[TipEntry]:
    return [(f"t{index}", topic, tags) for index, (topic, tags) in enumerate(drawn)]


# Libraries: unique ids, topics from a small set, a few tags.
libraries = st.builds(
    _numbered,
    st.lists(
        st.tuples(
            st.sampled_from(TOPIC_NAMES),
            st.frozensets(st.sampled_from(TAG_NAMES), max_size=2),
        ),
        max_size=14,
    ),
)

rotations = st.permutations(TOPIC_NAMES)
tag_sets = st.frozensets(st.sampled_from(TAG_NAMES))


def eligible_by_topic(
    tips: Sequence[TipEntry], topics: Sequence[str], tags: frozenset[str]
) -> dict[str, list[str]]:
    """Return the tips each topic can offer this patient, topics in rotation order."""
    found: dict[str, list[str]] = {topic: [] for topic in topics}
    for tip_id, topic, tip_tags in tips:
        if tip_tags <= tags:
            found[topic].append(tip_id)
    return {topic: ids for topic, ids in found.items() if ids}


def topic_of(tips: Sequence[TipEntry]) -> dict[str, str]:
    """Map each tip id to its topic."""
    return {tip_id: topic for tip_id, topic, _ in tips}


@settings(max_examples=80, deadline=None)
@given(libraries, rotations, tag_sets, st.integers(min_value=1, max_value=3))
def test_each_eligible_tip_is_shown_k_times_per_k_rounds(
    tips: list[TipEntry], topics: list[str], tags: frozenset[str], k: int
) -> None:
    eligible = eligible_by_topic(tips, topics, tags)
    if not eligible:
        assert choose_tip(tips, topics, None, tags)[0] is None
        return
    rounds = max(len(ids) for ids in eligible.values()) * k
    shown, _ = run(tips, topics, rounds * len(eligible), tags)
    topics_of = topic_of(tips)
    for topic, ids in eligible.items():
        in_topic = [tip_id for tip_id in shown if topics_of[tip_id] == topic]
        first = in_topic[: k * len(ids)]
        assert Counter(first) == dict.fromkeys(ids, k), topic


@settings(max_examples=80, deadline=None)
@given(libraries, rotations, tag_sets)
def test_consecutive_choices_never_repeat_when_there_is_a_choice(
    tips: list[TipEntry], topics: list[str], tags: frozenset[str]
) -> None:
    eligible = eligible_by_topic(tips, topics, tags)
    total = sum(len(ids) for ids in eligible.values())
    if total < 2:
        return
    shown, _ = run(tips, topics, 3 * total + 2, tags)
    assert all(a != b for a, b in pairwise(shown))
    topics_of = topic_of(tips)
    for topic, ids in eligible.items():
        in_topic = [tip_id for tip_id in shown if topics_of[tip_id] == topic]
        if len(ids) > 1:
            assert all(a != b for a, b in pairwise(in_topic)), topic


@settings(max_examples=80, deadline=None)
@given(libraries, rotations, tag_sets)
def test_topics_alternate_in_rotation_order(
    tips: list[TipEntry], topics: list[str], tags: frozenset[str]
) -> None:
    eligible = list(eligible_by_topic(tips, topics, tags))
    if not eligible:
        return
    calls = 2 * len(eligible) + 1
    shown, _ = run(tips, topics, calls, tags)
    topics_of = topic_of(tips)
    assert [topics_of[tip_id] for tip_id in shown] == [
        eligible[i % len(eligible)] for i in range(calls)
    ]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.sampled_from(["a", "v"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=12,
)


def state_shaped() -> st.SearchStrategy[Any]:
    """Draw states close to the real shape, with wrong types mixed in."""
    topic_entry = st.fixed_dictionaries(
        {},
        optional={
            "shown": st.lists(st.sampled_from(["t0", "t1", "t2", "gone"]) | json_values),
            "last": st.sampled_from(["t0", "t1", "gone"]) | json_values,
        },
    )
    return st.fixed_dictionaries(
        {"v": st.sampled_from([1, 1, 1, 2, "1", True])},
        optional={
            "last_topic": st.sampled_from(TOPIC_NAMES) | json_values,
            "topics": st.dictionaries(st.sampled_from(TOPIC_NAMES), topic_entry) | json_values,
        },
    )


@settings(max_examples=120, deadline=None)
@given(libraries, rotations, tag_sets, json_values | state_shaped())
def test_any_stored_state_gives_an_eligible_tip_and_a_json_state(
    tips: list[TipEntry], topics: list[str], tags: frozenset[str], state: Any
) -> None:
    choice, new_state = choose_tip(tips, topics, state, tags)
    eligible = eligible_by_topic(tips, topics, tags)
    if not eligible:
        assert choice is None
        return
    assert choice is not None
    assert choice.tip_id in eligible.get(choice.topic, [])
    assert only_json_types(new_state)
    # The state handed back is usable as it is: the next choice works from it.
    next_choice, _ = choose_tip(tips, topics, new_state, tags)
    assert next_choice is not None


@settings(max_examples=80, deadline=None)
@given(libraries, libraries, rotations, tag_sets, st.integers(min_value=0, max_value=10))
def test_a_changed_library_keeps_rounds_complete(
    before: list[TipEntry],
    after: list[TipEntry],
    topics: list[str],
    tags: frozenset[str],
    warm_up: int,
) -> None:
    # Build a state on one library, then keep choosing from another: the round in progress
    # finishes with the tips it has not shown yet (new ones included), then a full round
    # follows, so within 2 x len(tips) turns of a topic every eligible tip has been shown.
    state: dict[str, Any] | None = None
    for _ in range(warm_up):
        _, state = choose_tip(before, topics, state, tags)
    eligible = eligible_by_topic(after, topics, tags)
    if not eligible:
        return
    longest = max(len(ids) for ids in eligible.values())
    shown, _ = run(after, topics, 2 * longest * len(eligible), tags, state)
    topics_of = topic_of(after)
    for topic, ids in eligible.items():
        in_topic = [tip_id for tip_id in shown if topics_of[tip_id] == topic]
        assert set(in_topic) == set(ids), topic
