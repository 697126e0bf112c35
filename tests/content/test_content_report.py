"""The report printed by `reminderbot content check`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reminderbot.content import Problem, check_catalog, format_report

WriteCatalog = Callable[..., Path]


def test_problem_str_is_one_precise_line() -> None:
    problem = Problem("error", "en/a.yaml", 3, "a.b", "bad\nthing")
    assert str(problem) == "messages/en/a.yaml:3: a.b: bad\\nthing"
    assert str(Problem("error", "keys.yaml", None, None, "x")) == "messages/keys.yaml: x"
    assert str(Problem("warning", "en/n.txt", None, None, "ignored")) == (
        "messages/en/n.txt: warning: ignored"
    )


def test_report_lists_problems_then_counts(write_catalog: WriteCatalog) -> None:
    root = write_catalog(
        {
            "en/common.yaml": "unknown_input: Hi {x}\n",
            "zh-Hans/common.yaml": "unknown_input: 5\n",
            "en/notes.txt": "scratch",
        }
    )
    lines = format_report(check_catalog(root)).splitlines()
    assert lines == [
        "messages/en/common.yaml:1: common.unknown_input: unknown placeholder {x} (allowed: none)",
        "messages/en/notes.txt: warning: file ignored: only *.yaml files are read",
        "messages/zh-Hans/common.yaml:1: common.unknown_input: not a string: the number 5; "
        "put the text in quotes",
        "2 errors, 1 warning",
    ]


def test_report_of_a_clean_catalog_gives_its_size(write_catalog: WriteCatalog) -> None:
    assert format_report(check_catalog(write_catalog())) == "catalog OK: 2 locales, 3 keys"


def test_report_counts_are_singular_when_one() -> None:
    problem = Problem("error", "keys.yaml", 1, None, "x")
    assert format_report([problem]).splitlines()[-1] == "1 error"
    assert format_report([]) == "catalog OK"
    warning = Problem("warning", "en/x.yml", None, None, "ignored")
    assert format_report([warning]).splitlines()[-1] == "catalog OK (1 warning)"
