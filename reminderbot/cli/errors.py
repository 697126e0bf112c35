"""Turning expected start-up failures into one clear line and exit code 2."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from reminderbot.config import SettingsError
from reminderbot.content import CatalogError
from reminderbot.content.programs import ContentDataError
from reminderbot.store.database import DatabaseError

EXIT_CONFIG = 2
EXPECTED_FAILURES: tuple[type[Exception], ...] = (
    SettingsError,
    DatabaseError,
    CatalogError,
    ContentDataError,
)


@contextmanager
def friendly_failures(write: Callable[[str], object] | None = None) -> Iterator[None]:
    """Print expected failures as plain lines (no traceback) and exit with code 2."""
    try:
        yield
    except EXPECTED_FAILURES as exc:
        (write or (lambda line: print(line, file=sys.stderr)))(f"reminderbot: {exc}")
        raise SystemExit(EXIT_CONFIG) from None
