"""Loading messages/rules/calcium.yaml: the calcium band thresholds and tiers a reviewer edits."""

from __future__ import annotations

from pathlib import Path

from reminderbot.care.calcium import CalciumRanges
from reminderbot.content.data_files import DataFile, read_data_file
from reminderbot.content.problems import Problem
from reminderbot.content.rules_schema import CalciumFile
from reminderbot.paths import messages_dir

CALCIUM_RULES_FILE = "rules/calcium.yaml"


def check_calcium_rules(root: Path | None = None) -> list[Problem]:
    """Return every problem in `rules/calcium.yaml`."""
    return _read(root).problems


def load_calcium_ranges(root: Path | None = None) -> CalciumRanges:
    """Load and validate `rules/calcium.yaml`; raises ContentDataError naming file and line."""
    rules = _read(root).valid()
    return CalciumRanges(
        **rules.thresholds.model_dump(),
        tiers=rules.tiers.model_dump(),
        mg_dl=rules.thresholds_mg_dl.model_dump(),
        plausible={"mmol/L": rules.plausible.mmol_l, "mg/dL": rules.plausible.mg_dl},
        caveat_bands=frozenset(rules.caveat_bands),
    )


def _read(root: Path | None) -> DataFile[CalciumFile]:
    expected = "'thresholds' and 'tiers'"
    return read_data_file(root or messages_dir(), CALCIUM_RULES_FILE, CalciumFile, expected)
