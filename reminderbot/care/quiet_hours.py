"""Quiet hours: when a routine message that falls inside them may be sent instead."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from reminderbot.care.recurrence import resolve_local
from reminderbot.care.wall_time import in_quiet_hours


def release_time(
    instant: datetime, start: time | None, end: time | None, zone: ZoneInfo
) -> datetime:
    """Return `instant`, or the end of the quiet hours it falls in (local wall time `end`)."""
    if start is None or end is None:
        return instant
    local = instant.astimezone(zone)
    if not in_quiet_hours(local.time().replace(tzinfo=None), start, end):
        return instant
    release_day = local.date()
    if local.time().replace(tzinfo=None) >= end:
        # Quiet hours that cross midnight end on the next calendar day.
        release_day += timedelta(days=1)
    return max(instant, resolve_local(release_day, end, zone))
