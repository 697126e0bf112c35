"""parse_mode rendering, command entities and UTF-16 accounting."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reminderbot.sandbox.errors import ApiError
from reminderbot.sandbox.formatting import command_entities, render, utf16_len


def test_html_nesting_pre_language_and_numeric_entities() -> None:
    text, entities = render(
        '<b>bold <i>both</i></b>&#33; <pre><code class="language-python">x = 1</code></pre>'
        '<span class="tg-spoiler">s</span><blockquote expandable>q</blockquote>',
        "HTML",
    )
    assert text == "bold both! x = 1sq"
    assert entities == [
        {"offset": 0, "length": 9, "type": "bold"},
        {"offset": 5, "length": 4, "type": "italic"},
        {"offset": 11, "length": 5, "type": "pre", "language": "python"},
        {"offset": 16, "length": 1, "type": "spoiler"},
        {"offset": 17, "length": 1, "type": "expandable_blockquote"},
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a <b>b", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("é <3", 'Unsupported start tag "" at byte offset 3'),
        ("<span>x</span>", 'Unsupported start tag "span" at byte offset 0'),
    ],
)
def test_html_errors_match_telegram(source: str, message: str) -> None:
    with pytest.raises(ApiError) as caught:
        render(source, "HTML")
    assert caught.value.status == 400
    assert caught.value.description == f"Bad Request: can't parse entities: {message}"


@given(st.text())
def test_escaped_html_round_trips_to_plain_text(text: str) -> None:
    assert render(html.escape(text, quote=False), "HTML") == (text, [])


@given(st.text(min_size=1), st.text())
def test_html_offsets_are_utf16(inner: str, before: str) -> None:
    source = f"{html.escape(before)}<b>{html.escape(inner)}</b>"
    text, entities = render(source, "HTML")
    assert text == before + inner
    assert entities == [{"offset": utf16_len(before), "length": utf16_len(inner), "type": "bold"}]


def test_markdown_v2() -> None:
    text, entities = render(
        r"*Hi* _there_ __u__ ~s~ ||sp|| `c\`` [link](https://x.org/a\)b) 1\.5",
        "MarkdownV2",
    )
    assert text == "Hi there u s sp c` link 1.5"
    assert [(e["type"], e["offset"], e["length"]) for e in entities] == [
        ("bold", 0, 2),
        ("italic", 3, 5),
        ("underline", 9, 1),
        ("strikethrough", 11, 1),
        ("spoiler", 13, 2),
        ("code", 16, 2),
        ("text_link", 19, 4),
    ]
    assert entities[-1]["url"] == "https://x.org/a)b"
    quoted, quote_entities = render(">line one\n>line two\nafter", "MarkdownV2")
    assert quoted == "line one\nline two\nafter"
    assert quote_entities == [{"offset": 0, "length": 17, "type": "blockquote"}]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("Done.", "Character '.' is reserved and must be escaped with the preceding '\\'"),
        ("*bold", "Can't find end of Bold entity at byte offset 0"),
        ("`code", "Can't find end of Code entity at byte offset 0"),
    ],
)
def test_markdown_v2_errors(source: str, message: str) -> None:
    with pytest.raises(ApiError, match="can't parse entities") as caught:
        render(source, "MarkdownV2")
    assert caught.value.description.endswith(message)


def test_legacy_markdown_and_explicit_entities() -> None:
    assert render("*b* _i_ `c` [t](https://x.org) 1.5", "Markdown") == (
        "b i c t 1.5",
        [
            {"offset": 0, "length": 1, "type": "bold"},
            {"offset": 2, "length": 1, "type": "italic"},
            {"offset": 4, "length": 1, "type": "code"},
            {"offset": 6, "length": 1, "type": "text_link", "url": "https://x.org"},
        ],
    )
    with pytest.raises(ApiError, match="Can't find end of the entity starting at byte offset 0"):
        render("*open", "Markdown")
    explicit = [{"type": "bold", "offset": 0, "length": 2}]
    assert render("<b>", "HTML", explicit) == ("<b>", explicit)
    with pytest.raises(ApiError, match="unsupported parse_mode"):
        render("x", "BBCode")


def test_command_entities() -> None:
    assert command_entities("/start") == [{"offset": 0, "length": 6, "type": "bot_command"}]
    assert command_entities("🙂 /help@reminder_test_bot now") == [
        {"offset": 3, "length": 23, "type": "bot_command"}
    ]
    assert command_entities("a/b and http://x/y") == []
