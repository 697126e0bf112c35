"""Loading the data tables beside the text: programs and the suggested time zones."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from reminderbot.care.programs import Program, ProgramItem
from reminderbot.care.recurrence import parse_rule
from reminderbot.content.data_files import ContentDataError, DataFile, raise_first, read_data_file
from reminderbot.content.problems import Problem, error
from reminderbot.content.program_schema import ProgramFile
from reminderbot.content.timezone_schema import SuggestedTimezones, TimezoneNames
from reminderbot.paths import messages_dir

__all__ = ["ContentDataError", "load_programs", "load_suggested_timezones", "load_timezone_names"]

DEFAULT_PROGRAM = "default"
TIMEZONES_FILE = "timezones.yaml"
TIMEZONE_NAMES_FILE = "timezone_names.yaml"


def check_programs(root: Path | None = None) -> list[Problem]:
    """Return every problem in `programs/*.yaml`, and a missing default program."""
    return _read_programs(root or messages_dir())[1]


def load_programs(root: Path | None = None) -> dict[str, Program]:
    """Load every `programs/*.yaml`; the file name is the program name."""
    programs, problems = _read_programs(root or messages_dir())
    raise_first(problems)
    return programs


def _read_programs(root: Path) -> tuple[dict[str, Program], list[Problem]]:
    programs: dict[str, Program] = {}
    problems: list[Problem] = []
    for path in sorted((root / "programs").glob("*.yaml")):
        read = read_data_file(root, f"programs/{path.name}", ProgramFile, "a 'schedules' list")
        problems += read.problems
        if read.model is not None:
            programs[path.stem] = _program(path.stem, read.model)
    if not (root / "programs" / f"{DEFAULT_PROGRAM}.yaml").is_file():
        message = "missing; every new patient starts on the default program"
        problems.append(error(f"programs/{DEFAULT_PROGRAM}.yaml", None, None, message))
    return programs, problems


def _program(name: str, model: ProgramFile) -> Program:
    items = tuple(
        ProgramItem(
            kind=entry.kind,
            rule=parse_rule(entry.rule),
            slot=entry.time_slot,
            default_time=entry.default_time,
        )
        for entry in model.schedules
    )
    return Program(name=name, items=items)


def check_timezones(root: Path | None = None) -> list[Problem]:
    """Return every problem in `timezones.yaml` and `timezone_names.yaml`."""
    root = root or messages_dir()
    problems = _read_suggested(root).problems
    if (root / TIMEZONE_NAMES_FILE).is_file():
        problems += _read_names(root).problems
    return problems


def load_suggested_timezones(root: Path | None = None) -> tuple[str, ...]:
    """Load `timezones.yaml`: the zones offered as buttons, each a valid IANA name."""
    return _read_suggested(root or messages_dir()).valid().root


def timezone_name_key(text: str) -> str:
    """How a typed place name is compared: width-folded, case-folded, without spaces."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def load_timezone_names(root: Path | None = None) -> dict[str, str]:
    """Load `timezone_names.yaml`: place names people type (上海, Beijing) and their zones."""
    root = root or messages_dir()
    if not (root / TIMEZONE_NAMES_FILE).is_file():
        return {}
    names = _read_names(root).valid().root
    return {timezone_name_key(name): zone for name, zone in names.items()}


def _read_suggested(root: Path) -> DataFile[SuggestedTimezones]:
    expected = "a list of IANA time zone names"
    return read_data_file(root, TIMEZONES_FILE, SuggestedTimezones, expected)


def _read_names(root: Path) -> DataFile[TimezoneNames]:
    expected = "lines of the form  name: IANA/Zone"
    return read_data_file(root, TIMEZONE_NAMES_FILE, TimezoneNames, expected)
