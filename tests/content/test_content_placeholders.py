"""Parsing placeholders: which fields are allowed and what a text's length is."""

from __future__ import annotations

import pytest

from reminderbot.content.placeholders import parse_template


def test_names_in_order_of_first_use() -> None:
    template = parse_template("{b} and {a}, again {b}")
    assert template.names == ("b", "a")
    assert template.occurrences == 3
    assert template.is_valid


def test_escaped_braces_are_literal_text_not_placeholders() -> None:
    template = parse_template("{{not_a_field}} {real}")
    assert template.names == ("real",)
    # "{not_a_field} " is 14 units once the doubled braces are collapsed.
    assert template.literal_length == 14


def test_length_counts_utf16_units_and_sample_values() -> None:
    template = parse_template("😀{a}{a}")
    assert template.literal_length == 2
    assert template.sample_length(10) == 22


@pytest.mark.parametrize(
    "text",
    ["{}", "{0}", "{a.b}", "{a[0]}", "{a!s}", "{a:>3}", "{a:{b}}", "{ a }", "{é}", "}", "{"],
)
def test_disallowed_fields_are_errors(text: str) -> None:
    template = parse_template(text)
    assert not template.is_valid
    assert template.names == ()


def test_every_bad_field_is_reported() -> None:
    assert len(parse_template("{0} {a.b} {c!r} {ok}").errors) == 3
