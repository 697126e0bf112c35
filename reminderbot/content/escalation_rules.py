"""Loading messages/rules/escalation.yaml: check-in thresholds and the red-flag table."""

from __future__ import annotations

import math
from pathlib import Path

from reminderbot.care.escalation import (
    MAX_SCORE,
    RED_FLAG_TIERS,
    EscalationRules,
    RedFlag,
    red_flag,
)
from reminderbot.content.conventions import KEY_SEGMENT, KEYS_FILE
from reminderbot.content.programs import ContentDataError
from reminderbot.content.yaml_loading import Located, load_yaml
from reminderbot.paths import messages_dir

ESCALATION_RULES_FILE = "rules/escalation.yaml"
_SECTIONS = ("thresholds", "timing", "red_flags")
_FLAG_FIELDS = ("id", "tier", "requires_tags")
# The check-in renders every red-flag text with exactly these values, so a text declaring any
# other placeholder would fail at the moment a patient needs it.
PASSED_PLACEHOLDERS = frozenset({"care_team_contact", "emergency_number"})

# name: (whole numbers only, lowest allowed, highest allowed, lowest is exclusive, hint)
_Spec = tuple[bool, float, float, bool, str]
_THRESHOLDS: dict[str, _Spec] = {
    "moderate_score": (True, 1, MAX_SCORE, False, "a pain score 1-10"),
    "severe_score": (True, 1, MAX_SCORE, False, "a pain score 1-10"),
    "worsening_min_rise": (False, 0, MAX_SCORE, True, "points on the 0-10 scale, above 0"),
    "worsening_min_ratio": (False, 0, 1, False, "a fraction 0-1; write 0.30 for 30 %"),
    "history_days": (True, 1, 365, False, "whole days, 1-365"),
    "screen_min_score": (True, 0, MAX_SCORE, False, "a pain score 0-10 (0 = always ask)"),
}
_TIMING: dict[str, _Spec] = {
    "followup_hours": (False, 0, 168, True, "hours, above 0 and at most 168"),
    "alert_repeat_minutes": (False, 0, 1440, True, "minutes, above 0 and at most 1440"),
    "nudge_after_hours": (False, 0, 168, True, "hours, above 0 and at most 168"),
    "missed_in_a_row": (True, 1, 100, False, "a whole number of check-ins, 1-100"),
}


def load_escalation_rules(root: Path | None = None) -> EscalationRules:
    """Load and validate `rules/escalation.yaml`; raises ContentDataError naming file and line."""
    root = root or messages_dir()
    loaded = load_yaml(root / ESCALATION_RULES_FILE)
    if loaded.issues:
        issue = loaded.issues[0]
        raise _error(issue.line, issue.message)
    if loaded.root is None:
        raise _error(None, f"the file is empty; expected {', '.join(_SECTIONS)}")
    sections = _fields(loaded.root, "the file", _SECTIONS)
    thresholds = _numbers(sections["thresholds"], "'thresholds'", _THRESHOLDS)
    moderate, severe = thresholds["moderate_score"], thresholds["severe_score"]
    if not moderate < severe:
        line = _fields(sections["thresholds"], "'thresholds'", _THRESHOLDS)["severe_score"].line
        raise _error(
            line, f"severe_score ({severe:g}) must be greater than moderate_score ({moderate:g})"
        )
    timing = _numbers(sections["timing"], "'timing'", _TIMING)
    flags = _red_flags(sections["red_flags"], _declared_keys(root))
    values = {**thresholds, **timing}
    try:
        return EscalationRules(
            red_flags=flags,
            worsening_min_rise=values["worsening_min_rise"],
            worsening_min_ratio=values["worsening_min_ratio"],
            history_days=int(values["history_days"]),
            severe_score=int(values["severe_score"]),
            moderate_score=int(values["moderate_score"]),
            screen_min_score=int(values["screen_min_score"]),
            followup_hours=values["followup_hours"],
            alert_repeat_minutes=values["alert_repeat_minutes"],
            nudge_after_hours=values["nudge_after_hours"],
            missed_in_a_row=int(values["missed_in_a_row"]),
        )
    except ValueError as exc:  # pragma: no cover - everything it checks is checked above
        raise _error(None, str(exc)) from None


def _error(line: int | None, message: str, file: str = ESCALATION_RULES_FILE) -> ContentDataError:
    return ContentDataError(file, line, message)


def _fields(
    node: Located, what: str, names: tuple[str, ...] | dict[str, _Spec]
) -> dict[str, Located]:
    """Return a mapping's children, insisting on exactly `names` (missing points at the parent)."""
    expected = ", ".join(names)
    if not isinstance(node.value, dict):
        raise _error(node.line, f"{what} must be a mapping of {expected}")
    children: dict[str, Located] = node.value
    for key, child in children.items():
        if key not in names:
            raise _error(child.line, f"unknown field {key!r} in {what}; expected {expected}")
    for name in names:
        if name not in children:
            raise _error(node.line, f"{what} is missing {name!r}")
    return children


def _numbers(node: Located, what: str, specs: dict[str, _Spec]) -> dict[str, float]:
    children = _fields(node, what, specs)
    values: dict[str, float] = {}
    for name, (whole, low, high, low_exclusive, hint) in specs.items():
        child = children[name]
        raw = child.value
        accepted = int if whole else int | float
        # bool is an int in Python, but `yes` is never a number a reviewer meant.
        if isinstance(raw, bool) or not isinstance(raw, accepted) or not math.isfinite(raw):
            kind = "a whole number" if whole else "a number"
            raise _error(child.line, f"{name} must be {kind} ({hint}), not {raw!r}")
        value = float(raw)
        too_low = value <= low if low_exclusive else value < low
        if too_low or value > high:
            raise _error(child.line, f"{name} = {value:g} is out of range: {hint}")
        values[name] = value
    return values


def _declared_keys(root: Path) -> dict[str, tuple[str, ...]]:
    """Return keys.yaml as key → placeholders, enough to check the red flags' texts exist."""
    loaded = load_yaml(root / KEYS_FILE)
    if loaded.issues:
        issue = loaded.issues[0]
        raise _error(issue.line, issue.message, KEYS_FILE)
    top = loaded.root.value if loaded.root is not None else None
    if not isinstance(top, dict):
        raise _error(None, "expected a mapping of keys to placeholder lists", KEYS_FILE)
    declared: dict[str, tuple[str, ...]] = {}
    for key, entry in top.items():
        items = entry.value if isinstance(entry.value, list) else []
        declared[key] = tuple(str(item.value) for item in items)
    return declared


def _red_flags(node: Located, declared: dict[str, tuple[str, ...]]) -> tuple[RedFlag, ...]:
    if not isinstance(node.value, list) or not node.value:
        raise _error(
            node.line, "'red_flags' must be a list of entries with id, tier, requires_tags"
        )
    flags: list[RedFlag] = []
    first_line: dict[str, int] = {}
    for entry in node.value:
        fields = _fields(entry, "a red flag", _FLAG_FIELDS)
        raw_id = fields["id"]
        flag_id = raw_id.value
        if not isinstance(flag_id, str) or not KEY_SEGMENT.fullmatch(flag_id):
            raise _error(
                raw_id.line, f"red flag id must be a name of a-z, 0-9 and _, not {flag_id!r}"
            )
        if flag_id in first_line:
            raise _error(
                raw_id.line,
                f"duplicate red flag id {flag_id!r} (first on line {first_line[flag_id]})",
            )
        first_line[flag_id] = raw_id.line
        tier = fields["tier"].value
        # `1.0` and `true` compare equal to a tier; only a written whole number is meant.
        if not isinstance(tier, int) or isinstance(tier, bool) or tier not in RED_FLAG_TIERS:
            raise _error(
                fields["tier"].line,
                f"unknown tier {tier!r} for red flag {flag_id!r}; use 1 (review), "
                "2 (urgent, today) or 3 (emergency)",
            )
        flag = red_flag(flag_id, tier, _tags(fields["requires_tags"], flag_id))
        for key in (flag.question_key, flag.advice_key):
            _check_key(key, declared, flag_id, raw_id.line)
        flags.append(flag)
    return tuple(flags)


def _tags(node: Located, flag_id: str) -> frozenset[str]:
    if node.value is None:
        return frozenset()  # `requires_tags:` written with nothing after it
    if not isinstance(node.value, list):
        raise _error(node.line, f"requires_tags of {flag_id!r} must be a list like [on_opioids]")
    tags: set[str] = set()
    for item in node.value:
        if not isinstance(item.value, str) or not KEY_SEGMENT.fullmatch(item.value):
            raise _error(item.line, f"tag {item.value!r} is not a name of a-z, 0-9 and _")
        if item.value in tags:
            raise _error(item.line, f"tag {item.value!r} listed twice")
        tags.add(item.value)
    return frozenset(tags)


def _check_key(key: str, declared: dict[str, tuple[str, ...]], flag_id: str, line: int) -> None:
    if key not in declared:
        raise _error(
            line,
            f"red flag {flag_id!r} needs the text {key!r}, which is not declared in "
            f"messages/{KEYS_FILE}; add it there and to every locale",
        )
    extra = sorted(set(declared[key]) - PASSED_PLACEHOLDERS)
    if extra:
        raise _error(
            line,
            f"{key!r} declares placeholder(s) {', '.join(extra)} in messages/{KEYS_FILE}; "
            f"a check-in can only pass {', '.join(sorted(PASSED_PLACEHOLDERS))}",
        )
