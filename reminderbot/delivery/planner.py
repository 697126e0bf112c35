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

from sqlalchemy import Row, Text, cast, select, true
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from reminderbot.care.occurrences import DuePlan, plan_due
from reminderbot.care.quiet_hours import release_time
from reminderbot.care.recurrence import Rule, parse_rule, parse_times
from reminderbot.care.tips import choose_tip
from reminderbot.content import Catalog
from reminderbot.content.tips import TipLibrary
from reminderbot.delivery import outbox_keys, payloads
from reminderbot.delivery.kinds import message_kind
from reminderbot.delivery.next_due import NextDue, watch_writes
from reminderbot.delivery.outbox import Message, enqueue
from reminderbot.delivery.policy import policy
from reminderbot.delivery.schedule_updates import advance_schedules, save_rotations
from reminderbot.store.models import (
    DeliveryState,
    PatientProfile,
    PatientStatus,
    Person,
    Schedule,
    ScheduleKind,
    table_of,
)

_S = table_of(Schedule)
_P = table_of(PatientProfile)
_PERSON = table_of(Person)

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    """What one tick did."""

    schedules: int = 0
    queued: int = 0
    missed: int = 0


@lru_cache(maxsize=4096)
def _parsed(rule_json: str, times_json: str) -> tuple[Rule, tuple[time, ...]]:
    # A wave is thousands of schedules sharing a handful of rules: validate each once, keyed
    # by the stored JSON text itself (decoding it for every row would cost more).
    return parse_rule(json.loads(rule_json)), parse_times(json.loads(times_json))


# Active schedules of active patients; `= true` (not `IS true`) so that PostgreSQL uses the
# index on (active, next_fire_at) whether or not the table has statistics yet.
_ELIGIBLE = (
    _S.c.active == true(),
    _S.c.next_fire_at.is_not(None),
    _P.c.status == PatientStatus.ACTIVE,
)
# The earliest of those instants. EXISTS, not a join: schedule stays the only table scanned,
# in index order, until the first one of an active patient (SQLite, once ANALYZE has run,
# would otherwise scan every patient and sort).
_NEXT_DUE = (
    select(_S.c.next_fire_at)
    .where(
        _S.c.active == true(),
        _S.c.next_fire_at.is_not(None),
        select(_P.c.person_id)
        .where(_P.c.person_id == _S.c.patient_id, _P.c.status == PatientStatus.ACTIVE)
        .exists(),
    )
    .order_by(_S.c.next_fire_at)
    .limit(1)
)


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
        recheck: timedelta = timedelta(seconds=15),
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
        # Rendered tip messages per (locale, tip id): the catalog and library are fixed.
        self._tip_bodies: dict[tuple[str, str], dict[str, Any]] = {}
        engine = sessions.kw.get("bind")
        self._engine = engine if isinstance(engine, AsyncEngine) else None
        watch = watch_writes(self._engine.sync_engine) if self._engine is not None else None
        self.next_due = NextDue(watch, recheck)

    def forget_next_due(self) -> None:
        """Make the next tick ask the database (after schedules changed in another process)."""
        self.next_due.forget()

    async def tick(self, now: datetime) -> TickReport:
        """Queue every occurrence due by `now`; returns counts. Bounded work per call."""
        report = TickReport()
        if self.next_due.nothing_due(now) or not await self._anything_due(now):
            return report
        plans: dict[tuple[Any, ...], DuePlan] = {}
        for _ in range(100):
            async with self.sessions.begin() as session:
                due = await self._claim(session, now)
                if not due:
                    break
                await self._plan_batch(session, due, now, report, plans)
            report.schedules += len(due)
            if self.on_batch is not None:
                self.on_batch()
            if len(due) < self.batch:
                break
        await self._anything_due(now)
        if report.schedules:
            log.info(
                "tick schedules=%d queued=%d missed=%d",
                report.schedules,
                report.queued,
                report.missed,
            )
        return report

    async def _anything_due(self, now: datetime) -> bool:
        """Read (and remember) the earliest due instant; whether it has come by `now`."""
        token = self.next_due.begin()
        if self._engine is not None:
            async with self._engine.connect() as conn:
                if conn.dialect.name == "postgresql":
                    # One statement needs no transaction: no BEGIN and ROLLBACK round trips.
                    await conn.execution_options(isolation_level="AUTOCOMMIT")
                earliest = (await conn.execute(_NEXT_DUE)).scalar()
        else:
            async with self.sessions() as session:
                earliest = (await session.execute(_NEXT_DUE)).scalar()
        self.next_due.remember(token, earliest, now)
        return earliest is not None and earliest <= now

    async def _claim(self, session: AsyncSession, now: datetime) -> Sequence[Row[Any]]:
        # Plain rows, not ORM objects: a wave of 10,000 schedules is planned in one pass, and
        # identity tracking and per-object flushes would cost more than the planning itself.
        stmt = (
            select(
                _S.c.id,
                _S.c.kind,
                cast(_S.c.rule, Text).label("rule"),
                cast(_S.c.local_times, Text).label("local_times"),
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
            .where(*_ELIGIBLE, _S.c.next_fire_at <= now)
            .order_by(_S.c.next_fire_at, _S.c.id)
            .limit(self.batch)
        )
        if session.get_bind().dialect.name == "postgresql":
            # Another worker's tick skips what this one holds, so no occurrence is planned twice.
            stmt = stmt.with_for_update(of=_S, skip_locked=True)
        return (await session.execute(stmt)).all()

    async def _plan_batch(
        self,
        session: AsyncSession,
        due: Sequence[Row[Any]],
        now: datetime,
        report: TickReport,
        plans: dict[tuple[Any, ...], DuePlan],
    ) -> None:
        messages: list[Message] = []
        advances: list[tuple[int, datetime | None]] = []
        rotations: dict[int, dict[str, Any]] = {}
        for row in due:
            zone = ZoneInfo(row.timezone)
            # Schedules of one program, time and zone due at the same instant share a plan.
            plan_key = (row.rule, row.local_times, row.timezone, row.next_fire_at)
            plan = plans.get(plan_key)
            if plan is None:
                rule, times = _parsed(row.rule, row.local_times)
                plan = plans[plan_key] = plan_due(
                    row.next_fire_at, rule, times, zone, now, self.grace
                )
            advances.append((row.id, plan.next_fire_at))
            for occurrence in plan.missed:
                messages.append(self._missed(row, occurrence))
            report.missed += len(plan.missed)
            for occurrence in plan.send:
                message = self._message(row, occurrence, zone, rotations)
                if message is not None:
                    messages.append(message)
                    report.queued += 1
        await enqueue(session, messages, now)
        await advance_schedules(session, advances, now)
        await save_rotations(session, rotations)

    def _missed(self, row: Row[Any], occurrence: datetime) -> Message:
        return Message(
            chat_id=row.chat_id,
            recipient_id=row.person_id,
            kind=message_kind(ScheduleKind(row.kind).value),
            unique_key=outbox_keys.occurrence(row.id, occurrence),
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
        key = outbox_keys.occurrence(row.id, occurrence)
        locale = row.language
        kind = ScheduleKind(row.kind)
        # A schedule sends the message kind of the same name (every ScheduleKind is one).
        message = message_kind(kind.value)
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
        if policy(message).routine:
            not_before = release_time(occurrence, row.quiet_start, row.quiet_end, zone)
        return Message(
            chat_id=row.chat_id,
            recipient_id=row.person_id,
            kind=message,
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
        body = self._tip_bodies.get((locale, choice.tip_id))
        if body is None:
            tip = self.tips.get(locale, choice.tip_id)
            text = payloads.tip_payload(self.catalog, locale, tip.topic, tip.text, **self.common)
            body = self._tip_bodies[(locale, choice.tip_id)] = {**text, "tip_id": tip.id}
        return body, new_state
