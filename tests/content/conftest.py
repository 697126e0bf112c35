"""Fixtures that build small message catalogs in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

# A valid two-locale catalog. Tests replace or delete single files to break exactly one rule;
# line numbers asserted in the tests refer to these texts, so keep them stable.
BASE_FILES: dict[str, str] = {
    "locales.yaml": "en:\n  name: English\nzh-Hans:\n  name: 简体中文\n",
    "keys.yaml": (
        "onboarding.welcome: [name, emergency_number]\n"  # line 1
        "onboarding.consent.agree_button: []\n"  # line 2
        "common.unknown_input: []\n"  # line 3
    ),
    "en/onboarding.yaml": (
        "welcome: |\n"  # line 1
        "  Hello {name}!\n"
        "  In an emergency call {emergency_number}.\n"
        "consent:\n"  # line 4
        "  agree_button: I agree\n"  # line 5
    ),
    "en/common.yaml": 'unknown_input: "Sorry, I did not understand. Type {{help}} for help."\n',
    "zh-Hans/onboarding.yaml": (
        "welcome: |\n"
        "  你好，{name}！\n"
        "  紧急情况请拨打 {emergency_number}。\n"
        "consent:\n"
        "  agree_button: 我同意\n"
    ),
    "zh-Hans/common.yaml": 'unknown_input: "抱歉，我没有听懂。输入 {{help}} 获取帮助。"\n',
    # Data folders beside the locales are not texts and must be ignored.
    "programs/default.yaml": "this is: [not, checked\n",
}

WriteCatalog = Callable[..., Path]


def write_files(root: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write `files` (relative path → content) under `root` and return `root`."""
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def write_catalog(tmp_path: Path) -> WriteCatalog:
    """Return a function writing BASE_FILES with some files replaced (or None: removed)."""

    def write(overrides: Mapping[str, str | bytes | None] | None = None) -> Path:
        files: dict[str, str | bytes] = dict(BASE_FILES)
        for relative, content in (overrides or {}).items():
            if content is None:
                files.pop(relative, None)
            else:
                files[relative] = content
        return write_files(tmp_path / "messages", files)

    return write
