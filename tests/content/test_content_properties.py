"""Property: any text made of allowed placeholders and literal text renders exactly."""

from __future__ import annotations

import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reminderbot.content import Catalog, check_catalog

PLACEHOLDERS = ("name", "emergency_number", "time")
KEYS_YAML = "checkin.prompt: [name, emergency_number, time]\n"
LOCALES_YAML = "en: {name: English}\nar: {name: العربية}\n"

# Characters a YAML file can hold, minus braces (added on purpose below, escaped).
_yaml_safe = st.characters(
    blacklist_categories=("Cs", "Cc", "Zl", "Zp", "Cn", "Co"),
    blacklist_characters="{}\ufeff",
)
_emoji = st.sampled_from(["😀", "👩🏽‍⚕️", "💊", "🇨🇳", "❤️"])
_rtl = st.sampled_from(["مرحبا", "שלום", "\u200f", "دواء ٣"])
_literal = st.lists(
    st.one_of(st.text(_yaml_safe, max_size=8), _emoji, _rtl, st.just("\n")), max_size=4
).map("".join)

# A piece is (source text as written in YAML, rendered text, placeholder used or None).
_piece = st.one_of(
    _literal.map(lambda s: (s, s, None)),
    st.just(("{{", "{", None)),
    st.just(("}}", "}", None)),
    st.sampled_from(PLACEHOLDERS).map(lambda p: ("{" + p + "}", None, p)),
)
# Values may contain anything, braces and would-be placeholders included: they are data.
_value = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


def _write(root: Path, en_text: str, ar_text: str) -> None:
    (root / "en").mkdir(parents=True)
    (root / "ar").mkdir()
    (root / "locales.yaml").write_text(LOCALES_YAML, encoding="utf-8")
    (root / "keys.yaml").write_text(KEYS_YAML, encoding="utf-8")
    for locale, text in (("en", en_text), ("ar", ar_text)):
        body = yaml.safe_dump({"prompt": text}, allow_unicode=True)
        (root / locale / "checkin.yaml").write_text(body, encoding="utf-8")


@settings(max_examples=150, deadline=None, database=None)
@given(
    pieces=st.lists(_piece, max_size=12),
    values=st.fixed_dictionaries({name: _value for name in PLACEHOLDERS}),
)
def test_text_renders_with_its_values_and_leaves_no_placeholder(
    pieces: list[tuple[str, str | None, str | None]], values: dict[str, str]
) -> None:
    source = "".join(written for written, _, _ in pieces)
    used = {name for _, _, name in pieces if name}
    expected = "".join(values[name] if name else rendered or "" for _, rendered, name in pieces)
    # The translation must use the same placeholders: give it exactly those, in reverse order.
    ar_source = "نص " + " ".join("{" + name + "}" for name in sorted(used, reverse=True))
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "messages"
        _write(root, source, ar_source)
        catalog = Catalog.load(root)

    assert catalog.text("en", "checkin.prompt", **values) == expected
    ar = catalog.text("ar", "checkin.prompt", **values)
    assert ar == "نص " + " ".join(values[name] for name in sorted(used, reverse=True))
    # With no escaped braces in the text and none in the values, no brace may survive at all:
    # every {placeholder} was replaced.
    escaped = any(rendered in ("{", "}") for _, rendered, _ in pieces)
    if not escaped and not any(set(value) & {"{", "}"} for value in values.values()):
        for text in (catalog.text("en", "checkin.prompt", **values), ar):
            assert "{" not in text
            assert "}" not in text


# Fragments that make YAML (and catalog) trouble more often than uniformly random text does.
_yaml_fragment = st.sampled_from(
    [
        "unknown_input: ",
        "welcome: ",
        "\n",
        "  ",
        "- ",
        ": ",
        "{",
        "}",
        "{{",
        "{name}",
        "{0}",
        "'",
        '"',
        "|",
        ">",
        "&a ",
        "*a",
        "<<: ",
        "!!int ",
        "!x ",
        "? ",
        "[",
        "]",
        "#",
        "---\n",
        "yes",
        "~",
        "5",
        "é",
        "😀",
        "\t",
        "\x00",
        "\ufeff",
    ]
)
_yaml_like = st.lists(_yaml_fragment, max_size=30).map("".join)


@settings(max_examples=150, deadline=None, database=None)
@given(
    common=st.one_of(_yaml_like, st.binary(max_size=40)),
    keys=st.one_of(_yaml_like, st.just("common.unknown_input: []\n")),
)
def test_check_never_raises_and_reports_one_line_problems(common: str | bytes, keys: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "messages"
        (root / "en").mkdir(parents=True)
        (root / "locales.yaml").write_text(LOCALES_YAML + "fr: {name: Français}\n")
        (root / "keys.yaml").write_text(keys, encoding="utf-8")
        target = root / "en" / "common.yaml"
        if isinstance(common, bytes):
            target.write_bytes(common)
        else:
            target.write_text(common, encoding="utf-8")
        problems = check_catalog(root)
    # ar/ and fr/ are listed but absent, so there is always at least that to report.
    assert problems
    assert problems == sorted(problems, key=lambda p: p.sort_key())
    for problem in problems:
        assert problem.severity in ("error", "warning")
        assert "\n" not in str(problem)
