"""Loading messages/rules/calcium.yaml: the calcium band thresholds and tiers a reviewer edits."""

from __future__ import annotations

import math
from pathlib import Path

from reminderbot.care.calcium import (
    BANDS,
    MAX_TIER,
    THRESHOLD_NAMES,
    THRESHOLD_SPAN,
    CalciumRanges,
)
from reminderbot.content.programs import ContentDataError
from reminderbot.content.yaml_loading import Located, load_yaml
from reminderbot.paths import messages_dir

CALCIUM_RULES_FILE = "rules/calcium.yaml"
_SECTIONS = ("thresholds", "tiers")


def load_calcium_ranges(root: Path | None = None) -> CalciumRanges:
    """Load and validate `rules/calcium.yaml`; raises ContentDataError naming file and line."""
    root = root or messages_dir()
    loaded = load_yaml(root / CALCIUM_RULES_FILE)
    if loaded.issues:
        issue = loaded.issues[0]
        raise _error(issue.line, issue.message)
    if loaded.root is None:
        raise _error(None, "the file is empty; expected 'thresholds' and 'tiers'")
    sections = _fields(loaded.root, "the file", _SECTIONS)
    thresholds = _thresholds(sections["thresholds"])
    tiers = _tiers(sections["tiers"])
    try:
        return CalciumRanges(**thresholds, tiers=tiers)
    except ValueError as exc:  # pragma: no cover - everything it checks is checked above
        raise _error(None, str(exc)) from None


def _error(line: int | None, message: str) -> ContentDataError:
    return ContentDataError(CALCIUM_RULES_FILE, line, message)


def _fields(node: Located, what: str, names: tuple[str, ...]) -> dict[str, Located]:
    """Return a mapping's children, insisting on exactly `names` (missing points at the parent)."""
    if not isinstance(node.value, dict):
        raise _error(node.line, f"{what} must be a mapping of {', '.join(names)}")
    children: dict[str, Located] = node.value
    for key, child in children.items():
        if key not in names:
            raise _error(
                child.line, f"unknown field {key!r} in {what}; expected {', '.join(names)}"
            )
    for name in names:
        if name not in children:
            raise _error(node.line, f"{what} is missing {name!r}")
    return children


def _thresholds(node: Located) -> dict[str, float]:
    children = _fields(node, "'thresholds'", THRESHOLD_NAMES)
    values: dict[str, float] = {}
    previous: tuple[str, float] | None = None
    # Checked in band order, not file order: the order of lines is the reviewer's choice.
    for name in THRESHOLD_NAMES:
        child = children[name]
        raw = child.value
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
            raise _error(child.line, f"{name} must be a number in mmol/L, not {raw!r}")
        value = float(raw)
        low, high = THRESHOLD_SPAN
        if not low <= value <= high:
            # A reviewer copying a lab report in mg/dL is the likely cause (10.2 for 2.55).
            raise _error(
                child.line,
                f"{name} = {value:g} is outside {low:g}-{high:g}; thresholds are in mmol/L, "
                "not mg/dL (mg/dL x 0.2495 = mmol/L)",
            )
        if previous is not None and not value > previous[1]:
            raise _error(
                child.line,
                f"{name} = {value:g} must be greater than {previous[0]} = {previous[1]:g}; "
                "thresholds go strictly up from low_g4_below to high_g4_above",
            )
        values[name] = value
        previous = (name, value)
    return values


def _tiers(node: Located) -> dict[str, int]:
    children = _fields(node, "'tiers'", BANDS)
    tiers: dict[str, int] = {}
    for band in BANDS:
        child = children[band]
        raw = child.value
        if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= MAX_TIER:
            raise _error(
                child.line, f"tier of {band} must be a whole number 0-{MAX_TIER}, not {raw!r}"
            )
        tiers[band] = raw
    return tiers
