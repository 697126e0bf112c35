"""Capacity forecast: the waves of the next 24 hours and when each one's last message goes out.

A wave is the messages of one kind due at one instant for patients in one time zone (18:00
check-ins in Europe/Berlin). The dispatcher sends at most `rate` messages a second, most
urgent kind first and, within a kind, oldest first; the forecast plays that queue forward
from what is already waiting, as a fluid (one message every 1/rate seconds).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Text, cast, func, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from reminderbot.care.recurrence import RuleError, occurrences, parse_rule, parse_times
from reminderbot.config import Settings
from reminderbot.delivery.kinds import MessageKind
from reminderbot.delivery.pacing import Limits
from reminderbot.delivery.policy import policy
from reminderbot.store.models import PatientProfile, PatientStatus, Person, Schedule

HORIZON = timedelta(hours=24)
_S = Schedule.__table__
_P = PatientProfile.__table__
_PERSON = Person.__table__


def send_rate(settings: Settings) -> float:
    """The overall rate the dispatcher is configured for, in messages a second."""
    return (
        Limits.paid_broadcast().per_second if settings.paid_broadcast else settings.rate_per_second
    )


@dataclass(frozen=True)
class Wave:
    """Messages of one kind due at one instant for one time zone."""

    at: datetime
    zone: str
    kind: str
    count: int

    @property
    def local_time(self) -> str:
        """The wall time the patients chose, e.g. 18:00."""
        try:
            return self.at.astimezone(ZoneInfo(self.zone)).strftime("%H:%M")
        except (ZoneInfoNotFoundError, ValueError):
            return self.at.strftime("%H:%M UTC")


@dataclass(frozen=True)
class Planned:
    """A wave with the instant its last message is expected to go out."""

    wave: Wave
    last_out: datetime

    @property
    def takes(self) -> timedelta:
        """From the wave's instant to its last message."""
        return self.last_out - self.wave.at


@dataclass(frozen=True)
class Group:
    """Schedules that fire together: same kind, rule, times, zone and next instant."""

    kind: str
    rule: str
    times: str
    zone: str
    next_fire_at: datetime
    count: int


async def read_groups(conn: AsyncConnection, now: datetime) -> list[Group]:
    """Active schedules of active patients due within the horizon, counted per group."""
    rule = cast(_S.c.rule, Text)
    times = cast(_S.c.local_times, Text)
    stmt = (
        select(_S.c.kind, rule, times, _PERSON.c.timezone, _S.c.next_fire_at, func.count())
        .select_from(
            _S.join(_P, _P.c.person_id == _S.c.patient_id).join(
                _PERSON, _PERSON.c.id == _P.c.person_id
            )
        )
        .where(
            _S.c.active == true(),
            _S.c.next_fire_at.is_not(None),
            _S.c.next_fire_at < now + HORIZON,
            _P.c.status == PatientStatus.ACTIVE,
        )
        .group_by(_S.c.kind, rule, times, _PERSON.c.timezone, _S.c.next_fire_at)
    )
    return [
        Group(str(kind), r, t, zone, at, int(n))
        for kind, r, t, zone, at, n in await conn.execute(stmt)
    ]


def _instants(group: Group, now: datetime, until: datetime) -> Iterator[datetime]:
    """The group's fire instants before `until` (overdue ones count as now)."""
    first = max(group.next_fire_at, now)
    yield first
    try:
        rule = parse_rule(json.loads(group.rule))
        times = parse_times(json.loads(group.times))
        zone = ZoneInfo(group.zone)
    except (RuleError, ValueError, ZoneInfoNotFoundError):
        return  # the planner reports a bad schedule; here it counts once
    if rule.type == "once" or (rule.type == "interval" and rule.every_days > 1):
        return  # no second occurrence within a day
    for instant in occurrences(rule, times, zone, group.next_fire_at):
        if instant >= until:
            return
        if instant > first:
            yield instant


def waves(groups: Iterable[Group], now: datetime, horizon: timedelta = HORIZON) -> list[Wave]:
    """Expand the groups into waves within the horizon, in time order."""
    until = now + horizon
    counts: dict[tuple[datetime, str, str], int] = defaultdict(int)
    for group in groups:
        for instant in _instants(group, now, until):
            # A wave is a minute: schedules fire on whole minutes (overdue ones count as now).
            minute = instant.replace(second=0, microsecond=0)
            counts[(minute, group.zone, group.kind)] += group.count
    return [Wave(at, zone, kind, n) for (at, zone, kind), n in sorted(counts.items())]


def _priority(kind: str) -> int:
    """The kind's lane (lower goes first); a kind this version does not know goes first."""
    try:
        return policy(MessageKind(kind)).priority
    except ValueError:
        return 0


@dataclass
class _Waiting:
    """Messages in the queue: a wave's (or the backlog's) still unsent part."""

    priority: int
    arrived: datetime
    order: int
    remaining: float
    wave: int | None  # index of the wave, None for the backlog

    def key(self) -> tuple[int, datetime, int]:
        """Sending order: most urgent kind first, then oldest."""
        return (self.priority, self.arrived, self.order)


def play(
    planned: Iterable[Wave], rate: float, now: datetime, backlog: Mapping[str, int] | None = None
) -> list[Planned]:
    """When each wave's last message goes out, sending `rate` a second in priority order.

    `backlog` is what already waits (per kind), sent before waves of its priority.
    """
    arrivals = sorted(planned, key=lambda w: w.at)
    queue = [
        _Waiting(_priority(kind), now, -1, float(n), None)
        for kind, n in (backlog or {}).items()
        if n > 0
    ]
    done: dict[int, datetime] = {}
    clock = now
    index = 0
    while index < len(arrivals) or queue:
        next_at = arrivals[index].at if index < len(arrivals) else None
        queue.sort(key=_Waiting.key)
        # Send until the next wave arrives (or everything is out).
        while queue and (next_at is None or clock < next_at):
            head = queue[0]
            budget = math.inf if next_at is None else (next_at - clock).total_seconds() * rate
            sent = min(head.remaining, budget)
            clock += timedelta(seconds=sent / rate)
            head.remaining -= sent
            if head.remaining <= 1e-9:
                queue.pop(0)
                if head.wave is not None:
                    done[head.wave] = clock
        if next_at is None:
            break
        clock = max(clock, next_at)
        while index < len(arrivals) and arrivals[index].at == next_at:
            wave = arrivals[index]
            queue.append(_Waiting(_priority(wave.kind), wave.at, index, wave.count, index))
            index += 1
    return [Planned(wave, done.get(i, wave.at)) for i, wave in enumerate(arrivals)]
