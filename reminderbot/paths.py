"""Where the data files that ship with the bot (message catalog, migrations) are found."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_BUNDLED = _PACKAGE_DIR / "_bundled"
_REPO_ROOT = _PACKAGE_DIR.parent


def _locate(name: str) -> Path:
    # A wheel carries the folder inside the package; a source checkout (editable install,
    # tests) has it at the top of the repository.
    bundled = _BUNDLED / name
    if bundled.is_dir():
        return bundled
    return _REPO_ROOT / name


def messages_dir() -> Path:
    """Return the folder holding the message catalog (`messages/`)."""
    return _locate("messages")


def alembic_dir() -> Path:
    """Return the folder holding the Alembic environment and its versions."""
    return _locate("alembic")
