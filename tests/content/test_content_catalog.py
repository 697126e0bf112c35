"""Loading a catalog, rendering texts, render errors and locale resolution."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from reminderbot.content import (
    Catalog,
    CatalogError,
    MissingPlaceholderError,
    UnknownKeyError,
    check_catalog,
)
from reminderbot.content import validation as validation_module
from reminderbot.content.locale_matching import best_locale

WriteCatalog = Callable[..., Path]


@pytest.fixture
def catalog(write_catalog: WriteCatalog) -> Catalog:
    """The valid two-locale baseline catalog, loaded."""
    return Catalog.load(write_catalog())


# --- loading ---------------------------------------------------------------------------------


def test_valid_two_locale_catalog_loads(catalog: Catalog) -> None:
    assert catalog.locales == ["en", "zh-Hans"]
    assert catalog.locale_names == {"en": "English", "zh-Hans": "简体中文"}
    assert catalog.keys == frozenset(
        {"onboarding.welcome", "onboarding.consent.agree_button", "common.unknown_input"}
    )
    assert catalog.has_locale("zh-Hans")
    assert not catalog.has_locale("fr")
    assert catalog.warnings == ()


def test_reference_locale_comes_first_whatever_the_file_order(
    write_catalog: WriteCatalog,
) -> None:
    root = write_catalog({"locales.yaml": "zh-Hans: {name: 简体中文}\nen: {name: English}\n"})
    assert Catalog.load(root).locales == ["en", "zh-Hans"]


def test_load_raises_catalog_error_listing_every_problem(write_catalog: WriteCatalog) -> None:
    root = write_catalog(
        {
            "en/common.yaml": "unknown_input: Hi {nme}\n",
            "zh-Hans/common.yaml": "unknown_input: 5\n",
        }
    )
    with pytest.raises(CatalogError) as raised:
        Catalog.load(root)
    assert raised.value.problems == check_catalog(root)
    assert str(raised.value).splitlines() == [
        "messages/en/common.yaml:1: common.unknown_input: "
        "unknown placeholder {nme} (allowed: none)",
        "messages/zh-Hans/common.yaml:1: common.unknown_input: not a string: the number 5; "
        "put the text in quotes",
    ]


def test_warnings_do_not_stop_loading(write_catalog: WriteCatalog) -> None:
    loaded = Catalog.load(write_catalog({"en/notes.txt": "scratch"}))
    assert [p.file for p in loaded.warnings] == ["en/notes.txt"]


def test_load_defaults_to_the_messages_folder(
    write_catalog: WriteCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The real messages/ is being written by others; point the default at a known catalog.
    root = write_catalog()
    monkeypatch.setattr(validation_module, "messages_dir", lambda: root)
    assert Catalog.load().locales == ["en", "zh-Hans"]
    assert check_catalog() == []


def test_loading_a_large_catalog_is_fast(tmp_path: Path) -> None:
    count = 2000
    root = tmp_path / "messages"
    (root / "en").mkdir(parents=True)
    (root / "zh-Hans").mkdir()
    (root / "locales.yaml").write_text("en: {name: English}\nzh-Hans: {name: 简体中文}\n")
    (root / "keys.yaml").write_text("".join(f"bulk.text_{i}: [name]\n" for i in range(count)))
    for locale, word in (("en", "Hello"), ("zh-Hans", "你好")):
        body = "".join(f"text_{i}: |\n  {word} {{name}}, line {i}\n  more\n" for i in range(count))
        (root / locale / "bulk.yaml").write_text(body, encoding="utf-8")
    started = time.perf_counter()
    loaded = Catalog.load(root)
    elapsed = time.perf_counter() - started
    assert loaded.text("zh-Hans", "bulk.text_7", name="A") == "你好 A, line 7\nmore"
    assert elapsed < 2.0, f"loading {count * 2} texts took {elapsed:.2f}s"


# --- rendering -------------------------------------------------------------------------------


def test_text_renders_exactly(catalog: Catalog) -> None:
    # The block scalar's final newline is dropped; the inner one is kept.
    assert catalog.text("en", "onboarding.welcome", name="Ana", emergency_number="112") == (
        "Hello Ana!\nIn an emergency call 112."
    )
    assert catalog.text("zh-Hans", "onboarding.welcome", name="李华", emergency_number="120") == (
        "你好，李华！\n紧急情况请拨打 120。"
    )
    assert catalog.text("zh-Hans", "onboarding.consent.agree_button") == "我同意"


def test_escaped_braces_render_as_literal_braces(catalog: Catalog) -> None:
    assert catalog.text("en", "common.unknown_input") == (
        "Sorry, I did not understand. Type {help} for help."
    )


def test_trailing_newlines_are_kept_unless_yaml_added_them(write_catalog: WriteCatalog) -> None:
    root = write_catalog(
        {
            "en/common.yaml": 'unknown_input: "line\\n"\n',
            "zh-Hans/common.yaml": "unknown_input: |+\n  行\n\n",
        }
    )
    loaded = Catalog.load(root)
    assert loaded.text("en", "common.unknown_input") == "line\n"
    # `|+` keeps the blank line; only the one newline every block scalar ends with is dropped.
    assert loaded.text("zh-Hans", "common.unknown_input") == "行\n"


def test_values_are_converted_with_str_and_extra_values_ignored(catalog: Catalog) -> None:
    rendered = catalog.text(
        "en", "onboarding.welcome", name="{emergency_number}", emergency_number=112, unused="x"
    )
    assert rendered == "Hello {emergency_number}!\nIn an emergency call 112."


def test_unknown_key_raises_key_error_naming_it(catalog: Catalog) -> None:
    with pytest.raises(KeyError, match=r"onboarding\.welcom\b") as raised:
        catalog.text("en", "onboarding.welcom", name="A", emergency_number="1")
    assert isinstance(raised.value, UnknownKeyError)
    assert raised.value.key == "onboarding.welcom"


def test_missing_value_raises_naming_key_and_placeholder(catalog: Catalog) -> None:
    with pytest.raises(MissingPlaceholderError, match=r"'onboarding\.welcome'.*emergency_number"):
        catalog.text("en", "onboarding.welcome", name="Ana")


def test_every_declared_placeholder_needs_a_value_even_if_unused(
    write_catalog: WriteCatalog,
) -> None:
    # The en text only uses {name}; a translator may still use {emergency_number}, so code
    # that does not pass it is already wrong.
    root = write_catalog(
        {
            "en/onboarding.yaml": "welcome: Hi {name}\nconsent:\n  agree_button: OK\n",
            "zh-Hans/onboarding.yaml": "welcome: 你好 {name}\nconsent:\n  agree_button: 好\n",
        }
    )
    loaded = Catalog.load(root)
    with pytest.raises(MissingPlaceholderError) as raised:
        loaded.text("en", "onboarding.welcome", name="Ana")
    assert raised.value.missing == ("emergency_number",)
    assert loaded.text("en", "onboarding.welcome", name="Ana", emergency_number="1") == "Hi Ana"


def test_placeholders_may_be_named_locale_or_key(write_catalog: WriteCatalog) -> None:
    keys = "onboarding.welcome: [name, emergency_number]\n"
    keys += "onboarding.consent.agree_button: []\ncommon.unknown_input: [locale, key]\n"
    root = write_catalog(
        {
            "keys.yaml": keys,
            "en/common.yaml": "unknown_input: '{locale}/{key}'\n",
            "zh-Hans/common.yaml": "unknown_input: '{key}：{locale}'\n",
        }
    )
    rendered = Catalog.load(root).text("zh-Hans", "common.unknown_input", locale="L", key="K")
    assert rendered == "K：L"


def test_falls_back_to_en_when_the_locale_lacks_the_key() -> None:
    # A loaded catalog is complete; the fallback protects catalogs built another way.
    catalog = Catalog(
        locale_names={"en": "English", "zh-Hans": "简体中文"},
        placeholders={"a.b": ("name",), "a.c": ()},
        texts={"en": {"a.b": "Hi {name}", "a.c": "C"}, "zh-Hans": {"a.c": "丙"}},
    )
    assert catalog.text("zh-Hans", "a.b", name="X") == "Hi X"
    assert catalog.text("zh-Hans", "a.c") == "丙"


def test_text_resolves_a_locale_it_does_not_have(catalog: Catalog) -> None:
    assert catalog.text("zh-CN", "onboarding.consent.agree_button") == "我同意"
    assert catalog.text("fr", "onboarding.consent.agree_button") == "I agree"


# --- locale resolution -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [
        ("en", "en"),
        ("zh-Hans", "zh-Hans"),
        ("zh-hans", "zh-Hans"),
        ("ZH-HANS", "zh-Hans"),
        ("zh-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh_CN", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("zh-TW", "zh-Hans"),  # the only Chinese there is beats English
        ("zh-Hant-HK", "zh-Hans"),
        ("en-GB", "en"),
        ("en-US", "en"),
        ("fr", "en"),
        ("pt-br", "en"),
        ("", "en"),
        ("  ", "en"),
        (None, "en"),
    ],
)
def test_resolve_locale(catalog: Catalog, language_code: str | None, expected: str) -> None:
    assert catalog.resolve_locale(language_code) == expected


@pytest.mark.parametrize(
    ("language_code", "expected"),
    [
        ("zh-CN", "zh-Hans"),
        ("zh-SG", "zh-Hans"),
        ("zh-TW", "zh-Hant"),
        ("zh-HK", "zh-Hant"),
        ("zh-MO", "zh-Hant"),
        ("zh-Hant-TW", "zh-Hant"),
        ("zh-hans-hk", "zh-Hans"),  # an explicit script beats the region's usual one
        ("zh", "zh-Hans"),  # first listed Chinese
        ("pt", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("pt-br", "pt-BR"),
        ("es-419", "es"),
        ("es-MX", "es"),
    ],
)
def test_best_locale_with_both_chinese_scripts(language_code: str, expected: str) -> None:
    supported = ["en", "zh-Hans", "zh-Hant", "pt-BR", "es"]
    assert best_locale(language_code, supported, "en") == expected
