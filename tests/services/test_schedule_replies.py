"""Schedules in chat: view, pick a schedule and a field, type the new value, changes audited."""

from __future__ import annotations

from sqlalchemy import select

from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import coordinator_desk, schedule_replies
from reminderbot.store.models import AuditEvent, Schedule, ScheduleKind
from tests.services.conftest import World
from tests.services.staff_helpers import NURSE

CHAT = NURSE.telegram_id


async def _audits(world: World, action: str) -> list[AuditEvent]:
    async with world.sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list((await session.scalars(stmt)).all())


async def _checkin_schedule(world: World) -> Schedule:
    async with world.sessions() as session:
        schedule = await session.scalar(
            select(Schedule).where(
                Schedule.patient_id == world.ids.finn, Schedule.kind == ScheduleKind.CHECKIN
            )
        )
    assert schedule is not None
    return schedule


async def test_change_a_schedules_times_by_buttons_and_typing(world: World, rt: Runtime) -> None:
    schedule = await _checkin_schedule(world)
    (shown,) = await coordinator_desk.schedule(rt, NURSE, CHAT, [str(world.ids.finn)])
    assert "Finn" in shown.text
    assert [e.subject_person_id for e in await _audits(world, "view:schedule")] == [world.ids.finn]
    pick = callbacks.ButtonData(
        schedule_replies.PICK_SCHEDULE, str(world.ids.finn), str(schedule.id)
    )
    (fields,) = await coordinator_desk.button(rt, NURSE, CHAT, pick)
    labels = [label for row in fields.buttons for label, _ in row]
    assert rt.text("en", "coordinator.schedule.field.times") in labels
    assert rt.text("en", "coordinator.schedule.field.dose") not in labels, "dose is for calcium"
    times = callbacks.ButtonData(
        schedule_replies.PICK_FIELD, f"{world.ids.finn}.{schedule.id}", "times"
    )
    (ask,) = await coordinator_desk.button(rt, NURSE, CHAT, times)
    assert ask.text == rt.text("en", "coordinator.schedule.ask.times")

    # A bad value changes nothing and asks again.
    bad = await coordinator_desk.typed(rt, NURSE, "25:99")
    assert bad is not None and bad[-1].text == ask.text
    assert await _audits(world, "schedule:change") == []

    changed = await coordinator_desk.typed(rt, NURSE, "08:15")
    assert changed is not None and changed[0].text.startswith(f"Schedule #{schedule.id} changed.")
    assert (await _checkin_schedule(world)).local_times == ["08:15"]
    assert [e.subject_person_id for e in await _audits(world, "schedule:change")] == [
        world.ids.finn
    ]
    assert await coordinator_desk.typed(rt, NURSE, "09:00") is None, "no longer waiting"
