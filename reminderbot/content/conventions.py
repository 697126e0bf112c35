"""The fixed rules of the catalog format: reference locale, key shape and Telegram's limits."""

from __future__ import annotations

import re

# Every other locale is checked against this one and falls back to it.
REFERENCE_LOCALE = "en"

LOCALES_FILE = "locales.yaml"
KEYS_FILE = "keys.yaml"

# How problems show a path: the catalog folder is called messages/ in the repository and in
# the wheel, so reviewers can find the file whatever absolute path it was loaded from.
ROOT_LABEL = "messages"

KEY_SEGMENT = re.compile(r"[a-z0-9_]+")
# A declared key needs at least two segments: the file stem and a name inside that file,
# because the top level of a locale file is a mapping, never a text.
DECLARED_KEY = re.compile(r"[a-z0-9_]+(?:\.[a-z0-9_]+)+")
PLACEHOLDER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LOCALE_CODE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")

# Telegram refuses a message longer than this, counted in UTF-16 code units (an emoji
# outside the Basic Multilingual Plane counts twice).
TELEGRAM_TEXT_LIMIT = 4096
# Length assumed for each placeholder value when checking a text against the limit: long
# enough for a name, a phone number or a medication, short of pathological input.
PLACEHOLDER_SAMPLE_LENGTH = 64


def telegram_length(text: str) -> int:
    """Return the length of `text` as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def display_path(file: str, line: int | None = None) -> str:
    """Return `messages/<file>[:line]`, the form problems use to point at a place."""
    path = f"{ROOT_LABEL}/{file}" if file else ROOT_LABEL
    return path if line is None else f"{path}:{line}"
