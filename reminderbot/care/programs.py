"""Programs: named templates of schedules applied at onboarding, validated from plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

from reminderbot.care.recurrence import Rule, RuleError, parse_rule
from reminderbot.care.wall_time import parse_hhmm

SCHEDULE_KINDS = ("tip", "checkin", "calcium")
# The preferred times a patient picks at onboarding; each program item follows one of them.
TIME_SLOTS = ("checkin", "morning")


@dataclass(frozen=True)
class ProgramItem:
    """One schedule a program creates."""

    kind: str
    rule: Rule
    slot: str
    default_time: time


@dataclass(frozen=True)
class Program:
    """A named set of schedules."""

    name: str
    items: tuple[ProgramItem, ...]

    def default_slot_times(self) -> dict[str, time]:
        """Return each time slot's default local time (the first item using it decides)."""
        slots: dict[str, time] = {}
        for item in self.items:
            slots.setdefault(item.slot, item.default_time)
        return slots


def parse_program(name: str, data: Any) -> Program:
    """Validate a program mapping; raises RuleError naming the item and the problem."""
    if not isinstance(data, dict) or not isinstance(data.get("schedules"), list):
        raise RuleError("a program needs a 'schedules' list")
    items = []
    for index, raw in enumerate(data["schedules"], start=1):
        where = f"schedule {index}"
        if not isinstance(raw, dict):
            raise RuleError(f"{where}: expected a mapping with kind, rule, time_slot, default_time")
        kind = raw.get("kind")
        if kind not in SCHEDULE_KINDS:
            raise RuleError(f"{where}: kind {kind!r} is not one of {', '.join(SCHEDULE_KINDS)}")
        slot = raw.get("time_slot")
        if slot not in TIME_SLOTS:
            raise RuleError(f"{where}: time_slot {slot!r} is not one of {', '.join(TIME_SLOTS)}")
        try:
            rule = parse_rule(raw.get("rule"))
            default_time = parse_hhmm(str(raw.get("default_time", "")))
        except (RuleError, ValueError) as exc:
            raise RuleError(f"{where}: {exc}") from None
        items.append(ProgramItem(kind=kind, rule=rule, slot=slot, default_time=default_time))
    if not items:
        raise RuleError("a program needs at least one schedule")
    return Program(name=name, items=tuple(items))
