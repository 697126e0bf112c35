"""Reading the two declaration files: locales.yaml (which locales) and keys.yaml (which keys)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reminderbot.content.conventions import (
    DECLARED_KEY,
    KEYS_FILE,
    LOCALE_CODE,
    LOCALES_FILE,
    REFERENCE_LOCALE,
)
from reminderbot.content.declaration_schema import LocaleEntry, PlaceholderList
from reminderbot.content.problems import Problem, error
from reminderbot.content.schema_errors import validate_located
from reminderbot.content.yaml_loading import Located, describe_value, load_yaml


@dataclass(frozen=True, slots=True)
class LocaleDeclaration:
    """One entry of locales.yaml."""

    code: str
    name: str
    line: int | None


@dataclass(frozen=True, slots=True)
class KeyDeclaration:
    """One entry of keys.yaml: a key the bot uses and the placeholders its texts may use."""

    key: str
    placeholders: tuple[str, ...]
    line: int


@dataclass(slots=True)
class LocalesFile:
    """What locales.yaml declares; `usable` is False when the file could not be read at all."""

    locales: list[LocaleDeclaration]  # the reference locale first
    usable: bool


@dataclass(slots=True)
class KeysFile:
    """What keys.yaml declares; `usable` is False when the file could not be read at all."""

    keys: dict[str, KeyDeclaration]
    usable: bool
    # Keys whose entry is broken: texts for them are neither "undeclared" nor checked.
    broken: set[str] = field(default_factory=set)


def read_locales(root: Path, problems: list[Problem]) -> LocalesFile:
    """Read locales.yaml, appending its problems; falls back to the reference locale alone."""
    fallback = LocalesFile([LocaleDeclaration(REFERENCE_LOCALE, REFERENCE_LOCALE, None)], False)
    top = _read_mapping(root, LOCALES_FILE, "locale codes to {name: ...}", problems, keyed=False)
    if top is None:
        # Still check the reference texts: one broken file should not hide every other problem.
        return fallback
    locales: list[LocaleDeclaration] = []
    seen_folded: dict[str, str] = {}
    for code, entry in top.items():
        if not LOCALE_CODE.fullmatch(code):
            problems.append(
                error(
                    LOCALES_FILE,
                    entry.line,
                    None,
                    f"{code!r} is not a locale code like en or zh-Hans",
                )
            )
            continue
        folded = code.lower()
        if folded in seen_folded:
            # Telegram language codes are matched case-insensitively, so these would collide.
            problems.append(
                error(
                    LOCALES_FILE,
                    entry.line,
                    None,
                    f"locale {code} differs only in case from {seen_folded[folded]}",
                )
            )
            continue
        seen_folded[folded] = code
        name = _locale_name(code, entry, problems)
        if name is not None:
            locales.append(LocaleDeclaration(code, name, entry.line))
    if not any(locale.code == REFERENCE_LOCALE for locale in locales):
        if REFERENCE_LOCALE not in top:
            problems.append(
                error(
                    LOCALES_FILE,
                    None,
                    None,
                    f"the reference locale {REFERENCE_LOCALE} is not listed; every other "
                    "locale is checked against it and falls back to it",
                )
            )
        return LocalesFile(locales, True)
    locales.sort(key=lambda locale: locale.code != REFERENCE_LOCALE)  # stable: keeps file order
    return LocalesFile(locales, True)


def _locale_name(code: str, entry: Located, problems: list[Problem]) -> str | None:
    model, issues = validate_located(LocaleEntry, entry)
    for issue in issues:
        problems.append(error(LOCALES_FILE, issue.line, None, f"locale {code}: {issue.message}"))
    return model.name if model is not None else None


def read_keys(root: Path, problems: list[Problem]) -> KeysFile:
    """Read keys.yaml, appending its problems."""
    top = _read_mapping(root, KEYS_FILE, "keys to placeholder lists", problems, keyed=True)
    if top is None:
        return KeysFile({}, False)
    declared = KeysFile({}, True)
    for key, entry in top.items():
        if not DECLARED_KEY.fullmatch(key):
            problems.append(
                error(
                    KEYS_FILE,
                    entry.line,
                    key,
                    "a key is <file>.<name>[.<name>...], each part only a-z, 0-9 and _",
                )
            )
            continue
        placeholders = _placeholder_list(key, entry, problems)
        if placeholders is None:
            declared.broken.add(key)
        else:
            declared.keys[key] = KeyDeclaration(key, placeholders, entry.line)
    _check_text_versus_group(declared, problems)
    return declared


def _placeholder_list(key: str, entry: Located, problems: list[Problem]) -> tuple[str, ...] | None:
    model, issues = validate_located(PlaceholderList, entry)
    problems.extend(error(KEYS_FILE, issue.line, key, issue.message) for issue in issues)
    return model.root if model is not None else None


def _check_text_versus_group(declared: KeysFile, problems: list[Problem]) -> None:
    # "a.b" and "a.b.c" cannot both exist: in a locale file b is either a text or a mapping.
    for key, declaration in list(declared.keys.items()):
        parts = key.split(".")
        for end in range(2, len(parts)):
            prefix = ".".join(parts[:end])
            if prefix in declared.keys:
                problems.append(
                    error(
                        KEYS_FILE,
                        declaration.line,
                        key,
                        f"{prefix} is declared as a text on line {declared.keys[prefix].line}, "
                        "so it cannot also hold other keys",
                    )
                )
                declared.broken.add(key)
                del declared.keys[key]
                break


def _read_mapping(
    root: Path, file: str, expected: str, problems: list[Problem], *, keyed: bool
) -> dict[str, Located] | None:
    # keyed: the file's top-level names are message keys, so problems should carry them.
    path = root / file
    if not path.is_file():
        problems.append(
            error(file, None, None, f"file not found (expected a mapping of {expected})")
        )
        return None
    loaded = load_yaml(path)
    for issue in loaded.issues:
        key = issue.path[0] if keyed and issue.path else None
        problems.append(error(file, issue.line, key, issue.message))
    if loaded.root is None:
        if not loaded.issues:
            problems.append(
                error(file, None, None, f"file is empty; expected a mapping of {expected}")
            )
        return None
    if not isinstance(loaded.root.value, dict):
        problems.append(
            error(
                file,
                loaded.root.line,
                None,
                f"expected a mapping of {expected}, got {describe_value(loaded.root.value)}",
            )
        )
        return None
    return loaded.root.value
