"""Checking the whole catalog: each locale against keys.yaml, and translations against en."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from reminderbot.content.conventions import (
    KEYS_FILE,
    LOCALES_FILE,
    PLACEHOLDER_SAMPLE_LENGTH,
    REFERENCE_LOCALE,
    TELEGRAM_TEXT_LIMIT,
    display_path,
)
from reminderbot.content.declarations import (
    KeyDeclaration,
    KeysFile,
    LocaleDeclaration,
    read_keys,
    read_locales,
)
from reminderbot.content.locale_texts import LocaleTexts, TextEntry, locale_file, read_locale
from reminderbot.content.problems import Problem, ProblemList, error, warning
from reminderbot.paths import messages_dir


@dataclass(slots=True)
class ScanResult:
    """Everything read from a catalog folder, and every problem found in it."""

    problems: ProblemList
    locales: list[LocaleDeclaration]  # listed locales whose folder exists, reference first
    keys: dict[str, KeyDeclaration]
    texts: dict[str, dict[str, TextEntry]] = field(default_factory=dict)  # locale → key → text


def check_catalog(root: Path | None = None) -> ProblemList:
    """Return every problem in the catalog, sorted by file and line; bad content never raises."""
    return scan_catalog(root).problems


def scan_catalog(root: Path | None = None) -> ScanResult:
    """Read and check the catalog at `root` (default: the bundled messages folder)."""
    root = messages_dir() if root is None else Path(root)
    problems: list[Problem] = []
    if not root.is_dir():
        problems.append(error("", None, None, f"catalog folder not found: {root}"))
        return ScanResult(ProblemList(problems), [], {})
    declared_locales = read_locales(root, problems)
    declared_keys = read_keys(root, problems)

    locales: list[LocaleDeclaration] = []
    contents: dict[str, LocaleTexts] = {}
    for locale in declared_locales.locales:
        if not (root / locale.code).is_dir():
            if not declared_locales.usable:
                continue  # the fallback reference locale: locales.yaml's problem says enough
            problems.append(
                error(
                    LOCALES_FILE,
                    locale.line,
                    None,
                    f"locale {locale.code} is listed but the folder {locale.code}/ does not exist",
                )
            )
            continue
        try:
            contents[locale.code] = read_locale(root, locale.code, problems)
        except OSError as exc:
            problems.append(error(f"{locale.code}/", None, None, f"cannot read folder: {exc}"))
            continue
        locales.append(locale)

    reference = contents.get(REFERENCE_LOCALE)
    for content in contents.values():
        _check_locale(content, reference, declared_keys, problems)

    return ScanResult(
        ProblemList(
            problems,
            locale_count=len(declared_locales.locales) if declared_locales.usable else 0,
            key_count=len(declared_keys.keys),
        ),
        locales,
        declared_keys.keys,
        {code: content.texts for code, content in contents.items()},
    )


def _check_locale(
    content: LocaleTexts,
    reference: LocaleTexts | None,
    declared: KeysFile,
    problems: list[Problem],
) -> None:
    is_reference = content.locale == REFERENCE_LOCALE
    for entry in content.texts.values():
        _check_text(entry, declared, None if is_reference else reference, problems)
    if not declared.usable:
        return  # without the contract, "undeclared" and "missing" would be guesses
    for key, declaration in declared.keys.items():
        stem = key.split(".", 1)[0]
        if key in content.present or stem in content.unreadable:
            continue
        problems.append(
            error(
                locale_file(content.locale, stem),
                None,
                key,
                _missing_message(declaration, reference if not is_reference else None),
            )
        )
    for key in content.present - declared.keys.keys() - declared.broken:
        undeclared = content.texts.get(key)
        if undeclared is None:
            continue  # its broken value was reported already; one problem per mistake
        guess = difflib.get_close_matches(key, declared.keys, n=1)
        hint = f"; did you mean {guess[0]}?" if guess else ""
        problems.append(
            error(
                undeclared.file,
                undeclared.line,
                key,
                f"not used by the bot — a typo? (not in {KEYS_FILE}){hint}",
            )
        )


def _missing_message(declaration: KeyDeclaration, reference: LocaleTexts | None) -> str:
    original = reference.texts.get(declaration.key) if reference is not None else None
    if original is not None:
        where = display_path(original.file, original.line)
        return f"missing text; {REFERENCE_LOCALE} has it in {where}"
    return f"missing text (declared in {display_path(KEYS_FILE, declaration.line)})"


def _check_text(
    entry: TextEntry, declared: KeysFile, reference: LocaleTexts | None, problems: list[Problem]
) -> None:
    template = entry.template
    for message in template.errors:
        problems.append(error(entry.file, entry.line, entry.key, message))
    if not template.is_valid:
        return
    if not template.text.strip():
        problems.append(
            warning(
                entry.file, entry.line, entry.key, "empty text; Telegram refuses empty messages"
            )
        )
    length = template.sample_length()
    if length > TELEGRAM_TEXT_LIMIT:
        problems.append(
            error(
                entry.file,
                entry.line,
                entry.key,
                f"text is {length} characters with {PLACEHOLDER_SAMPLE_LENGTH}-character "
                f"placeholder values; Telegram allows {TELEGRAM_TEXT_LIMIT}",
            )
        )
    declaration = declared.keys.get(entry.key)
    if declaration is None:
        return
    allowed = declaration.placeholders
    for name in template.names:
        if name not in allowed:
            shown = ", ".join(allowed) or "none"
            problems.append(
                error(
                    entry.file,
                    entry.line,
                    entry.key,
                    f"unknown placeholder {{{name}}} (allowed: {shown})",
                )
            )
    original = reference.texts.get(entry.key) if reference is not None else None
    # A broken reference text is reported on its own; comparing with it would blame the
    # translation for en's mistake.
    if (
        original is not None
        and original.template.is_valid
        and all(name in allowed for name in original.template.names)
    ):
        _compare_with_reference(entry, original, allowed, problems)


def _compare_with_reference(
    entry: TextEntry, original: TextEntry, allowed: tuple[str, ...], problems: list[Problem]
) -> None:
    # Our unknown placeholders are reported on their own; comparing them would say it twice.
    ours = [name for name in allowed if name in entry.template.names]
    theirs = [name for name in allowed if name in original.template.names]
    if ours == theirs:
        return
    differences = []
    lacking = [name for name in theirs if name not in ours]
    extra = [name for name in ours if name not in theirs]
    if lacking:
        differences.append("lacks " + ", ".join(f"{{{name}}}" for name in lacking))
    if extra:
        differences.append("adds " + ", ".join(f"{{{name}}}" for name in extra))
    problems.append(
        error(
            entry.file,
            entry.line,
            entry.key,
            f"placeholders differ from {REFERENCE_LOCALE} "
            f"({display_path(original.file, original.line)}): {'; '.join(differences)}; "
            "a translation must use the same placeholders",
        )
    )
