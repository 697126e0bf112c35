"""The schema models report each mistake in a catalog data file as file:line, like the texts."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from reminderbot.content.calcium_rules import load_calcium_ranges
from reminderbot.content.checks import check_all
from reminderbot.content.data_files import ContentDataError
from reminderbot.content.escalation_rules import load_escalation_rules
from reminderbot.content.programs import load_programs, load_suggested_timezones
from reminderbot.paths import messages_dir


@pytest.fixture
def draft(tmp_path: Path) -> Path:
    """Return a copy of the shipped catalog to break."""
    return Path(shutil.copytree(messages_dir(), tmp_path / "messages"))


def line_of(root: Path, relative: str, start: str) -> int:
    """Return the number of the first line starting with `start`."""
    lines = (root / relative).read_text(encoding="utf-8").split("\n")
    return next(i for i, line in enumerate(lines) if line.startswith(start)) + 1


def replace_line(root: Path, relative: str, old: str, new: str) -> int:
    """Replace the first line starting with `old` by `new`; return its line number."""
    path = root / relative
    lines = path.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(old))
    lines[index] = new
    path.write_text("\n".join(lines), encoding="utf-8")
    return index + 1


def report_lines(root: Path) -> list[str]:
    """Return `content check`'s report on `root`, line by line; it must have failed."""
    report, ok = check_all(root)
    assert not ok, report
    return report.splitlines()


def test_unknown_field_in_a_tip_is_reported_at_its_line(draft: Path) -> None:
    file = "en/tips/protein.yaml"
    first_id = next(
        line.removeprefix("- id: ")
        for line in (draft / file).read_text(encoding="utf-8").splitlines()
        if line.startswith("- id: ")
    )
    line = replace_line(draft, file, "  tags: []", "  tags: []\n  colour: red") + 1
    assert (
        f"messages/{file}:{line}: {first_id}: unknown field 'colour'; "
        "a tip has id, topic, text, source, review_by, tags"
    ) in report_lines(draft)


@pytest.mark.parametrize(
    ("file", "old", "new", "message", "load"),
    [
        (
            "rules/escalation.yaml",
            "  followup_hours:",
            "  followup_hours: soon",
            "followup_hours must be a number (hours, above 0 and at most 168), not 'soon'",
            load_escalation_rules,
        ),
        (
            "rules/calcium.yaml",
            "  low_g1:",
            "  low_g1: 1.5",
            "tier of low_g1 must be a whole number 0-3, not 1.5",
            load_calcium_ranges,
        ),
        (
            "rules/escalation.yaml",
            "    tier: 3",
            "    tier: [3]",
            "unknown tier [3] for red flag 'mscc'; use 1 (review), 2 (urgent, today) or 3 "
            "(emergency)",
            load_escalation_rules,
        ),
    ],
    ids=["text-for-a-number", "fraction-for-a-tier", "list-for-a-tier"],
)
def test_wrong_type_in_a_rule_table_is_reported_at_its_line(
    draft: Path, file: str, old: str, new: str, message: str, load: Callable[[Path], object]
) -> None:
    line = replace_line(draft, file, old, new)
    assert f"messages/{file}:{line}: {message}" in report_lines(draft)
    with pytest.raises(ContentDataError) as caught:
        load(draft)
    assert (caught.value.file, caught.value.line, caught.value.message) == (file, line, message)


def test_missing_field_in_a_program_is_reported_at_its_schedule(draft: Path) -> None:
    file = "programs/default.yaml"
    schedule = line_of(draft, file, "  - kind: checkin")
    replace_line(draft, file, "    time_slot: checkin", "    # time_slot removed")
    message = "a schedule is missing 'time_slot'"
    assert f"messages/{file}:{schedule}: {message}" in report_lines(draft)
    with pytest.raises(ContentDataError) as caught:
        load_programs(draft)
    assert (caught.value.file, caught.value.line, caught.value.message) == (
        file,
        schedule,
        message,
    )


def test_every_problem_of_a_data_file_is_reported_not_only_the_first(draft: Path) -> None:
    file = "programs/default.yaml"
    kind = replace_line(draft, file, "  - kind: calcium", "  - kind: calcum")
    time = replace_line(draft, file, '    default_time: "18:00"', "    default_time: 18:00")
    lines = report_lines(draft)
    assert f"messages/{file}:{kind}: kind 'calcum' is not one of tip, checkin, calcium" in lines
    # Unquoted, YAML 1.1 reads 18:00 as the sexagesimal number 1080.
    assert (
        f'messages/{file}:{time}: default_time must be a time in quotes like "09:00", '
        "got the number 1080; put the text in quotes"
    ) in lines


def test_unknown_field_in_a_rule_table_suggests_the_right_name(draft: Path) -> None:
    file = "rules/escalation.yaml"
    line = replace_line(draft, file, "  followup_hours:", "  folowup_hours: 4")
    lines = report_lines(draft)
    assert any(
        entry.startswith(f"messages/{file}:{line}: unknown field 'folowup_hours' in 'timing'")
        and entry.endswith("did you mean followup_hours?")
        for entry in lines
    ), lines


def test_an_unknown_time_zone_is_reported_at_its_line(draft: Path) -> None:
    file = "timezones.yaml"
    line = replace_line(draft, file, "- Europe/Berlin", "- Europe/Berlln")
    message = "'Europe/Berlln' is not a known IANA time zone"
    assert f"messages/{file}:{line}: {message}" in report_lines(draft)
    with pytest.raises(ContentDataError) as caught:
        load_suggested_timezones(draft)
    assert (caught.value.line, caught.value.message) == (line, message)
