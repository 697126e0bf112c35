"""Bulk writes: thousands of rows as one JSON document and one statement.

A wave plans and records thousands of rows at once. As an executemany, each row's parameters
are converted one by one in Python (and psycopg sends one statement per row); a JSON document
is encoded once, in C, and the database turns it back into rows: `json_to_recordset` on
PostgreSQL, `json_each` on SQLite. Both read the rows as a subquery named `new`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, FromClause, Text, bindparam, cast, column, func, select
from sqlalchemy.engine import Dialect


def source(dialect: Dialect, columns: Sequence[Column[Any]]) -> FromClause:
    """The rows of the document bound as "rows" (see `document`), as a subquery `new`."""
    if dialect.name == "postgresql":
        typed = [column(c.name, c.type) for c in columns]
        rows = cast(bindparam("rows", type_=Text), JSON)
        return (
            func.json_to_recordset(rows)
            .table_valued(*typed)
            .render_derived(name="new", with_types=True)
        )
    each = func.json_each(bindparam("rows", type_=Text)).table_valued("value")
    # json_extract gives scalars as SQL values and objects as JSON text, as stored.
    fields = [func.json_extract(each.c.value, f"$.{c.name}").label(c.name) for c in columns]
    return select(*fields).select_from(each).subquery("new")


def _iso(value: object) -> object:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        return value.astimezone(UTC).isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in a JSON row")


def document(
    dialect: Dialect, columns: Sequence[Column[Any]], rows: Iterable[Mapping[str, Any]]
) -> str:
    """Encode rows (column name to value; JSON columns hold objects or lists) for `source`."""
    if dialect.name == "postgresql":
        return json.dumps(list(rows), default=_iso, separators=(",", ":"))
    # SQLite compares what it stores as text, so each value is converted exactly as the
    # column's type would convert a bound parameter (instants become its datetime text).
    processors: dict[str, Callable[[Any], Any]] = {}
    for c in columns:
        if not isinstance(c.type, JSON):
            processor = c.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                processors[c.name] = processor
    converted = [
        {
            name: processors[name](value) if name in processors else value
            for name, value in row.items()
        }
        for row in rows
    ]
    return json.dumps(converted, separators=(",", ":"))
