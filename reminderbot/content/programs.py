"""Loading the data tables beside the text: programs and the suggested time zones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from reminderbot.care.programs import Program, parse_program
from reminderbot.care.recurrence import RuleError
from reminderbot.care.timezones import is_valid_timezone
from reminderbot.paths import messages_dir

DEFAULT_PROGRAM = "default"


class ContentDataError(Exception):
    """A data file under messages/ is broken; the message names the file and the problem."""


def _read_yaml(path: Path, root: Path) -> Any:
    where = path.relative_to(root.parent) if path.is_relative_to(root.parent) else path
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as exc:
        raise ContentDataError(f"{where}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ContentDataError(f"{where}{line}: {problem}") from None


def load_programs(root: Path | None = None) -> dict[str, Program]:
    """Load every `programs/*.yaml`; the file name is the program name."""
    root = root or messages_dir()
    programs: dict[str, Program] = {}
    for path in sorted((root / "programs").glob("*.yaml")):
        try:
            programs[path.stem] = parse_program(path.stem, _read_yaml(path, root))
        except RuleError as exc:
            raise ContentDataError(f"{root.name}/programs/{path.name}: {exc}") from None
    if DEFAULT_PROGRAM not in programs:
        raise ContentDataError(
            f"{root.name}/programs/{DEFAULT_PROGRAM}.yaml: missing; every new patient starts "
            "on the default program"
        )
    return programs


def load_suggested_timezones(root: Path | None = None) -> tuple[str, ...]:
    """Load `timezones.yaml`: the zones offered as buttons, each a valid IANA name."""
    root = root or messages_dir()
    path = root / "timezones.yaml"
    data = _read_yaml(path, root)
    if not isinstance(data, list) or not all(isinstance(z, str) for z in data):
        raise ContentDataError(f"{root.name}/timezones.yaml: expected a list of IANA zone names")
    for zone in data:
        if not is_valid_timezone(zone):
            raise ContentDataError(
                f"{root.name}/timezones.yaml: {zone!r} is not a known IANA time zone"
            )
    return tuple(data)
