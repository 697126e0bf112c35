"""The YAML reader: line marks, duplicate keys and the traps PyYAML's safe_load hides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from reminderbot.content.yaml_loading import Located, load_yaml, parse_yaml


def values(located: Located | None) -> object:
    """Strip the line numbers off a located tree."""
    assert located is not None
    if isinstance(located.value, dict):
        return {key: values(child) for key, child in located.value.items()}
    if isinstance(located.value, list):
        return [values(child) for child in located.value]
    return located.value


def test_lines_point_at_the_key_naming_each_value() -> None:
    loaded = parse_yaml("a: x\n\nb:\n  c: y\n  d:\n    'long text'\n")
    assert loaded.issues == []
    assert loaded.root is not None
    top = loaded.root.value
    assert isinstance(top, dict)
    assert (top["a"].line, top["b"].line) == (1, 3)
    nested = top["b"].value
    assert isinstance(nested, dict)
    assert (nested["c"].line, nested["d"].line) == (4, 5)


def test_duplicate_key_is_reported_where_plain_yaml_is_silent() -> None:
    text = "a: first\nb: x\na: second\n"
    assert yaml.safe_load(text) == {"a": "second", "b": "x"}  # the trap
    loaded = parse_yaml(text)
    assert [(i.line, i.path) for i in loaded.issues] == [(3, ("a",))]
    assert "first on line 1" in loaded.issues[0].message


def test_duplicates_in_flow_mappings_are_reported() -> None:
    loaded = parse_yaml("outer: {a: 1, a: 2}\n")
    assert [(i.line, i.path) for i in loaded.issues] == [(1, ("outer", "a"))]


def test_keys_are_read_as_written_not_as_booleans_or_numbers() -> None:
    assert values(parse_yaml("no: a\non: b\n1: c\nnull: d\n").root) == {
        "no": "a",
        "on": "b",
        "1": "c",
        "null": "d",
    }


def test_scalars_keep_their_yaml_types() -> None:
    text = "s: text\nn: 3\nb: off\nz:\nq: '3'\n"
    assert values(parse_yaml(text).root) == {"s": "text", "n": 3, "b": False, "z": None, "q": "3"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: |\n  one\n  two\n", "one\ntwo"),
        ("a: >\n  one\n  two\n", "one two"),
        ("a: |+\n  one\n\n", "one\n"),
        ("a: |-\n  one\n", "one"),
        ('a: "one\\n"\n', "one\n"),
        ("a: 'one '\n", "one "),
    ],
    ids=["literal", "folded", "keep", "strip", "quoted-newline", "quoted-space"],
)
def test_only_the_newline_a_block_scalar_adds_is_dropped(text: str, expected: str) -> None:
    assert values(parse_yaml(text).root) == {"a": expected}


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("a: 1\nb: c: d\n", 2, "mapping values are not allowed"),
        ("a:\n  - x\n b: y\n", 3, "did not find expected key"),
        ("a: 1\n---\nb: 2\n", 2, "expected a single document"),
        ("a: [1, 2\n", 2, "YAML syntax error"),
        ("a: ok\nb: bell\x07\n", 2, "U+0007 is not allowed"),
    ],
    ids=["mapping-value", "indentation", "two-documents", "unclosed-flow", "control-char"],
)
def test_syntax_errors_have_a_line(text: str, line: int, fragment: str) -> None:
    loaded = parse_yaml(text)
    assert loaded.root is None
    assert [issue.line for issue in loaded.issues] == [line]
    assert fragment in loaded.issues[0].message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("base: &b {x: 1}\nother:\n  <<: *b\n", "merge keys (<<) are not supported"),
        ("a: !custom value\n", "unsupported YAML value or tag !custom"),
        ("a: !!python/object:os.system x\n", "unsupported YAML value or tag"),
        ("? [a, b]\n: x\n", "a key must be a name"),
        ("a: &loop\n  b: *loop\n", "an alias refers to its own parent"),
    ],
    ids=["merge", "custom-tag", "python-tag", "complex-key", "recursive-alias"],
)
def test_constructs_a_catalog_cannot_use_are_reported(text: str, fragment: str) -> None:
    loaded = parse_yaml(text)
    assert [fragment in issue.message for issue in loaded.issues] == [True]


def test_anchors_and_aliases_still_work() -> None:
    assert values(parse_yaml("a: &t shared\nb: *t\n").root) == {"a": "shared", "b": "shared"}


def test_empty_document_has_no_root_and_no_issue() -> None:
    loaded = parse_yaml("# nothing here\n")
    assert (loaded.root, loaded.issues) == (None, [])


def test_bytes_with_bom_and_bad_utf8(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_bytes("\ufeffa: é\n".encode())
    assert values(load_yaml(good).root) == {"a": "é"}
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"a: 1\nb: \xff\n")
    assert [(i.line, "UTF-8" in i.message) for i in load_yaml(bad).issues] == [(2, True)]


def test_unreadable_file_is_an_issue(tmp_path: Path) -> None:
    loaded = load_yaml(tmp_path / "absent.yaml")
    assert loaded.root is None
    assert loaded.issues[0].message.startswith("cannot read file")


@pytest.mark.parametrize("text", ["a: !!int\n", "a: !!float x\n", "a: !!timestamp 2024-99-99\n"])
def test_explicit_tags_with_bad_values_are_issues_not_crashes(text: str) -> None:
    loaded = parse_yaml(text)
    assert [issue.line for issue in loaded.issues] == [1]
    assert "unsupported YAML value" in loaded.issues[0].message
