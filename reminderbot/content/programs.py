"""Loading the data tables beside the text: programs and the suggested time zones."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import yaml

from reminderbot.care.programs import Program, parse_program
from reminderbot.care.recurrence import RuleError
from reminderbot.care.timezones import is_valid_timezone
from reminderbot.content.conventions import display_path
from reminderbot.paths import messages_dir

DEFAULT_PROGRAM = "default"
TIMEZONES_FILE = "timezones.yaml"
TIMEZONE_NAMES_FILE = "timezone_names.yaml"


class ContentDataError(Exception):
    """A data file under messages/ is broken; says which file, where, and what is wrong."""

    def __init__(self, file: str, line: int | None, message: str) -> None:
        self.file, self.line, self.message = file, line, message
        super().__init__(f"{display_path(file, line)}: {message}")


def _read_yaml(root: Path, relative: str) -> Any:
    try:
        with (root / relative).open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except OSError as exc:
        raise ContentDataError(relative, None, f"cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ContentDataError(
            relative, mark.line + 1 if mark is not None else None, str(problem)
        ) from None


def load_programs(root: Path | None = None) -> dict[str, Program]:
    """Load every `programs/*.yaml`; the file name is the program name."""
    root = root or messages_dir()
    programs: dict[str, Program] = {}
    for path in sorted((root / "programs").glob("*.yaml")):
        relative = f"programs/{path.name}"
        try:
            programs[path.stem] = parse_program(path.stem, _read_yaml(root, relative))
        except RuleError as exc:
            raise ContentDataError(relative, None, str(exc)) from None
    if DEFAULT_PROGRAM not in programs:
        raise ContentDataError(
            f"programs/{DEFAULT_PROGRAM}.yaml",
            None,
            "missing; every new patient starts on the default program",
        )
    return programs


def load_suggested_timezones(root: Path | None = None) -> tuple[str, ...]:
    """Load `timezones.yaml`: the zones offered as buttons, each a valid IANA name."""
    root = root or messages_dir()
    data = _read_yaml(root, TIMEZONES_FILE)
    if not isinstance(data, list) or not all(isinstance(z, str) for z in data):
        raise ContentDataError(TIMEZONES_FILE, None, "expected a list of IANA time zone names")
    for zone in data:
        if not is_valid_timezone(zone):
            raise ContentDataError(TIMEZONES_FILE, None, f"{zone!r} is not a known IANA time zone")
    return tuple(data)


def timezone_name_key(text: str) -> str:
    """How a typed place name is compared: width-folded, case-folded, without spaces."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def load_timezone_names(root: Path | None = None) -> dict[str, str]:
    """Load `timezone_names.yaml`: place names people type (上海, Beijing) and their zones."""
    root = root or messages_dir()
    if not (root / TIMEZONE_NAMES_FILE).is_file():
        return {}
    data = _read_yaml(root, TIMEZONE_NAMES_FILE)
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise ContentDataError(
            TIMEZONE_NAMES_FILE, None, "expected lines of the form  name: IANA/Zone"
        )
    names: dict[str, str] = {}
    for name, zone in data.items():
        if not is_valid_timezone(zone):
            raise ContentDataError(
                TIMEZONE_NAMES_FILE, None, f"{name}: {zone!r} is not a known IANA time zone"
            )
        names[timezone_name_key(name)] = zone
    return names
