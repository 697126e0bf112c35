"""Replies as plain data: keyboard() rows of (label, data), Reply and Asker defaults."""

from __future__ import annotations

import dataclasses

import pytest

from reminderbot.services.replies import Asker, Reply, keyboard


def test_keyboard_keeps_rows_and_their_order_as_tuples() -> None:
    rows = keyboard([("Yes", "cq|1|y"), ("No", "cq|1|n")], [("Skip", "cq|1|s")])
    assert rows == ((("Yes", "cq|1|y"), ("No", "cq|1|n")), (("Skip", "cq|1|s"),))
    assert all(isinstance(row, tuple) for row in rows)


def test_keyboard_copies_the_rows_so_later_changes_do_not_leak_in() -> None:
    row = [("1", "a|b|1")]
    rows = keyboard(row)
    row.append(("2", "a|b|2"))
    assert rows == ((("1", "a|b|1"),),)


def test_keyboard_without_rows_is_no_buttons() -> None:
    assert keyboard() == ()


def test_a_reply_is_text_only_by_default() -> None:
    reply = Reply("Thank you")
    assert (reply.text, reply.buttons, reply.photo, reply.document) == ("Thank you", (), None, None)


def test_replies_are_frozen_and_compare_by_value() -> None:
    reply = Reply("Chart", keyboard([("More", "m|1|")]), photo=b"\x89PNG")
    assert reply == Reply("Chart", ((("More", "m|1|"),),), photo=b"\x89PNG")
    # Hashable: a frozen reply built from tuples can be shared between handlers safely.
    assert hash(reply) == hash(Reply("Chart", ((("More", "m|1|"),),), photo=b"\x89PNG"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        reply.text = "changed"  # type: ignore[misc]


def test_an_asker_has_no_language_unless_the_app_says_one() -> None:
    assert Asker(42, "Mia").language_code is None
    assert Asker(42, "Mia", "zh-hans").language_code == "zh-hans"
