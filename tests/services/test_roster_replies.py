"""The roster and one patient in chat: pages with buttons, details, every view audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import coordinator_desk, roster_replies
from reminderbot.store.models import AuditEvent
from tests.services.conftest import World
from tests.services.staff_helpers import NURSE

CHAT = NURSE.telegram_id


async def _audits(world: World, action: str) -> list[AuditEvent]:
    async with world.sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list((await session.scalars(stmt)).all())


async def test_roster_pages_most_worrying_first(
    world: World, rt: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(roster_replies, "PAGE_SIZE", 2)
    (first,) = await coordinator_desk.patients(rt, NURSE, CHAT, [])
    assert first.text.startswith("Patients, most worrying first — page 1 of 4 (7 in all)")
    ((label, data),) = first.buttons[0]
    assert label == rt.text("en", "coordinator.roster.next")
    parsed = callbacks.parse(data)
    assert parsed is not None
    (second,) = await coordinator_desk.button(rt, NURSE, CHAT, parsed)
    assert "page 2 of 4" in second.text
    assert [len(second.buttons[0])] == [2], "previous and next"
    views = await _audits(world, "view:roster")
    assert [e.details["patients"] for e in views] == [
        world.ids.worry_order[:2],
        world.ids.worry_order[2:4],
    ]


async def test_patient_details_are_shown_and_audited(world: World, rt: Runtime) -> None:
    shown = await coordinator_desk.patient(rt, NURSE, CHAT, [f"#{world.ids.ada}"])
    assert shown.patient_id == world.ids.ada
    (details,) = shown.replies
    assert "Ada Lovelace" in details.text
    assert [e.subject_person_id for e in await _audits(world, "view:patient")] == [world.ids.ada]


async def test_an_unknown_patient_is_explained_and_not_audited(world: World, rt: Runtime) -> None:
    shown = await coordinator_desk.patient(rt, NURSE, CHAT, ["999"])
    assert shown.patient_id is None
    assert "999" in shown.replies[0].text
    assert await _audits(world, "view:patient") == []
