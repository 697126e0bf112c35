"""Outbox and prompt keys: the stored formats, their parsers, and no two builders colliding."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reminderbot.delivery import outbox_keys as keys

AT = datetime(2026, 3, 27, 10, 0, 30, tzinfo=UTC)
EPOCH = int(AT.timestamp())

ids = st.integers(min_value=0, max_value=2**40)
chats = st.integers(min_value=-(2**52), max_value=2**52)  # group chats are negative
instants = st.integers(min_value=0, max_value=2**34).map(lambda s: datetime.fromtimestamp(s, UTC))
prompts = st.one_of(st.builds(keys.occurrence, ids, instants), st.builds(keys.ask, ids, instants))


def test_every_format_is_the_one_already_stored() -> None:
    # Rows in existing databases carry these exact strings; a change would orphan them.
    assert keys.occurrence(12, AT) == f"s12@{EPOCH}"
    assert keys.snoozed(f"s12@{EPOCH}", AT) == f"s12@{EPOCH}~{EPOCH // 60}"
    assert keys.ask(7, AT) == f"ask:7:{EPOCH}"
    assert keys.typed_prompt(7, AT) == f"typed:7:{EPOCH}"
    assert keys.proxy_prompt(7, AT) == f"proxy:7:{EPOCH}"
    assert keys.pain_prompt(7, AT, 99) == f"pain:7:{EPOCH}:99"
    assert keys.alert(3, -100, 2) == "alert:3:-100:2"
    assert keys.acknowledged(3, 42) == "ack:3:42"
    assert keys.resolved(3, 42) == "resolved:3:42"
    assert keys.nudge("s1@5") == "nudge:s1@5"
    assert keys.silence("s1@5", 42) == "silence:s1@5:42"
    assert keys.weekly(4, 2026, 3) == "weekly:4:2026-W03"
    assert keys.checkin_copy(8, 42) == "copy:checkin:8:42"
    assert keys.proxy_notice(8) == "proxy:8"
    assert keys.caregiver_accepted(4) == "cg:accepted:4"
    assert keys.caregiver_revoked(4) == "cg:revoked:4"
    assert keys.caregiver_left(4) == "cg:left:4"
    assert keys.unlinked(7, 4, AT) == f"unlinked:7:4:{EPOCH}"
    assert keys.broadcast(1, AT, 7) == f"broadcast:1:{EPOCH}:7"
    assert keys.unreachable(7, AT, 42) == f"unreachable:7:{EPOCH}:42"
    assert keys.queued_reply(42, "ab" * 16) == "reply:42:" + "ab" * 16


def test_an_occurrence_key_parses_back_and_nothing_else_does() -> None:
    assert keys.parse_occurrence(keys.occurrence(12, AT)) == keys.Occurrence(12, EPOCH)
    for other in ("s12@", "silence:s12@5:1", "s12@5~9", "ask:1:2", "s-1@5"):
        assert keys.parse_occurrence(other) is None


def test_a_snoozed_copy_names_its_prompt_and_minute() -> None:
    first = keys.occurrence(12, AT)
    copy = keys.snoozed(first, AT)
    assert keys.is_snoozed(copy) and not keys.is_snoozed(first)
    assert keys.prompt_of(copy) == first and keys.prompt_of(first) == first
    assert keys.parse_snoozed(copy) == keys.Snooze(first, EPOCH // 60)
    assert keys.parse_snoozed(first) is None


def test_a_pain_prompt_names_its_patient_only_when_well_formed() -> None:
    key = keys.pain_prompt(7, AT, 99)
    assert keys.is_pain_prompt(key) and keys.pain_patient(key) == 7
    assert keys.is_pain_prompt("pain:x") and keys.pain_patient("pain:x") is None
    assert not keys.is_pain_prompt(keys.ask(7, AT)) and keys.pain_patient(keys.ask(7, AT)) is None


def test_erasure_prefixes_match_their_keys_and_not_a_longer_id() -> None:
    pairs = [
        (keys.alert_prefix(1), keys.alert(1, 42, 0), keys.alert(12, 42, 0)),
        (keys.acknowledged_prefix(1), keys.acknowledged(1, 42), keys.acknowledged(12, 42)),
        (keys.weekly_prefix(1), keys.weekly(1, 2026, 3), keys.weekly(12, 2026, 3)),
        (keys.unreachable_prefix(1), keys.unreachable(1, AT, 42), keys.unreachable(12, AT, 42)),
        (
            keys.silence_prefix(1),
            keys.silence(keys.occurrence(1, AT), 42),
            keys.silence(keys.occurrence(12, AT), 42),
        ),
    ]
    for prefix, own, other in pairs:
        assert own.startswith(prefix) and not other.startswith(prefix)


@given(ids, instants, instants)
def test_occurrence_and_snooze_keys_round_trip(
    schedule_id: int, due: datetime, at: datetime
) -> None:
    first = keys.occurrence(schedule_id, due)
    assert keys.parse_occurrence(first) == keys.Occurrence(schedule_id, int(due.timestamp()))
    copy = keys.snoozed(first, at)
    assert keys.parse_snoozed(copy) == keys.Snooze(first, int(at.timestamp()) // 60)
    # A snooze of a snooze repeats the same prompt, never a copy of a copy.
    again = keys.snoozed(copy, at)
    assert again == copy and keys.prompt_of(again) == first
    assert keys.parse_occurrence(keys.prompt_of(again)) == keys.parse_occurrence(first)


# Every key builder, with inputs: `format_of` names it for each key it builds.
BUILDERS: dict[str, st.SearchStrategy[str]] = {
    "occurrence": st.builds(keys.occurrence, ids, instants),
    "snoozed": st.builds(keys.snoozed, prompts, instants),
    "ask": st.builds(keys.ask, ids, instants),
    "typed_prompt": st.builds(keys.typed_prompt, ids, instants),
    "proxy_prompt": st.builds(keys.proxy_prompt, ids, instants),
    "pain_prompt": st.builds(keys.pain_prompt, ids, instants, ids),
    "alert": st.builds(keys.alert, ids, chats, ids),
    "acknowledged": st.builds(keys.acknowledged, ids, chats),
    "resolved": st.builds(keys.resolved, ids, chats),
    "nudge": st.builds(keys.nudge, prompts),
    "silence": st.builds(
        keys.silence, st.one_of(prompts, st.builds(keys.snoozed, prompts, instants)), chats
    ),
    "weekly": st.builds(
        keys.weekly, ids, st.integers(1000, 9999), st.integers(min_value=1, max_value=53)
    ),
    "checkin_copy": st.builds(keys.checkin_copy, ids, chats),
    "proxy_notice": st.builds(keys.proxy_notice, ids),
    "caregiver_accepted": st.builds(keys.caregiver_accepted, ids),
    "caregiver_revoked": st.builds(keys.caregiver_revoked, ids),
    "caregiver_left": st.builds(keys.caregiver_left, ids),
    "unlinked": st.builds(keys.unlinked, ids, ids, instants),
    "broadcast": st.builds(keys.broadcast, ids, instants, ids),
    "unreachable": st.builds(keys.unreachable, ids, instants, chats),
    "queued_reply": st.builds(keys.queued_reply, chats, st.uuids().map(lambda u: u.hex)),
}


def _public_builders() -> set[str]:
    """The module's key builders: public functions returning a key that are not helpers."""
    helpers = {"format_of", "prompt_of", "is_snoozed", "is_pain_prompt", "pain_patient"}
    return {
        name
        for name, fn in inspect.getmembers(keys, inspect.isfunction)
        if fn.__module__ == keys.__name__
        and not name.startswith(("_", "parse_"))
        and not name.endswith("_prefix")
        and name not in helpers
    }


def test_every_builder_has_a_format_and_a_strategy_here() -> None:
    assert _public_builders() == set(keys.FORMATS) == set(BUILDERS)


@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_each_builder_makes_keys_of_its_own_format_only(name: str) -> None:
    # `format_of` answers only when exactly one format matches, so a key that two formats
    # accepted, or that two builders could make, fails here.
    @given(BUILDERS[name])
    def check(key: str) -> None:
        assert keys.format_of(key) == name, key

    check()


def test_the_literal_heads_of_the_formats_are_distinct() -> None:
    # The text before the first field tells the families apart; the two "proxy:" formats
    # (a check-in's prompt key, the patient's notice) differ in their number of fields.
    heads = [pattern.pattern.split("(", 1)[0] for pattern in keys.FORMATS.values()]
    assert {h for h in heads if heads.count(h) > 1} == {"proxy:"}
    assert keys.proxy_prompt(1, AT).count(":") != keys.proxy_notice(1).count(":")
