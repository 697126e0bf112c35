"""Choosing the next tip of the day: topics take turns, and no tip repeats before its topic is done.

The rotation state is stored per patient as JSON (`PatientProfile.tip_rotation`), so it holds
only dicts, lists, strings and ints:

    {"v": 1, "last_topic": "protein",
     "topics": {"protein": {"shown": ["protein_every_meal"], "last": "protein_every_meal"}}}

`shown` lists the tips of the current round of a topic; `last` is the tip shown most recently in
that topic, kept across rounds so a new round never opens with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

STATE_VERSION = 1

# (tip id, topic, tags) in library order: what the rotation needs to know about a tip.
TipEntry = tuple[str, str, frozenset[str]]


@dataclass(frozen=True)
class TipChoice:
    """The tip to send next, and the topic it belongs to."""

    tip_id: str
    topic: str


@dataclass
class _TopicState:
    shown: list[str]
    last: str | None


@lru_cache(maxsize=256)
def _index(
    tips: tuple[TipEntry, ...], topics: tuple[str, ...], patient_tags: frozenset[str]
) -> tuple[list[str], dict[str, frozenset[str]], dict[str, tuple[str, ...]]]:
    # The same library and tags recur for thousands of patients in one wave: index them once.
    rotation = list(dict.fromkeys(topics))
    known: dict[str, set[str]] = {topic: set() for topic in rotation}
    eligible: dict[str, list[str]] = {topic: [] for topic in rotation}
    seen: set[str] = set()
    for tip_id, topic, tags in tips:
        # A tip whose topic is not in the rotation could never get a turn, so it is ignored.
        if tip_id in seen or topic not in known:
            continue
        seen.add(tip_id)
        known[topic].add(tip_id)
        if frozenset(tags) <= patient_tags:
            eligible[topic].append(tip_id)
    return (
        rotation,
        {t: frozenset(ids) for t, ids in known.items()},
        {t: tuple(ids) for t, ids in eligible.items()},
    )


def choose_tip(
    tips: Sequence[TipEntry],
    topics: Sequence[str],
    state: Mapping[str, Any] | None,
    patient_tags: frozenset[str],
) -> tuple[TipChoice | None, dict[str, Any]]:
    """Pick the next tip for a patient and return it with the new rotation state."""
    last_topic, topic_states = _parse_state(state)
    rotation, known, eligible = _index(tuple(tips), tuple(topics), patient_tags)

    topic = _next_topic(rotation, eligible, last_topic)
    if topic is None:
        # Nothing to send now; keep the history, the patient's tags or the library may change.
        return None, _dump(last_topic, topic_states)

    pruned = {
        name: _TopicState(
            [tip_id for tip_id in entry.shown if tip_id in known[name]],
            entry.last if entry.last in known[name] else None,
        )
        for name, entry in topic_states.items()
        if name in known
    }
    current = pruned.get(topic, _TopicState([], None))
    candidates = [tip_id for tip_id in eligible[topic] if tip_id not in current.shown]
    if not candidates:
        current.shown = []
        candidates = list(eligible[topic])
    if len(candidates) > 1 and current.last in candidates:
        candidates.remove(current.last)
    chosen = candidates[0]
    current.shown.append(chosen)
    current.last = chosen
    pruned[topic] = current
    return TipChoice(chosen, topic), _dump(topic, pruned)


def _next_topic(
    rotation: list[str], eligible: Mapping[str, Sequence[str]], last_topic: str | None
) -> str | None:
    # A topic that left the rotation has no place in it any more: start again from the top.
    start = rotation.index(last_topic) + 1 if last_topic in rotation else 0
    for step in range(len(rotation)):
        topic = rotation[(start + step) % len(rotation)]
        if eligible[topic]:
            return topic
    return None


def _parse_state(state: object) -> tuple[str | None, dict[str, _TopicState]]:
    fresh: tuple[str | None, dict[str, _TopicState]] = (None, {})
    if not isinstance(state, Mapping):
        return fresh
    version = state.get("v")
    # bool is an int in Python, and True == 1; a stored `true` is not version 1.
    if isinstance(version, bool) or version != STATE_VERSION:
        return fresh
    last_topic = state.get("last_topic")
    topics = state.get("topics", {})
    if (last_topic is not None and not isinstance(last_topic, str)) or not isinstance(
        topics, Mapping
    ):
        return fresh
    parsed: dict[str, _TopicState] = {}
    for name, entry in topics.items():
        if not isinstance(name, str) or not isinstance(entry, Mapping):
            return fresh
        shown = entry.get("shown", [])
        last = entry.get("last")
        if not isinstance(shown, list) or not _all_str(shown):
            return fresh
        if last is not None and not isinstance(last, str):
            return fresh
        parsed[name] = _TopicState(list(dict.fromkeys(shown)), last)
    return last_topic, parsed


def _all_str(values: Iterable[object]) -> bool:
    return all(isinstance(value, str) for value in values)


def _dump(last_topic: str | None, topic_states: Mapping[str, _TopicState]) -> dict[str, Any]:
    topics: dict[str, Any] = {}
    for name, entry in topic_states.items():
        if not entry.shown and entry.last is None:
            continue
        # JSON has no place for None here: an absent "last" means "none".
        topics[name] = {"shown": list(entry.shown)}
        if entry.last is not None:
            topics[name]["last"] = entry.last
    state: dict[str, Any] = {"v": STATE_VERSION, "topics": topics}
    if last_topic is not None:
        state["last_topic"] = last_topic
    return state
