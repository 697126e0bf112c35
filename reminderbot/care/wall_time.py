"""Parsing the local times and quiet-hour ranges people type ("18:00", "6 pm", "22:00-07:00")."""

from __future__ import annotations

import re
import unicodedata
from datetime import time

# Chinese readers write "18点30分" or "晚上6点"; a Chinese keyboard types "１８：００" (NFKC
# folds full-width digits and colons, so only the words need handling here).
_TIME_RE = re.compile(
    r"^\s*(?P<cn>上午|早上|中午|下午|晚上)?\s*(?P<hour>\d{1,2})"
    r"(?:\s*[:.h点時时]\s*(?P<minute>\d{2}))?\s*[点時时分]?"
    r"\s*(?P<ampm>a\.?m\.?|p\.?m\.?)?\s*$",
    re.IGNORECASE,
)
_RANGE_SPLIT_RE = re.compile(r"\s*(?:-|–|—|~|to|until|till|至|到)\s*", re.IGNORECASE)
_CN_AMPM = {"上午": "am", "早上": "am", "中午": "pm", "下午": "pm", "晚上": "pm"}


def parse_local_time(text: str) -> time | None:
    """Read a wall-clock time such as "18:00", "6pm", "07.15" or "晚上6点"; None if unreadable."""
    match = _TIME_RE.match(unicodedata.normalize("NFKC", text))
    if match is None:
        return None
    hour = int(match["hour"])
    minute = int(match["minute"] or 0)
    ampm = (match["ampm"] or _CN_AMPM.get(match["cn"] or "", "")).replace(".", "").lower()
    if match["cn"] == "中午" and hour == 12:
        ampm = ""
    if ampm:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm == "pm" else 0)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return time(hour, minute)


def parse_time_range(text: str) -> tuple[time, time] | None:
    """Read a range such as "22:00-07:00" or "10pm to 7am"; None if unreadable or empty."""
    parts = _RANGE_SPLIT_RE.split(unicodedata.normalize("NFKC", text).strip(), maxsplit=1)
    if len(parts) != 2:
        return None
    start, end = parse_local_time(parts[0]), parse_local_time(parts[1])
    if start is None or end is None or start == end:
        return None
    return start, end


def format_time(value: time) -> str:
    """Render a wall time as HH:MM (24-hour), the form stored in schedules."""
    return f"{value.hour:02d}:{value.minute:02d}"


def parse_hhmm(value: str) -> time:
    """Read a stored "HH:MM" value; raises ValueError for anything else."""
    parsed = parse_local_time(value)
    if parsed is None or not re.fullmatch(r"\d{2}:\d{2}", value.strip()):
        raise ValueError(f"{value!r} is not a time in HH:MM form")
    return parsed


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Say whether a local wall time falls within quiet hours (which may cross midnight)."""
    if start < end:
        return start <= local < end
    return local >= start or local < end
