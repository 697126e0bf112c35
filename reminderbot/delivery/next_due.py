"""When the next schedule falls due, remembered between ticks so an idle tick needs no query.

The planner asks the database (one indexed query) for the earliest fire instant of an active
schedule of an active patient, and skips its ticks until then. What could make that answer
wrong is a schedule or a patient's status changing afterwards:

- in this process, every INSERT or UPDATE of `schedule` or `patient_profile`, whoever issues
  it, is seen on the engine (SQLAlchemy events) and makes the next tick ask again once its
  transaction has ended; an answer read while such a transaction is open is not kept;
- in another process (a second worker, the command line), a change is seen within `recheck`,
  as the answer is asked again at least that often;
- `forget()` drops the answer at once, for code that knows better.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine

# The tables whose rows decide what is due (schedule rows, and the patient's status).
_WATCHED = frozenset({"schedule", "patient_profile"})
_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)
_FLAG = "reminderbot_due_writes"


class WriteWatch:
    """Counts this process's writes to the watched tables, per engine."""

    def __init__(self) -> None:
        # Bumped when a transaction that wrote to a watched table ends (connection checked in).
        self.generation = 0
        # Connections that wrote to a watched table and are not back in the pool yet.
        self.open_writers = 0

    def _after_execute(
        self, conn: Any, _cursor: Any, statement: str, *_args: Any, **_kwargs: Any
    ) -> None:
        match = _WRITE.match(statement)
        if match is None or match.group(1).lower() not in _WATCHED:
            return
        info = conn.info
        if not info.get(_FLAG):
            info[_FLAG] = True
            self.open_writers += 1
        self.generation += 1

    def _checkin(self, _dbapi_connection: Any, record: Any) -> None:
        if record.info.pop(_FLAG, False):
            self.open_writers -= 1
            self.generation += 1


_watches: WeakKeyDictionary[Engine, WriteWatch] = WeakKeyDictionary()


def watch_writes(engine: Engine) -> WriteWatch:
    """The write watch of a (sync) engine, installed on first use."""
    watch = _watches.get(engine)
    if watch is None:
        watch = _watches[engine] = WriteWatch()
        event.listen(engine, "after_cursor_execute", watch._after_execute)
        event.listen(engine, "checkin", watch._checkin)
    return watch


@dataclass(frozen=True)
class _Answer:
    earliest: datetime | None  # None: no active schedule at all
    asked_at: datetime
    generation: int


class NextDue:
    """The earliest due instant last read from the database, while it can still be trusted."""

    def __init__(self, watch: WriteWatch | None, recheck: timedelta) -> None:
        # Without a watch (no engine to listen on) nothing is remembered: every tick asks.
        self.watch = watch
        self.recheck = recheck
        self._answer: _Answer | None = None

    def nothing_due(self, now: datetime) -> bool:
        """Whether the remembered answer says nothing can be due at `now`."""
        answer = self._answer
        if answer is None or self.watch is None:
            return False
        if self.watch.generation != answer.generation:
            return False  # a schedule or a patient changed here since
        if not answer.asked_at <= now < answer.asked_at + self.recheck:
            return False  # too old: another process may have changed something
        return answer.earliest is None or now < answer.earliest

    def begin(self) -> int | None:
        """Call just before reading the answer; returns a token for `remember`, or None."""
        if self.watch is None or self.watch.open_writers:
            return None  # a write not yet committed could make the answer wrong at once
        return self.watch.generation

    def remember(self, token: int | None, earliest: datetime | None, now: datetime) -> None:
        """Keep the answer read after `begin()` returned `token`, unless a write came between."""
        if token is None or self.watch is None or self.watch.generation != token:
            self._answer = None
            return
        self._answer = _Answer(earliest, now, token)

    def forget(self) -> None:
        """Drop the answer: the next tick asks the database."""
        self._answer = None
