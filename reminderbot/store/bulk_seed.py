"""Synthetic patients in bulk, for multi-worker tests and benchmarks (never for real data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminderbot.store.models import PatientProfile, PatientStatus, Person, Role, Schedule

CHUNK = 2000


@dataclass(frozen=True)
class SeedSchedule:
    """One schedule every seeded patient gets."""

    kind: str
    rule: dict[str, Any]
    local_times: Sequence[str]
    next_fire_at: datetime | None


async def seed_patients(
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    now: datetime,
    schedules: Sequence[SeedSchedule],
    first_user_id: int = 10_000_000,
    timezone: str = "UTC",
) -> list[int]:
    """Insert `count` active patients with the given schedules; return their person ids."""
    ids: list[int] = []
    for start in range(0, count, CHUNK):
        users = range(first_user_id + start, first_user_id + min(count, start + CHUNK))
        async with sessions.begin() as session:
            await session.execute(
                insert(Person),
                [
                    {
                        "telegram_user_id": uid,
                        "chat_id": uid,
                        "display_name": f"Patient {uid}",
                        "language": "en",
                        "timezone": timezone,
                        "role": Role.PATIENT,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for uid in users
                ],
            )
            chunk_ids = list(
                (
                    await session.scalars(
                        select(Person.id)
                        .where(Person.telegram_user_id.between(users[0], users[-1]))
                        .order_by(Person.telegram_user_id)
                    )
                ).all()
            )
            await session.execute(
                insert(PatientProfile),
                [
                    {
                        "person_id": pid,
                        "consent_at": now,
                        "status": PatientStatus.ACTIVE,
                        "status_changed_at": now,
                        "program": "default",
                        "tags": [],
                        "tip_rotation": {},
                    }
                    for pid in chunk_ids
                ],
            )
            rows = [
                {
                    "patient_id": pid,
                    "kind": s.kind,
                    "rule": s.rule,
                    "local_times": list(s.local_times),
                    "next_fire_at": s.next_fire_at,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                }
                for pid in chunk_ids
                for s in schedules
            ]
            if rows:
                await session.execute(insert(Schedule), rows)
        ids.extend(chunk_ids)
    return ids
