"""The button registry: every code declared once, no two colliding, ids read strictly."""

from __future__ import annotations

import re

import pytest

from reminderbot.delivery import buttons
from reminderbot.delivery.buttons import ACTIONS, Action, Family, Shape


def collisions(actions: list[Action]) -> list[tuple[str, str]]:
    """Pairs of actions where one's callback data would be taken for the other's."""
    found = []
    for a in actions:
        for b in actions:
            if a is b:
                continue
            same = a.code == b.code
            # A prefix code swallows any code that starts with it; a piped code is matched up to
            # its `|`, so one starting with a prefix code is taken by the prefix handler too.
            swallowed = b.shape is Shape.PREFIX and a.code.startswith(b.code)
            if same or swallowed or re.match(b.pattern, a.sample()):
                found.append((a.code, b.code))
    return found


def test_no_two_codes_collide() -> None:
    assert collisions(ACTIONS) == []
    assert len({a.code for a in ACTIONS}) == len(ACTIONS)


def test_each_action_matches_only_its_own_data() -> None:
    for action in ACTIONS:
        assert buttons.matching(action.sample()) == [action], action.code
        assert buttons.action_of(action.sample()) == action.code


def test_a_duplicated_or_swallowed_code_is_a_collision() -> None:
    # The check above is only worth having if it catches the mistakes it is for.
    copy = Action("cgl", Family.COORDINATOR, buttons.Right.COORDINATOR)
    assert ("cgl", "cgl") in collisions([*ACTIONS, copy])
    prefix = Action("set:", Family.SETTINGS, buttons.Right.PATIENT, Shape.PREFIX)
    assert ("set:tz", "set:") in collisions([*ACTIONS, prefix])


def test_callback_data_fits_telegram_and_codes_hold_no_separator() -> None:
    for action in ACTIONS:
        assert "|" not in action.code
        assert len(action.sample().encode()) <= 64


def test_family_patterns_cover_exactly_their_codes() -> None:
    for family in Family:
        pattern = buttons.family_pattern(family)
        for action in ACTIONS:
            assert bool(re.match(pattern, action.sample())) == (action.family is family)
    assert buttons.action_of("zz|1|") == "unknown"
    assert buttons.action_of("") == "unknown"


@pytest.mark.parametrize(
    "text", ["", "0", "-1", "²", "１２", "١٢", "1.5", "1e3", " 12a", "9" * 20, str(2**31)]
)
def test_odd_ids_are_not_ids(text: str) -> None:
    assert buttons.parse_id(text) is None


@pytest.mark.parametrize(
    ("text", "number"), [("1", 1), ("12", 12), (" 7 ", 7), (str(2**31 - 1), 2**31 - 1)]
)
def test_ids_are_ascii_digits_in_range(text: str, number: int) -> None:
    assert buttons.parse_id(text) == number


def test_small_numbers_for_scores() -> None:
    assert [buttons.parse_number(t, maximum=10) for t in ("0", "10", "11", "²", "-1", "")] == [
        0,
        10,
        None,
        None,
        None,
        None,
    ]
