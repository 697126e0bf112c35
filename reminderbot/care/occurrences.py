"""Which occurrences of a schedule to send now, and which were missed during downtime."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from reminderbot.care.recurrence import Rule, next_fire

# After a long outage a daily schedule has one missed occurrence a day; recording each keeps
# the history honest, and this cap keeps one tick's work bounded.
MAX_MISSED_PER_TICK = 100


@dataclass(frozen=True)
class DuePlan:
    """What a tick does with one due schedule."""

    send: list[datetime] = field(default_factory=list)
    missed: list[datetime] = field(default_factory=list)
    next_fire_at: datetime | None = None


def plan_due(
    first_due: datetime,
    rule: Rule,
    times: Sequence[time],
    zone: ZoneInfo,
    now: datetime,
    grace: timedelta,
) -> DuePlan:
    """Split the occurrences from `first_due` up to `now` into late-but-sendable and missed.

    Occurrences within `grace` of now are sent (once, late); older ones are only recorded as
    missed, so that a restart after a long outage never sends a burst of stale reminders.
    """
    send: list[datetime] = []
    missed: list[datetime] = []
    occurrence: datetime | None = first_due
    while occurrence is not None and occurrence <= now:
        if now - occurrence <= grace:
            send.append(occurrence)
        elif len(missed) < MAX_MISSED_PER_TICK:
            missed.append(occurrence)
        occurrence = next_fire(rule, times, zone, occurrence)
    return DuePlan(send=send, missed=missed, next_fire_at=occurrence)
