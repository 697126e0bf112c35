"""Reading one locale folder: every `<stem>.yaml` file flattened into dotted keys and texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reminderbot.content.conventions import KEY_SEGMENT
from reminderbot.content.placeholders import Template, parse_template
from reminderbot.content.problems import Problem, error, warning
from reminderbot.content.yaml_loading import Located, describe_value, load_yaml

_TEXT_SUFFIX = ".yaml"
# Folders inside a locale that hold data with a loader of their own (tips: content/tips.py).
_DATA_FOLDERS = frozenset({"tips"})


@dataclass(frozen=True, slots=True)
class TextEntry:
    """One text of one locale, with where it was written."""

    key: str
    template: Template
    file: str  # relative to the messages root
    line: int


@dataclass(slots=True)
class LocaleTexts:
    """Everything read from one locale folder."""

    locale: str
    texts: dict[str, TextEntry] = field(default_factory=dict)
    # Keys written in the files even if their value is broken: they are wrong, not missing.
    present: set[str] = field(default_factory=set)
    # Stems of files that could not be parsed: their keys are unknown, not missing.
    unreadable: set[str] = field(default_factory=set)


def locale_file(locale: str, stem: str) -> str:
    """Return the path, relative to the messages root, of the file holding `stem.*` keys."""
    return f"{locale}/{stem}{_TEXT_SUFFIX}"


def read_locale(root: Path, locale: str, problems: list[Problem]) -> LocaleTexts:
    """Read every text file of `locale`, appending problems; the folder must exist."""
    result = LocaleTexts(locale)
    for path in sorted((root / locale).iterdir()):
        if path.name.startswith("."):
            continue  # editor and OS litter (.DS_Store, swap files)
        file = f"{locale}/{path.name}"
        if path.is_dir():
            if path.name in _DATA_FOLDERS:
                continue
            problems.append(
                warning(
                    file, None, None, f"folder ignored: texts go in files directly inside {locale}/"
                )
            )
            continue
        if not path.name.endswith(_TEXT_SUFFIX):
            hint = f"; rename it to {path.stem}{_TEXT_SUFFIX}" if path.suffix == ".yml" else ""
            problems.append(
                warning(file, None, None, f"file ignored: only *.yaml files are read{hint}")
            )
            continue
        stem = path.name[: -len(_TEXT_SUFFIX)]
        if not KEY_SEGMENT.fullmatch(stem):
            problems.append(
                error(file, None, None, f"file name {stem!r} is not a key segment (a-z, 0-9, _)")
            )
            continue
        _read_file(path, file, stem, result, problems)
    return result


def _read_file(
    path: Path, file: str, stem: str, result: LocaleTexts, problems: list[Problem]
) -> None:
    loaded = load_yaml(path)
    for issue in loaded.issues:
        key = ".".join((stem, *issue.path)) if issue.path else None
        problems.append(error(file, issue.line, key, issue.message))
    if loaded.root is None:
        result.unreadable.add(stem)
        if not loaded.issues:
            problems.append(
                error(file, None, None, "file is empty; expected a mapping of keys to texts")
            )
        return
    if not isinstance(loaded.root.value, dict):
        problems.append(
            error(
                file,
                loaded.root.line,
                None,
                f"expected a mapping of keys to texts, got {describe_value(loaded.root.value)}",
            )
        )
        result.unreadable.add(stem)
        return
    _collect(loaded.root.value, stem, file, result, problems)


def _collect(
    mapping: dict[str, Located],
    prefix: str,
    file: str,
    result: LocaleTexts,
    problems: list[Problem],
) -> None:
    for name, child in mapping.items():
        key = f"{prefix}.{name}"
        if not KEY_SEGMENT.fullmatch(name):
            hint = "; nest mappings instead of using dots" if "." in name else ""
            problems.append(
                error(
                    file,
                    child.line,
                    key,
                    f"key segment {name!r} must use only a-z, 0-9 and _{hint}",
                )
            )
            continue
        value = child.value
        if isinstance(value, dict):
            _collect(value, key, file, result, problems)
            continue
        result.present.add(key)
        if isinstance(value, str):
            result.texts[key] = TextEntry(key, parse_template(value), file, child.line)
        else:
            problems.append(error(file, child.line, key, f"not a string: {describe_value(value)}"))
