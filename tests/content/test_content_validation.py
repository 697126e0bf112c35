"""Each validation rule, tested with a catalog that breaks exactly that rule."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from reminderbot.content import Problem, ProblemList, check_catalog

WriteCatalog = Callable[..., Path]

EN_COMMON = "en/common.yaml"
EN_ONBOARDING = "en/onboarding.yaml"
ZH_ONBOARDING = "zh-Hans/onboarding.yaml"
ZH_COMMON = "zh-Hans/common.yaml"


def only(problems: list[Problem]) -> Problem:
    """Return the single problem found, failing with the whole list otherwise."""
    assert len(problems) == 1, "\n".join(str(p) for p in problems)
    return problems[0]


def where(problem: Problem) -> tuple[str, int | None, str | None]:
    """Return the (file, line, key) a problem points at."""
    return (problem.file, problem.line, problem.key)


# --- the valid baseline ----------------------------------------------------------------------


def test_valid_catalog_has_no_problems(write_catalog: WriteCatalog) -> None:
    problems = check_catalog(write_catalog())
    assert problems == []
    assert isinstance(problems, ProblemList)
    assert (problems.locale_count, problems.key_count) == (2, 3)


def test_folders_not_listed_in_locales_yaml_are_ignored(write_catalog: WriteCatalog) -> None:
    # programs/default.yaml in the baseline is broken YAML; an unlisted locale may be too.
    root = write_catalog({"fr/common.yaml": "unknown_input: [broken\n"})
    assert check_catalog(root) == []


# --- YAML structure --------------------------------------------------------------------------


def test_yaml_syntax_error_names_file_and_line(write_catalog: WriteCatalog) -> None:
    root = write_catalog({EN_COMMON: "unknown_input: fine\nbroken: a: b\n"})
    problem = only(check_catalog(root))
    assert where(problem) == (EN_COMMON, 2, None)
    assert problem.severity == "error"
    assert problem.message.startswith("YAML syntax error: mapping values are not allowed")


def test_unclosed_quote_reports_where_the_string_started(write_catalog: WriteCatalog) -> None:
    root = write_catalog({EN_COMMON: 'unknown_input: "never closed\n\n\nother: x\n'})
    problem = only(check_catalog(root))
    assert problem.file == EN_COMMON
    assert "started on line 1" in problem.message


def test_invalid_utf8_names_the_line(write_catalog: WriteCatalog) -> None:
    root = write_catalog({EN_COMMON: b"# comment\nunknown_input: caf\xe9\n"})
    problem = only(check_catalog(root))
    assert where(problem) == (EN_COMMON, 2, None)
    assert "UTF-8" in problem.message


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("- unknown_input\n- other\n", 1),
        ("just a sentence\n", 1),
        ("\n# only a comment\n", None),
    ],
    ids=["list", "string", "empty"],
)
def test_top_level_must_be_a_mapping(
    write_catalog: WriteCatalog, content: str, line: int | None
) -> None:
    problem = only(check_catalog(write_catalog({EN_COMMON: content})))
    assert where(problem) == (EN_COMMON, line, None)
    assert "expected a mapping" in problem.message


@pytest.mark.parametrize(
    ("value", "described"),
    [
        ("5", "the number 5"),
        ("2.5", "the number 2.5"),
        ("[a, b]", "a list"),
        ("", "empty (null)"),
        ("~", "empty (null)"),
        ("yes", "the boolean true"),
        ("2024-01-31", "the date 2024-01-31"),
    ],
    ids=["int", "float", "list", "empty", "null", "boolean", "date"],
)
def test_leaf_that_is_not_a_string(write_catalog: WriteCatalog, value: str, described: str) -> None:
    root = write_catalog({EN_COMMON: f"# texts\nunknown_input: {value}\n"})
    problem = only(check_catalog(root))
    assert where(problem) == (EN_COMMON, 2, "common.unknown_input")
    assert problem.message.startswith(f"not a string: {described}")


def test_duplicate_key_is_detected(write_catalog: WriteCatalog) -> None:
    en = (
        "welcome: |\n  Hello {name}! Call {emergency_number}.\n"
        "consent:\n  agree_button: I agree\n"
        "welcome: Hi {name}, call {emergency_number}\n"  # line 5: PyYAML would keep this one
    )
    problem = only(check_catalog(write_catalog({EN_ONBOARDING: en})))
    assert where(problem) == (EN_ONBOARDING, 5, "onboarding.welcome")
    assert "duplicate key 'welcome' (first on line 1)" in problem.message


def test_nested_duplicate_key_names_the_full_key(write_catalog: WriteCatalog) -> None:
    en = (
        "welcome: Hello {name}, call {emergency_number}\n"
        "consent:\n  agree_button: I agree\n  agree_button: OK\n"
    )
    problem = only(check_catalog(write_catalog({EN_ONBOARDING: en})))
    assert where(problem) == (EN_ONBOARDING, 4, "onboarding.consent.agree_button")
    assert "duplicate key" in problem.message


@pytest.mark.parametrize(
    ("line_text", "key", "hint"),
    [
        ("Unknown_Input: Hi", "common.Unknown_Input", "must use only a-z, 0-9 and _"),
        ("unknown-input: Hi", "common.unknown-input", "must use only a-z, 0-9 and _"),
        ("consent.agree: Hi", "common.consent.agree", "nest mappings instead of using dots"),
        ("'': Hi", "common.", "must use only a-z, 0-9 and _"),
    ],
    ids=["uppercase", "hyphen", "dot", "empty"],
)
def test_key_segment_must_be_lowercase_name(
    write_catalog: WriteCatalog, line_text: str, key: str, hint: str
) -> None:
    en = f'unknown_input: "Sorry"\n{line_text}\n'
    problem = only(check_catalog(write_catalog({EN_COMMON: en})))
    assert where(problem) == (EN_COMMON, 2, key)
    assert hint in problem.message


def test_nested_key_segment_is_checked(write_catalog: WriteCatalog) -> None:
    en = (
        "welcome: Hello {name}, call {emergency_number}\n"
        "consent:\n  agree_button: I agree\n  Decline: No\n"
    )
    problem = only(check_catalog(write_catalog({EN_ONBOARDING: en})))
    assert where(problem) == (EN_ONBOARDING, 4, "onboarding.consent.Decline")


def test_file_name_must_be_a_key_segment(write_catalog: WriteCatalog) -> None:
    problem = only(check_catalog(write_catalog({"en/Extra-Texts.yaml": "a: b\n"})))
    assert where(problem) == ("en/Extra-Texts.yaml", None, None)
    assert "not a key segment" in problem.message


def test_yes_and_no_keys_are_names_not_booleans(write_catalog: WriteCatalog) -> None:
    # YAML 1.1 reads a bare `no:` key as False; a catalog key is always the text as written.
    keys = "onboarding.welcome: [name, emergency_number]\nonboarding.consent.agree_button: []\n"
    keys += "common.unknown_input: []\ncommon.no: []\ncommon.on: []\n"
    root = write_catalog(
        {
            "keys.yaml": keys,
            EN_COMMON: 'unknown_input: "?"\nno: "No"\non: "On"\n',
            ZH_COMMON: 'unknown_input: "?"\nno: "不"\non: "开"\n',
        }
    )
    assert check_catalog(root) == []


# --- keys against keys.yaml ------------------------------------------------------------------


def test_reference_locale_missing_a_declared_key(write_catalog: WriteCatalog) -> None:
    en = "welcome: |\n  Hello {name}!\n  Call {emergency_number}.\n"
    problem = only(check_catalog(write_catalog({EN_ONBOARDING: en})))
    assert where(problem) == (EN_ONBOARDING, None, "onboarding.consent.agree_button")
    assert problem.message == "missing text (declared in messages/keys.yaml:2)"


def test_translation_missing_a_key_says_where_en_has_it(write_catalog: WriteCatalog) -> None:
    zh = "welcome: |\n  你好，{name}！\n  紧急情况请拨打 {emergency_number}。\n"
    problem = only(check_catalog(write_catalog({ZH_ONBOARDING: zh})))
    assert where(problem) == (ZH_ONBOARDING, None, "onboarding.consent.agree_button")
    assert problem.message == "missing text; en has it in messages/en/onboarding.yaml:5"


def test_translation_missing_a_whole_file(write_catalog: WriteCatalog) -> None:
    problem = only(check_catalog(write_catalog({ZH_COMMON: None})))
    assert where(problem) == (ZH_COMMON, None, "common.unknown_input")
    assert "en has it in messages/en/common.yaml:1" in problem.message


def test_key_not_declared_in_keys_yaml(write_catalog: WriteCatalog) -> None:
    en = 'unknown_input: "Sorry"\nunknown_inptu: "Sorry again"\n'
    problem = only(check_catalog(write_catalog({EN_COMMON: en})))
    assert where(problem) == (EN_COMMON, 2, "common.unknown_inptu")
    assert problem.message.startswith("not used by the bot — a typo?")
    assert "did you mean common.unknown_input?" in problem.message


def test_unparseable_file_does_not_also_report_its_keys_missing(
    write_catalog: WriteCatalog,
) -> None:
    problems = check_catalog(write_catalog({ZH_ONBOARDING: "welcome: [\n"}))
    assert [p.key for p in problems] == [None]


# --- placeholders ----------------------------------------------------------------------------


def test_unknown_placeholder(write_catalog: WriteCatalog) -> None:
    en = "welcome: Hello {nme}, call {emergency_number}\nconsent:\n  agree_button: OK\n"
    problem = only(check_catalog(write_catalog({EN_ONBOARDING: en})))
    assert where(problem) == (EN_ONBOARDING, 1, "onboarding.welcome")
    assert str(problem) == (
        "messages/en/onboarding.yaml:1: onboarding.welcome: "
        "unknown placeholder {nme} (allowed: name, emergency_number)"
    )


def test_placeholder_in_a_key_that_allows_none(write_catalog: WriteCatalog) -> None:
    problem = only(check_catalog(write_catalog({EN_COMMON: "unknown_input: Hi {name}\n"})))
    assert where(problem) == (EN_COMMON, 1, "common.unknown_input")
    assert problem.message == "unknown placeholder {name} (allowed: none)"


@pytest.mark.parametrize(
    ("en_welcome", "zh_welcome", "difference"),
    [
        ("Hello {name}, call {emergency_number}", "你好，{name}", "lacks {emergency_number}"),
        ("Hello {name}", "你好，{name}，请拨打 {emergency_number}", "adds {emergency_number}"),
        (
            "Hello {name}",
            "你好，请拨打 {emergency_number}",
            "lacks {name}; adds {emergency_number}",
        ),
    ],
    ids=["lacks", "adds", "both"],
)
def test_translation_must_use_the_same_placeholders_as_en(
    write_catalog: WriteCatalog, en_welcome: str, zh_welcome: str, difference: str
) -> None:
    root = write_catalog(
        {
            EN_ONBOARDING: f"welcome: {en_welcome}\nconsent:\n  agree_button: I agree\n",
            ZH_ONBOARDING: f"consent:\n  agree_button: 我同意\nwelcome: {zh_welcome}\n",
        }
    )
    problem = only(check_catalog(root))
    assert where(problem) == (ZH_ONBOARDING, 3, "onboarding.welcome")
    assert "placeholders differ from en (messages/en/onboarding.yaml:1)" in problem.message
    assert difference in problem.message


def test_placeholders_may_appear_in_a_different_order_or_repeat(
    write_catalog: WriteCatalog,
) -> None:
    zh = "welcome: 请拨打 {emergency_number}，{name}。{name}！\nconsent:\n  agree_button: 我同意\n"
    assert check_catalog(write_catalog({ZH_ONBOARDING: zh})) == []


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Sorry {}", "positional placeholder {}"),
        ("Sorry {0}", "positional placeholder {0}"),
        ("Sorry {user.name}", "attribute or index placeholder {user.name}"),
        ("Sorry {items[0]}", "attribute or index placeholder {items[0]}"),
        ("Sorry {name!r}", "conversion !r in {name!r}"),
        ("Sorry {name:>10}", "format spec in {name:>10}"),
        ("Sorry { name }", "invalid placeholder { name }"),
        ("Sorry }", "malformed braces: Single '}'"),
        ("Sorry {", "malformed braces"),
    ],
    ids=["empty", "index", "attribute", "item", "conversion", "spec", "spaces", "close", "open"],
)
def test_placeholder_syntax_errors(write_catalog: WriteCatalog, text: str, fragment: str) -> None:
    root = write_catalog({EN_COMMON: f"# common texts\nunknown_input: '{text}'\n"})
    problem = only(check_catalog(root))
    assert where(problem) == (EN_COMMON, 2, "common.unknown_input")
    assert fragment in problem.message


# --- keys.yaml -------------------------------------------------------------------------------

KEYS = "keys.yaml"
BASE_KEYS = (
    "onboarding.welcome: [name, emergency_number]\n"
    "onboarding.consent.agree_button: []\n"
    "common.unknown_input: []\n"
)


@pytest.mark.parametrize(
    ("keys", "line", "key", "fragment"),
    [
        (
            "onboarding.welcome: [name, emergency_number]\n"
            "onboarding.consent.agree_button: []\n"
            "common.unknown_input: name\n",
            3,
            "common.unknown_input",
            "expected a list of placeholder names",
        ),
        (
            "onboarding.welcome: [name, emergency_number]\n"
            "onboarding.consent.agree_button: []\n"
            "common.unknown_input:\n",
            3,
            "common.unknown_input",
            "got empty (null)",
        ),
        (
            "onboarding.welcome:\n  - name\n  - first name\n"
            "onboarding.consent.agree_button: []\ncommon.unknown_input: []\n",
            3,
            "onboarding.welcome",
            "placeholder 'first name' is not a name",
        ),
        (
            "onboarding.welcome: [name, name]\n"
            "onboarding.consent.agree_button: []\ncommon.unknown_input: []\n",
            1,
            "onboarding.welcome",
            "placeholder name listed twice",
        ),
        (BASE_KEYS + "welcome: []\n", 4, "welcome", "a key is <file>.<name>"),
        (BASE_KEYS + "common.Help: []\n", 4, "common.Help", "a key is <file>.<name>"),
        (
            BASE_KEYS + "common.unknown_input: [name]\n",
            4,
            "common.unknown_input",
            "duplicate key 'common.unknown_input' (first on line 3)",
        ),
    ],
    ids=["not-a-list", "null", "bad-placeholder", "repeated", "one-segment", "upper", "duplicate"],
)
def test_malformed_keys_yaml_entry(
    write_catalog: WriteCatalog, keys: str, line: int, key: str, fragment: str
) -> None:
    problem = only(check_catalog(write_catalog({KEYS: keys})))
    assert where(problem) == (KEYS, line, key)
    assert fragment in problem.message


@pytest.mark.parametrize(
    ("keys", "line", "fragment"),
    [
        ("- onboarding.welcome\n", 1, "expected a mapping of keys to placeholder lists"),
        ("onboarding.welcome: [name\n", 2, "YAML syntax error"),
        ("", None, "file is empty"),
        (None, None, "file not found"),
    ],
    ids=["list", "syntax", "empty", "absent"],
)
def test_unusable_keys_yaml(
    write_catalog: WriteCatalog, keys: str | None, line: int | None, fragment: str
) -> None:
    # Without the contract no key can be called missing or undeclared: one problem, not dozens.
    problem = only(check_catalog(write_catalog({KEYS: keys})))
    assert where(problem) == (KEYS, line, None)
    assert fragment in problem.message


def test_key_declared_both_as_text_and_as_group(write_catalog: WriteCatalog) -> None:
    keys = BASE_KEYS + "onboarding.consent: []\n"
    problems = check_catalog(write_catalog({KEYS: keys}))
    conflict = [p for p in problems if p.file == KEYS]
    assert [where(p) for p in conflict] == [(KEYS, 2, "onboarding.consent.agree_button")]
    assert "onboarding.consent is declared as a text on line 4" in conflict[0].message


# --- locales.yaml ----------------------------------------------------------------------------

LOCALES = "locales.yaml"


def test_listed_locale_without_a_folder(write_catalog: WriteCatalog) -> None:
    root = write_catalog(
        {LOCALES: "en:\n  name: English\nzh-Hans:\n  name: 简体中文\nfr: {name: Français}\n"}
    )
    problem = only(check_catalog(root))
    assert where(problem) == (LOCALES, 5, None)
    assert problem.message == "locale fr is listed but the folder fr/ does not exist"


@pytest.mark.parametrize(
    ("locales", "line", "fragment"),
    [
        ("zh-Hans: {name: 简体中文}\n", None, "the reference locale en is not listed"),
        ("en: {name: English}\nzh-Hans: {}\n", 2, "locale zh-Hans: name must be"),
        ("en: {name: English}\nzh-Hans: Chinese\n", 2, "expected a mapping like {name: ...}"),
        (
            "en: {name: English}\nzh-Hans: {name: 简体中文}\nZH-hans: {name: x}\n",
            3,
            "is not a locale code",
        ),
        (
            "en: {name: English}\nzh-Hans: {name: 简体中文}\nzh-hans: {name: x}\n",
            3,
            "differs only in case",
        ),
        (
            "en: {name: English}\nzh-Hans: {name: 简体中文}\nen: {name: E}\n",
            3,
            "duplicate key 'en'",
        ),
        ("- en\n- zh-Hans\n", 1, "expected a mapping of locale codes"),
        (None, None, "file not found"),
    ],
    ids=["no-en", "no-name", "not-mapping", "bad-code", "case", "duplicate", "list", "absent"],
)
def test_malformed_locales_yaml(
    write_catalog: WriteCatalog, locales: str | None, line: int | None, fragment: str
) -> None:
    problem = only(check_catalog(write_catalog({LOCALES: locales})))
    assert where(problem) == (LOCALES, line, None)
    assert fragment in problem.message


def test_en_texts_are_still_checked_when_locales_yaml_is_unusable(
    write_catalog: WriteCatalog,
) -> None:
    root = write_catalog({LOCALES: None, EN_COMMON: "unknown_input: {x}\n"})
    assert {p.file for p in check_catalog(root)} == {LOCALES, EN_COMMON}


# --- Telegram's length limit -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "too_long"),
    [
        ("a" * 4096, False),
        ("a" * 4097, True),
        ("я" * 4096, False),  # Cyrillic: two bytes in UTF-8, one unit for Telegram
        ("😀" * 2048, False),  # outside the BMP: two UTF-16 units each
        ("😀" * 2049, True),
    ],
    ids=["at-limit", "over", "cyrillic-at-limit", "emoji-at-limit", "emoji-over"],
)
def test_text_longer_than_telegram_allows(
    write_catalog: WriteCatalog, text: str, too_long: bool
) -> None:
    problems = check_catalog(write_catalog({EN_COMMON: f'unknown_input: "{text}"\n'}))
    if too_long:
        problem = only(problems)
        assert where(problem) == (EN_COMMON, 1, "common.unknown_input")
        assert "Telegram allows 4096" in problem.message
    else:
        assert problems == []


def test_length_counts_placeholder_values(write_catalog: WriteCatalog) -> None:
    # 4000 literal characters fit; with two 64-character values (4128) they do not.
    literal = "x" * 4000
    fits = f"welcome: '{literal}'\nconsent:\n  agree_button: OK\n"
    too_long = f"welcome: '{literal}{{name}}{{emergency_number}}'\nconsent:\n  agree_button: OK\n"
    zh = "welcome: '{name}{emergency_number}'\nconsent:\n  agree_button: OK\n"
    assert check_catalog(write_catalog({EN_ONBOARDING: fits, ZH_ONBOARDING: fits})) == []
    problem = only(check_catalog(write_catalog({EN_ONBOARDING: too_long, ZH_ONBOARDING: zh})))
    assert where(problem) == (EN_ONBOARDING, 1, "onboarding.welcome")
    assert "text is 4128 characters" in problem.message


# --- warnings, ordering, robustness ----------------------------------------------------------


def test_empty_text_is_a_warning(write_catalog: WriteCatalog) -> None:
    problem = only(check_catalog(write_catalog({EN_COMMON: 'unknown_input: ""\n'})))
    assert where(problem) == (EN_COMMON, 1, "common.unknown_input")
    assert problem.severity == "warning"


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("en/extra.yml", "rename it to extra.yaml"), ("en/notes.txt", "only *.yaml files are read")],
)
def test_ignored_file_in_a_locale_folder_is_a_warning(
    write_catalog: WriteCatalog, name: str, fragment: str
) -> None:
    problem = only(check_catalog(write_catalog({name: "a: b\n"})))
    assert where(problem) == (name, None, None)
    assert problem.severity == "warning"
    assert fragment in problem.message


def test_problems_are_sorted_by_file_then_line(write_catalog: WriteCatalog) -> None:
    root = write_catalog(
        {
            ZH_COMMON: "unknown_input: '{b}'\nextra: x\n",
            EN_ONBOARDING: "consent:\n  agree_button: '{x}'\nwelcome: '{y}'\n",
            "keys.yaml": BASE_KEYS + "bad: []\n",
        }
    )
    problems = check_catalog(root)
    assert [(p.file, p.line) for p in problems] == [
        (EN_ONBOARDING, 2),
        (EN_ONBOARDING, 3),
        ("keys.yaml", 4),
        (ZH_COMMON, 1),
        (ZH_COMMON, 2),
    ]


def test_missing_root_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    problem = only(check_catalog(tmp_path / "nowhere"))
    assert where(problem) == ("", None, None)
    assert "catalog folder not found" in problem.message
    (tmp_path / "file").write_text("x")
    assert len(check_catalog(tmp_path / "file")) == 1


def test_absent_locales_yaml_and_absent_en_folder_give_one_problem(
    write_catalog: WriteCatalog,
) -> None:
    root = write_catalog({LOCALES: None, EN_COMMON: None, EN_ONBOARDING: None})
    assert where(only(check_catalog(root))) == (LOCALES, None, None)
