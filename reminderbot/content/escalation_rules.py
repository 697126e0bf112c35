"""Loading messages/rules/escalation.yaml: check-in thresholds and the red-flag table.

The schema is in rules_schema.py; here are the checks across entries and against keys.yaml.
"""

from __future__ import annotations

from pathlib import Path

from reminderbot.care.escalation import EscalationRules, RedFlag, red_flag
from reminderbot.content.conventions import KEYS_FILE
from reminderbot.content.data_files import DataFile, raise_first, read_data_file
from reminderbot.content.declarations import KeysFile, read_keys
from reminderbot.content.problems import Problem
from reminderbot.content.rules_schema import EscalationFile
from reminderbot.content.yaml_loading import Located
from reminderbot.paths import messages_dir

ESCALATION_RULES_FILE = "rules/escalation.yaml"
# The check-in renders every red-flag text with exactly these values, so a text declaring any
# other placeholder would fail at the moment a patient needs it.
PASSED_PLACEHOLDERS = frozenset({"care_team_contact", "emergency_number"})


def check_escalation_rules(root: Path | None = None) -> list[Problem]:
    """Return every problem in `rules/escalation.yaml`, keys.yaml's first if it is unusable."""
    problems, _ = _read(root or messages_dir())
    return problems


def load_escalation_rules(root: Path | None = None) -> EscalationRules:
    """Load and validate `rules/escalation.yaml`; raises ContentDataError naming file and line."""
    problems, rules = _read(root or messages_dir())
    raise_first(problems)
    assert rules is not None  # no problems means every check passed
    return rules


def _read(root: Path) -> tuple[list[Problem], EscalationRules | None]:
    expected = "thresholds, timing, red_flags"
    read = read_data_file(root, ESCALATION_RULES_FILE, EscalationFile, expected)
    if read.model is None or read.tree is None:
        return read.problems, None
    key_problems: list[Problem] = []
    declared = read_keys(root, key_problems)
    if not declared.usable:
        # Without keys.yaml the red flags' texts cannot be checked; its own problem says why.
        return key_problems[:1], None
    model = read.model
    _check_red_flags(read, _red_flag_nodes(read.tree), declared)
    if read.problems:
        return read.problems, None
    flags = tuple(red_flag(flag.id, flag.tier, flag.requires_tags) for flag in model.red_flags)
    rules = EscalationRules(
        red_flags=flags, **model.thresholds.model_dump(), **model.timing.model_dump()
    )
    return [], rules


def _red_flag_nodes(tree: Located) -> list[Located]:
    fields = tree.value
    assert isinstance(fields, dict) and isinstance(fields["red_flags"].value, list)
    return fields["red_flags"].value


def _check_red_flags(
    read: DataFile[EscalationFile], nodes: list[Located], declared: KeysFile
) -> None:
    assert read.model is not None  # called only on a file the schema accepted
    first_line: dict[str, int] = {}
    for entry, node in zip(read.model.red_flags, nodes, strict=True):
        fields = node.value
        assert isinstance(fields, dict)
        line = fields["id"].line
        if entry.id in first_line:
            first = first_line[entry.id]
            read.fail(line, f"duplicate red flag id {entry.id!r} (first on line {first})")
            continue
        first_line[entry.id] = line
        flag: RedFlag = red_flag(entry.id, entry.tier, entry.requires_tags)
        for key in (flag.question_key, flag.advice_key):
            message = _key_problem(key, declared, entry.id)
            if message is not None:
                read.fail(line, message)
                break


def _key_problem(key: str, declared: KeysFile, flag_id: str) -> str | None:
    if key in declared.broken:
        return None  # keys.yaml's own problem says what is wrong with it
    if key not in declared.keys:
        return (
            f"red flag {flag_id!r} needs the text {key!r}, which is not declared in "
            f"messages/{KEYS_FILE}; add it there and to every locale"
        )
    extra = sorted(set(declared.keys[key].placeholders) - PASSED_PLACEHOLDERS)
    if extra:
        return (
            f"{key!r} declares placeholder(s) {', '.join(extra)} in messages/{KEYS_FILE}; "
            f"a check-in can only pass {', '.join(sorted(PASSED_PLACEHOLDERS))}"
        )
    return None
