"""The code and messages/keys.yaml agree: every key the code names is declared, none is dead."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from reminderbot.paths import messages_dir

PACKAGE = Path(__file__).resolve().parents[2] / "reminderbot"
NAMESPACES = (
    "onboarding",
    "settings",
    "common",
    "schedule",
    "delivery",
    "calcium",
    "alert",
    "trend",
    "checkin",
    "advice",
    "caregiver",
    "coordinator",
    "data",
    "admin",
)
# The modules of content/ that render texts; the others only read and check the catalog.
RENDERING = ("describe.py", "catalog.py", "tip_message.py")
LITERAL = re.compile(r"""["']((?:""" + "|".join(NAMESPACES) + r""")\.[a-z0-9_.]*)(\{)?""")


def _keys_in_code() -> tuple[set[str], set[str]]:
    literal: set[str] = set()
    prefixes: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        # The store names tables ("schedule.id"), not catalog keys; the sandbox has no texts.
        if {"sandbox", "store"} & set(path.parts) or (
            "content" in path.parts and path.name not in RENDERING
        ):
            continue
        for match in LITERAL.finditer(path.read_text(encoding="utf-8")):
            key, dynamic = match.group(1), match.group(2)
            if dynamic:
                prefixes.add(key)
            elif not key.endswith("."):
                literal.add(key)
    return literal, prefixes


def _declared() -> set[str]:
    data = yaml.safe_load((messages_dir() / "keys.yaml").read_text(encoding="utf-8"))
    return set(data)


def test_every_key_named_in_code_is_declared() -> None:
    literal, prefixes = _keys_in_code()
    declared = _declared()
    assert literal, "the scan found no keys at all"
    assert literal - declared == set()
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in declared), prefix


def test_no_declared_key_is_dead() -> None:
    literal, prefixes = _keys_in_code()
    unused = {
        key
        for key in _declared()
        if key not in literal and not any(key.startswith(prefix) for prefix in prefixes)
    }
    assert unused == set()
