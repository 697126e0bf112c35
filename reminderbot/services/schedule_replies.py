"""Schedules in chat for coordinators (/schedule): view, change a schedule, assign a program.

The caller has checked the coordinator role; views and changes are audited here and in
services/schedule_admin.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.programs import SCHEDULE_KINDS
from reminderbot.delivery import buttons, callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import schedule_admin
from reminderbot.services.admin_common import Actor, AdminInputError, parse_patient_id
from reminderbot.services.awaiting import Awaiting, stored
from reminderbot.services.coordinators import Coordinator
from reminderbot.services.replies import Reply, keyboard
from reminderbot.services.roster_replies import error_reply, schedule_line
from reminderbot.services.schedule_admin import ScheduleChange
from reminderbot.store.people import add_audit

PICK_SCHEDULE = buttons.PICK_SCHEDULE
PICK_FIELD = buttons.PICK_FIELD
PROGRAMS = buttons.PROGRAMS
ASSIGN = buttons.ASSIGN_PROGRAM
ACTIONS = frozenset({PICK_SCHEDULE, PICK_FIELD, PROGRAMS, ASSIGN})
AWAIT_SCHEDULE = Awaiting.SCHEDULE
FIELDS = ("times", "weekdays", "every", "dose")


def _actor(who: Coordinator) -> Actor:
    return Actor(via="telegram", telegram_id=who.person.telegram_user_id)


# --- /schedule <id> -----------------------------------------------------------------------------


async def schedule(
    rt: Runtime, session: AsyncSession, who: Coordinator, args: list[str], now: datetime
) -> list[Reply]:
    """A patient's schedules in words, a button to change each, and one to assign a program."""
    try:
        # ASCII digits in range only; anything else gets the line saying what a number is.
        patient_id = parse_patient_id(args[0] if args else "")
    except AdminInputError as exc:
        return error_reply(rt, who, exc)
    return await _show(rt, session, who, patient_id, now)


async def _show(
    rt: Runtime, session: AsyncSession, who: Coordinator, patient_id: int, now: datetime
) -> list[Reply]:
    try:
        shown = await schedule_admin.show_schedules(
            session, patient_id, catalog=rt.catalog, locale=who.locale
        )
    except AdminInputError as exc:
        return error_reply(rt, who, exc)
    add_audit(
        session,
        at=now,
        action="view:schedule",
        actor_telegram_id=who.person.telegram_user_id,
        subject_person_id=patient_id,
    )
    locale = who.locale
    lines = [
        rt.text(
            locale,
            "coordinator.schedule.header",
            name=shown.name or "—",
            patient_id=patient_id,
            program=shown.program,
            timezone=shown.timezone,
        )
    ]
    rows: list[list[tuple[str, str]]] = []
    for view in shown.schedules:
        lines.append(schedule_line(rt, locale, view))
        if view.kind in SCHEDULE_KINDS:
            rows.append(
                [
                    (
                        rt.text(
                            locale,
                            "coordinator.schedule.change_button",
                            number=view.schedule_id,
                            kind=rt.text(locale, f"coordinator.schedule.kind.{view.kind}"),
                        ),
                        callbacks.build(PICK_SCHEDULE, str(patient_id), str(view.schedule_id)),
                    )
                ]
            )
    rows.append(
        [
            (
                rt.text(locale, "coordinator.schedule.program_button"),
                callbacks.build(PROGRAMS, str(patient_id)),
            )
        ]
    )
    return [Reply("\n".join(lines), keyboard(*rows))]


def _pick_field(
    rt: Runtime, who: Coordinator, patient_id: str, schedule_id: str, kind: str
) -> list[Reply]:
    locale = who.locale
    fields = [f for f in FIELDS if f != "dose" or kind == "calcium"]
    rows = [
        [
            (
                rt.text(locale, f"coordinator.schedule.field.{field}"),
                callbacks.build(PICK_FIELD, f"{patient_id}.{schedule_id}", field),
            )
        ]
        for field in fields
    ]
    return [
        Reply(
            rt.text(locale, "coordinator.schedule.pick_field", number=schedule_id), keyboard(*rows)
        )
    ]


def _ask_value(
    rt: Runtime, who: Coordinator, patient_id: str, schedule_id: str, field: str
) -> list[Reply]:
    who.person.awaiting = stored(Awaiting.SCHEDULE, f"{patient_id}:{schedule_id}:{field}")
    return [Reply(rt.text(who.locale, f"coordinator.schedule.ask.{field}"))]


def _change_for(field: str, typed: str) -> ScheduleChange:
    text = typed.strip()
    if field == "times":
        return ScheduleChange(times=text)
    if field == "weekdays":
        return ScheduleChange(weekdays=text)
    if field == "every":
        number, _, unit = text.partition(" ")
        return ScheduleChange(every=number, unit=unit.strip() or None)
    dates, _, before = text.partition(";")
    return ScheduleChange(dose_dates=dates.strip(), days_before=before.strip() or None)


async def typed_value(
    rt: Runtime, session: AsyncSession, who: Coordinator, typed: str, now: datetime
) -> list[Reply]:
    """The new times, weekdays, interval or dose dates a coordinator typed for a schedule."""
    awaiting = (who.person.awaiting or "").removeprefix(AWAIT_SCHEDULE)
    parts = awaiting.split(":")
    if len(parts) != 3 or parts[2] not in FIELDS:
        who.person.awaiting = None
        return [Reply(rt.text(who.locale, "common.stale_button"))]
    patient_id, schedule_id, field = parts
    try:
        update = await schedule_admin.change_schedule(
            session,
            int(patient_id),
            schedule_id,
            _change_for(field, typed),
            actor=_actor(who),
            now=now,
            catalog=rt.catalog,
            locale=who.locale,
        )
    except AdminInputError as exc:
        # Keep waiting for a corrected value: nothing was changed.
        return [
            *error_reply(rt, who, exc),
            Reply(rt.text(who.locale, f"coordinator.schedule.ask.{field}")),
        ]
    who.person.awaiting = None
    return [
        Reply(
            rt.text(
                who.locale,
                "coordinator.schedule.changed",
                number=update.after.schedule_id,
                before=update.before.description,
                after=update.after.description,
                next=update.after.next_local or "—",
            )
        )
    ]


async def _programs(
    rt: Runtime, session: AsyncSession, who: Coordinator, patient_id: str
) -> list[Reply]:
    views = await schedule_admin.list_programs(
        session, rt.programs, catalog=rt.catalog, locale=who.locale
    )
    lines = [rt.text(who.locale, "coordinator.schedule.programs_header")]
    for view in views:
        lines.append(f"• {view.name}: " + "; ".join(item.description for item in view.items))
    rows = [[(view.name, callbacks.build(ASSIGN, patient_id, view.name))] for view in views]
    return [Reply("\n".join(lines), keyboard(*rows))]


async def _assign(
    rt: Runtime,
    session: AsyncSession,
    who: Coordinator,
    patient_id: str,
    program: str,
    now: datetime,
) -> list[Reply]:
    try:
        await schedule_admin.assign_program(
            session,
            int(patient_id),
            program,
            programs=rt.programs,
            actor=_actor(who),
            now=now,
            catalog=rt.catalog,
            locale=who.locale,
        )
    except AdminInputError as exc:
        return error_reply(rt, who, exc)
    done = Reply(rt.text(who.locale, "coordinator.schedule.program_done", program=program))
    return [done, *await _show(rt, session, who, int(patient_id), now)]


# --- buttons ------------------------------------------------------------------------------------


async def button(
    rt: Runtime,
    session: AsyncSession,
    who: Coordinator,
    data: callbacks.ButtonData,
    now: datetime,
) -> list[Reply]:
    """A schedule button (the caller has checked the role); [] when stale."""
    # Keys are ids the bot wrote; anything else (forged, "²", 20 digits) is stale.
    if data.action == PICK_SCHEDULE and _ids(data.key, data.value):
        try:
            shown = await schedule_admin.show_schedules(
                session, int(data.key), catalog=rt.catalog, locale=who.locale
            )
        except AdminInputError as exc:
            return error_reply(rt, who, exc)
        kinds = {str(v.schedule_id): v.kind for v in shown.schedules}
        if data.value not in kinds:
            return []
        return _pick_field(rt, who, data.key, data.value, kinds[data.value])
    if data.action == PICK_FIELD and data.value in FIELDS:
        patient_id, _, schedule_id = data.key.partition(".")
        if _ids(patient_id, schedule_id):
            return _ask_value(rt, who, patient_id, schedule_id, data.value)
    if data.action == PROGRAMS and _ids(data.key):
        return await _programs(rt, session, who, data.key)
    if data.action == ASSIGN and _ids(data.key):
        return await _assign(rt, session, who, data.key, data.value, now)
    return []


def _ids(*texts: str) -> bool:
    return all(buttons.parse_id(text) is not None for text in texts)
