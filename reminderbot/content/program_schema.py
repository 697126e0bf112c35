"""The schema of programs/<name>.yaml: the schedules a new patient starts with."""

from __future__ import annotations

from datetime import time
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, field_validator

from reminderbot.care.programs import SCHEDULE_KINDS, TIME_SLOTS
from reminderbot.care.recurrence import RuleError, parse_rule
from reminderbot.care.wall_time import parse_hhmm
from reminderbot.content.schema import Says, Schema, as_tuple, fail


def _hhmm(value: Any) -> Any:
    # Quoted "18:00" is a time; unquoted, YAML reads 18:00 as the number 1080.
    if not isinstance(value, str):
        return value
    try:
        return parse_hhmm(value)
    except ValueError as exc:
        raise fail(f"default_time {exc}") from None


class ScheduleEntry(Schema):
    """One schedule of a program: what is sent, how often, and at which of the patient's times."""

    what: ClassVar[str] = "a schedule"

    kind: Annotated[
        Literal["tip", "checkin", "calcium"],
        Says(f"kind {{raw}} is not one of {', '.join(SCHEDULE_KINDS)}"),
    ]
    rule: Annotated[dict[str, Any], Says("rule must be a mapping like {{type: daily}}, got {got}")]
    time_slot: Annotated[
        Literal["checkin", "morning"],
        Says(f"time_slot {{raw}} is not one of {', '.join(TIME_SLOTS)}"),
    ]
    default_time: Annotated[
        time,
        BeforeValidator(_hhmm),
        Says('default_time must be a time in quotes like "09:00", got {got}'),
    ]

    @field_validator("rule")
    @classmethod
    def _rule_parses(cls, rule: dict[str, Any]) -> dict[str, Any]:
        try:
            parse_rule(rule)
        except RuleError as exc:
            raise fail(str(exc)) from None
        return rule


class ProgramFile(Schema):
    """A program: at least one schedule."""

    what: ClassVar[str] = "a program"

    schedules: Annotated[
        tuple[ScheduleEntry, ...],
        BeforeValidator(as_tuple),
        Field(min_length=1),
        Says(
            "a program needs a 'schedules' list, got {got}",
            bounds="a program needs at least one schedule",
        ),
    ]
