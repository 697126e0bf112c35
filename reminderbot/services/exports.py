"""Data for coordinators to take away: check-ins and alerts as CSV, and the audit log.

CSV files start with a UTF-8 byte order mark so that Excel reads non-ASCII names right, have
a header row, give every instant in UTC (ISO 8601), and are quoted by the csv module, so commas
and line breaks in notes stay inside their cell.
"""

from __future__ import annotations

import csv
import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any, TextIO

from sqlalchemy import Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.services.admin_common import AdminInputError
from reminderbot.store.models import Alert, AlertState, AuditEvent, CheckIn, Person

FORMATS = ("csv",)
KINDS = ("checkins", "alerts")
CHECKIN_COLUMNS = (
    "checkin_id",
    "patient_id",
    "patient_name",
    "source",
    "reporter_id",
    "prompted_at_utc",
    "answered_at_utc",
    "score",
    "tier",
    "finished",
    "answers",
    "note",
)
ALERT_COLUMNS = (
    "alert_id",
    "patient_id",
    "patient_name",
    "checkin_id",
    "tier",
    "reasons",
    "state",
    "created_at_utc",
    "acknowledged_at_utc",
    "acknowledged_by_id",
    "resolved_at_utc",
    "resolved_by_id",
    "resolution_note",
)
# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BATCH = 500


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    at: datetime
    actor: str
    action: str
    subject_person_id: int | None
    details: dict[str, Any]


def check_format(typed: str) -> str:
    """The export format, or an error naming the ones there are."""
    value = typed.strip().lower()
    if value not in FORMATS:
        raise AdminInputError(
            "admin.export.bad_format", typed=value[:40], formats=", ".join(FORMATS)
        )
    return value


def check_kind(typed: str) -> str:
    """What to export, or an error naming the choices."""
    value = typed.strip().lower()
    if value not in KINDS:
        raise AdminInputError("admin.export.bad_kind", typed=value[:40], kinds=", ".join(KINDS))
    return value


def start_of_day(day: date) -> datetime:
    """Midnight UTC at the start of a date: `--since` dates are UTC days."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def utc_iso(value: datetime | None) -> str:
    """An instant as ISO 8601 in UTC, to the second; empty when there is none."""
    return value.astimezone(UTC).isoformat(timespec="seconds") if value is not None else ""


def safe_text(value: str | None) -> str:
    """Free text for a spreadsheet cell, defused so that it is never run as a formula."""
    if not value:
        return ""
    return "'" + value if value.startswith(_FORMULA_START) else value


def _checkins(since: datetime) -> Select[*tuple[Any, ...]]:
    return (
        select(
            CheckIn.id,
            CheckIn.patient_id,
            Person.display_name,
            CheckIn.source,
            CheckIn.reporter_id,
            CheckIn.prompted_at,
            CheckIn.answered_at,
            CheckIn.score,
            CheckIn.tier,
            CheckIn.answers,
            CheckIn.note,
        )
        .join(Person, Person.id == CheckIn.patient_id)
        .where(CheckIn.prompted_at >= since)
        .order_by(CheckIn.prompted_at, CheckIn.id)
    )


def _alerts(since: datetime) -> Select[*tuple[Any, ...]]:
    return (
        select(
            Alert.id,
            Alert.patient_id,
            Person.display_name,
            Alert.checkin_id,
            Alert.tier,
            Alert.reasons,
            Alert.state,
            Alert.created_at,
            Alert.acknowledged_at,
            Alert.acknowledged_by_id,
            Alert.resolved_at,
            Alert.resolved_by_id,
            Alert.resolution_note,
        )
        .join(Person, Person.id == Alert.patient_id)
        .where(Alert.created_at >= since)
        .order_by(Alert.created_at, Alert.id)
    )


def _blank(value: Any) -> Any:
    return "" if value is None else value


def _checkin_cells(row: Row[Any]) -> list[Any]:
    answers = dict(row.answers or {})
    return [
        row.id,
        row.patient_id,
        safe_text(row.display_name),
        row.source,
        _blank(row.reporter_id),
        utc_iso(row.prompted_at),
        utc_iso(row.answered_at),
        _blank(row.score),
        _blank(row.tier),
        "yes" if answers.get("step") == "done" else "no",
        json.dumps(answers, ensure_ascii=False, sort_keys=True),
        safe_text(row.note),
    ]


def _alert_cells(row: Row[Any]) -> list[Any]:
    return [
        row.id,
        row.patient_id,
        safe_text(row.display_name),
        _blank(row.checkin_id),
        row.tier,
        ";".join(row.reasons or ()),
        AlertState(row.state).value,
        utc_iso(row.created_at),
        utc_iso(row.acknowledged_at),
        _blank(row.acknowledged_by_id),
        utc_iso(row.resolved_at),
        _blank(row.resolved_by_id),
        safe_text(row.resolution_note),
    ]


async def export_batches(
    session: AsyncSession, kind: str, since: datetime
) -> AsyncIterator[list[Sequence[Any]]]:
    """The header row, then batches of rows for each check-in or alert since `since`, oldest
    first; streamed, so an export of years of data never sits in memory at once."""
    kind = check_kind(kind)
    header, stmt, cells = (
        (CHECKIN_COLUMNS, _checkins(since), _checkin_cells)
        if kind == "checkins"
        else (ALERT_COLUMNS, _alerts(since), _alert_cells)
    )
    yield [header]
    result = await session.stream(stmt.execution_options(yield_per=_BATCH))
    async for partition in result.partitions():
        yield [cells(row) for row in partition]


async def write_csv(batches: AsyncIterator[list[Sequence[Any]]], out: TextIO) -> int:
    """Write batches of rows with the csv module; return the data rows (header not counted).

    `out` must be opened with encoding="utf-8-sig" and newline="" for the BOM and CRLF ends.
    """
    writer = csv.writer(out)
    count = 0
    async for batch in batches:
        writer.writerows(batch)
        count += len(batch)
    return max(count - 1, 0)


def _actor(event: AuditEvent) -> str:
    if event.actor_telegram_id is not None:
        return f"telegram:{event.actor_telegram_id}"
    via = (event.details or {}).get("via")
    return str(via) if via else "bot"


async def audit_log(session: AsyncSession, since: datetime) -> list[AuditEntry]:
    """Audit events since `since`, oldest first; the actor is "cli", "telegram:<id>" or "bot"."""
    events = (
        await session.scalars(
            select(AuditEvent).where(AuditEvent.at >= since).order_by(AuditEvent.at, AuditEvent.id)
        )
    ).all()
    return [
        AuditEntry(
            at=e.at,
            actor=_actor(e),
            action=e.action,
            subject_person_id=e.subject_person_id,
            details={k: v for k, v in (e.details or {}).items() if k != "via"},
        )
        for e in events
    ]
