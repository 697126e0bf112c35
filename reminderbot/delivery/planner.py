"""The tick: due schedule occurrences become outbox rows, in the transaction that advances them."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminderbot.care.occurrences import plan_due
from reminderbot.care.quiet_hours import release_time
from reminderbot.care.recurrence import Rule, parse_rule, parse_times
from reminderbot.care.tips import choose_tip
from reminderbot.content import Catalog
from reminderbot.content.tips import TipLibrary
from reminderbot.delivery import payloads
from reminderbot.delivery.callbacks import occurrence_key
from reminderbot.delivery.outbox import Message, enqueue
from reminderbot.delivery.policy import policy
from reminderbot.store.models import (
    DeliveryState,
    PatientProfile,
    PatientStatus,
    Person,
    Schedule,
    ScheduleKind,
)

_S = Schedule.__table__
_P = PatientProfile.__table__
_PERSON = Person.__table__

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    """What one tick did."""

    schedules: int = 0
    queued: int = 0
    missed: int = 0


@lru_cache(maxsize=4096)
def _parsed(rule_json: str, local_times: tuple[str, ...]) -> tuple[Rule, tuple[time, ...]]:
    # A wave is thousands of schedules sharing a handful of rules: validate each once.
    return parse_rule(json.loads(rule_json)), parse_times(local_times)


class Planner:
    """Turns due schedules into outbox rows; safe to run in several workers at once."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        catalog: Catalog,
        tips: TipLibrary,
        common_values: dict[str, Any],
        grace: timedelta,
        batch: int = 1000,
        on_batch: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.tips = tips
        self.common = common_values
        self.grace = grace
        self.batch = batch
        # Called after each committed batch, so sending starts while later batches are planned.
        self.on_batch = on_batch
        # Every locale rotates through the same tip ids; texts are looked up per locale.
        self._tip_entries = tips.rotation_entries()

    async def tick(self, now: datetime) -> TickReport:
        """Queue every occurrence due by `now`; returns counts. Bounded work per call."""
        report = TickReport()
        for _ in range(100):
            async with self.sessions.begin() as session:
                due = await self._claim(session, now)
                if not due:
                    break
                await self._plan_batch(session, due, now, report)
            report.schedules += len(due)
            if self.on_batch is not None:
                self.on_batch()
            if len(due) < self.batch:
                break
        if report.schedules:
            log.info(
                "tick schedules=%d queued=%d missed=%d",
                report.schedules,
                report.queued,
                report.missed,
            )
        return report

    async def _claim(self, session: AsyncSession, now: datetime) -> Sequence[Row[Any]]:
        # Plain rows, not ORM objects: a wave of 10,000 schedules is planned in one pass, and
        # identity tracking and per-object flushes would cost more than the planning itself.
        stmt = (
            select(
                _S.c.id,
                _S.c.kind,
                _S.c.rule,
                _S.c.local_times,
                _S.c.next_fire_at,
                _P.c.person_id,
                _P.c.quiet_start,
                _P.c.quiet_end,
                _P.c.tags,
                _P.c.tip_rotation,
                _PERSON.c.chat_id,
                _PERSON.c.language,
                _PERSON.c.timezone,
            )
            .select_from(
                _S.join(_P, _P.c.person_id == _S.c.patient_id).join(
                    _PERSON, _PERSON.c.id == _P.c.person_id
                )
            )
            .where(
                _S.c.active.is_(True),
                _S.c.next_fire_at.is_not(None),
                _S.c.next_fire_at <= now,
                _P.c.status == PatientStatus.ACTIVE,
            )
            .order_by(_S.c.next_fire_at, _S.c.id)
            .limit(self.batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            # Another worker's tick skips what this one holds, so no occurrence is planned twice.
            stmt = stmt.with_for_update(of=_S, skip_locked=True)
        return (await session.execute(stmt)).all()

    async def _plan_batch(
        self, session: AsyncSession, due: Sequence[Row[Any]], now: datetime, report: TickReport
    ) -> None:
        messages: list[Message] = []
        advances: list[dict[str, Any]] = []
        rotations: dict[int, dict[str, Any]] = {}
        for row in due:
            zone = ZoneInfo(row.timezone)
            rule, times = _parsed(json.dumps(row.rule, sort_keys=True), tuple(row.local_times))
            plan = plan_due(row.next_fire_at, rule, times, zone, now, self.grace)
            advances.append({"b_id": row.id, "b_next": plan.next_fire_at})
            for occurrence in plan.missed:
                messages.append(self._missed(row, occurrence))
            report.missed += len(plan.missed)
            for occurrence in plan.send:
                message = self._message(row, occurrence, zone, rotations)
                if message is not None:
                    messages.append(message)
                    report.queued += 1
        await enqueue(session, messages, now)
        # Through the connection, not the ORM session: a plain executemany of Core statements.
        conn = await session.connection()
        await conn.execute(
            update(_S)
            .where(_S.c.id == bindparam("b_id"))
            .values(next_fire_at=bindparam("b_next"), updated_at=now),
            advances,
        )
        if rotations:
            await conn.execute(
                update(_P)
                .where(_P.c.person_id == bindparam("b_id"))
                .values(tip_rotation=bindparam("b_state")),
                [{"b_id": pid, "b_state": state} for pid, state in rotations.items()],
            )

    def _missed(self, row: Row[Any], occurrence: datetime) -> Message:
        return Message(
            chat_id=row.chat_id,
            recipient_id=row.person_id,
            kind=ScheduleKind(row.kind).value,
            unique_key=occurrence_key(row.id, int(occurrence.timestamp())),
            payload={},
            not_before=occurrence,
            schedule_id=row.id,
            state=DeliveryState.MISSED,
        )

    def _message(
        self,
        row: Row[Any],
        occurrence: datetime,
        zone: ZoneInfo,
        rotations: dict[int, dict[str, Any]],
    ) -> Message | None:
        key = occurrence_key(row.id, int(occurrence.timestamp()))
        locale = row.language
        kind = ScheduleKind(row.kind)
        if kind == ScheduleKind.TIP:
            state = rotations.get(row.person_id, row.tip_rotation)
            body, rotations[row.person_id] = self._tip_payload(state, row.tags, locale)
            if body is None:
                return None
        elif kind in (ScheduleKind.CHECKIN, ScheduleKind.FOLLOWUP):
            body = payloads.checkin_payload(self.catalog, locale, key, **self.common)
        else:
            body = payloads.calcium_payload(self.catalog, locale, key, **self.common)
        not_before = occurrence
        if policy(kind.value).routine:
            not_before = release_time(occurrence, row.quiet_start, row.quiet_end, zone)
        return Message(
            chat_id=row.chat_id,
            recipient_id=row.person_id,
            kind=kind.value,
            unique_key=key,
            payload=body,
            not_before=not_before,
            schedule_id=row.id,
        )

    def _tip_payload(
        self, state: dict[str, Any] | None, tags: list[str] | None, locale: str
    ) -> tuple[dict[str, Any] | None, dict[str, Any]]:
        choice, new_state = choose_tip(
            self._tip_entries, self.tips.topics, state, frozenset(tags or ())
        )
        if choice is None:
            return None, new_state
        tip = self.tips.get(locale, choice.tip_id)
        body = payloads.tip_payload(self.catalog, locale, tip.topic, tip.text, **self.common)
        return {**body, "tip_id": tip.id}, new_state
