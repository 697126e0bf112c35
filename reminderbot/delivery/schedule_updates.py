"""The tick's bulk writes: advance the planned schedules, save the patients' tip rotations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.delivery import bulk
from reminderbot.store.models import PatientProfile, Schedule, table_of

_S = table_of(Schedule)
_P = table_of(PatientProfile)


async def advance_schedules(
    session: AsyncSession, advances: Sequence[tuple[int, datetime | None]], now: datetime
) -> None:
    """Set each schedule's next fire instant: (schedule id, next instant or None)."""
    if not advances:
        return
    dialect = session.get_bind().dialect
    columns = [_S.c.id, _S.c.next_fire_at]
    new = bulk.source(dialect, columns)
    rows = ({"id": i, "next_fire_at": n} for i, n in advances)
    conn = await session.connection()
    await conn.execute(
        update(_S)
        .where(_S.c.id == new.c.id)
        .values(next_fire_at=new.c.next_fire_at, updated_at=now),
        {"rows": bulk.document(dialect, columns, rows)},
    )


async def save_rotations(session: AsyncSession, rotations: dict[int, dict[str, Any]]) -> None:
    """Store each patient's tip rotation state: {person id: state}."""
    if not rotations:
        return
    dialect = session.get_bind().dialect
    columns = [_P.c.person_id, _P.c.tip_rotation]
    new = bulk.source(dialect, columns)
    rows = ({"person_id": pid, "tip_rotation": state} for pid, state in rotations.items())
    conn = await session.connection()
    await conn.execute(
        update(_P).where(_P.c.person_id == new.c.person_id).values(tip_rotation=new.c.tip_rotation),
        {"rows": bulk.document(dialect, columns, rows)},
    )
