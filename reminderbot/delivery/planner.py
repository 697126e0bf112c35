"""The tick: due schedule occurrences become outbox rows, in the transaction that advances them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import joinedload

from reminderbot.care.occurrences import plan_due
from reminderbot.care.quiet_hours import release_time
from reminderbot.care.recurrence import parse_rule, parse_times
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

log = logging.getLogger(__name__)


@dataclass
class TickReport:
    """What one tick did."""

    schedules: int = 0
    queued: int = 0
    missed: int = 0


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
    ) -> None:
        self.sessions = sessions
        self.catalog = catalog
        self.tips = tips
        self.common = common_values
        self.grace = grace
        self.batch = batch
        # Every locale rotates through the same tip ids; texts are looked up per locale.
        self._tip_entries = list(tips.rotation_entries())

    async def tick(self, now: datetime) -> TickReport:
        """Queue every occurrence due by `now`; returns counts. Bounded work per call."""
        report = TickReport()
        for _ in range(100):
            async with self.sessions.begin() as session:
                due = await self._claim(session, now)
                if not due:
                    break
                messages: list[Message] = []
                for schedule in due:
                    messages.extend(self._plan(schedule, now, report))
                await enqueue(session, messages, now)
            report.schedules += len(due)
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

    async def _claim(self, session: AsyncSession, now: datetime) -> list[Schedule]:
        stmt = (
            select(Schedule)
            .join(PatientProfile, PatientProfile.person_id == Schedule.patient_id)
            .where(
                Schedule.active.is_(True),
                Schedule.next_fire_at.is_not(None),
                Schedule.next_fire_at <= now,
                PatientProfile.status == PatientStatus.ACTIVE,
            )
            .order_by(Schedule.next_fire_at, Schedule.id)
            .limit(self.batch)
            .options(
                joinedload(Schedule.patient, innerjoin=True).joinedload(
                    PatientProfile.person, innerjoin=True
                )
            )
        )
        if session.get_bind().dialect.name == "postgresql":
            # Another worker's tick skips what this one holds, so no occurrence is planned twice.
            stmt = stmt.with_for_update(of=Schedule, skip_locked=True)
        return list((await session.scalars(stmt)).unique().all())

    def _plan(self, schedule: Schedule, now: datetime, report: TickReport) -> list[Message]:
        patient = schedule.patient
        person = patient.person
        zone = ZoneInfo(person.timezone)
        assert schedule.next_fire_at is not None
        plan = plan_due(
            schedule.next_fire_at,
            parse_rule(schedule.rule),
            parse_times(schedule.local_times),
            zone,
            now,
            self.grace,
        )
        schedule.next_fire_at = plan.next_fire_at
        schedule.updated_at = now
        messages = []
        for occurrence in plan.missed:
            messages.append(self._missed(schedule, person, occurrence))
        report.missed += len(plan.missed)
        for occurrence in plan.send:
            message = self._message(schedule, patient, person, occurrence, zone)
            if message is not None:
                messages.append(message)
                report.queued += 1
        return messages

    def _missed(self, schedule: Schedule, person: Person, occurrence: datetime) -> Message:
        return Message(
            chat_id=person.chat_id,
            recipient_id=person.id,
            kind=schedule.kind.value,
            unique_key=occurrence_key(schedule.id, int(occurrence.timestamp())),
            payload={},
            not_before=occurrence,
            schedule_id=schedule.id,
            state=DeliveryState.MISSED,
        )

    def _message(
        self,
        schedule: Schedule,
        patient: PatientProfile,
        person: Person,
        occurrence: datetime,
        zone: ZoneInfo,
    ) -> Message | None:
        key = occurrence_key(schedule.id, int(occurrence.timestamp()))
        locale = person.language
        kind = schedule.kind
        if kind == ScheduleKind.TIP:
            body = self._tip_payload(patient, locale)
            if body is None:
                return None
        elif kind in (ScheduleKind.CHECKIN, ScheduleKind.FOLLOWUP):
            body = payloads.checkin_payload(self.catalog, locale, key, **self.common)
        else:
            body = payloads.calcium_payload(self.catalog, locale, key, **self.common)
        not_before = occurrence
        if policy(kind.value).routine:
            not_before = release_time(occurrence, patient.quiet_start, patient.quiet_end, zone)
        return Message(
            chat_id=person.chat_id,
            recipient_id=person.id,
            kind=kind.value,
            unique_key=key,
            payload=body,
            not_before=not_before,
            schedule_id=schedule.id,
        )

    def _tip_payload(self, patient: PatientProfile, locale: str) -> dict[str, Any] | None:
        choice, state = choose_tip(
            self._tip_entries,
            self.tips.topics,
            patient.tip_rotation,
            frozenset(patient.tags or ()),
        )
        patient.tip_rotation = state
        if choice is None:
            return None
        tip = self.tips.get(locale, choice.tip_id)
        return {
            **payloads.tip_payload(self.catalog, locale, tip.topic, tip.text, **self.common),
            "tip_id": tip.id,
        }
