"""The alert work list: unresolved alerts oldest first, paging, resolving with or without a note."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import alert_worklist, alerts, coordinator_desk
from reminderbot.store.models import Alert, AlertState, Person
from tests.services.conftest import SETTING_COORDINATOR, World
from tests.services.seed import ZOE_NAME
from tests.services.staff_helpers import NURSE, audits, outbox

CHAT = NURSE.telegram_id
UNRESOLVED = 3  # Finn's, Zoë's (open) and Ada's (acknowledged) in the seed


async def _alert_of(world: World, patient_id: int) -> Alert:
    async with world.sessions() as session:
        alert = await session.scalar(select(Alert).where(Alert.patient_id == patient_id))
    assert alert is not None
    return alert


async def test_work_list_shows_unresolved_alerts_oldest_first_and_audits(
    world: World, rt: Runtime
) -> None:
    header, *cards = await coordinator_desk.alerts(rt, NURSE, CHAT)
    assert header.text == rt.text("en", "coordinator.alerts.header", count=UNRESOLVED)
    assert len(cards) == UNRESOLVED
    # Ada's alert was raised four days ago, Zoë's two days ago, Finn's an hour ago.
    ids = (world.ids.ada, world.ids.zoe, world.ids.finn)
    ada, zoe, finn = [await _alert_of(world, pid) for pid in ids]
    assert [f"#{a.id}" in c.text for a, c in zip([ada, zoe, finn], cards, strict=True)] == [
        True
    ] * 3
    # Acknowledge only on open alerts; Resolve on each.
    assert [len(c.buttons[0]) for c in cards] == [1, 2, 2]
    (event,) = await audits(world, "view:alerts")
    assert event.details == {"alerts": [ada.id, zoe.id, finn.id]}


async def test_work_list_pages(world: World, rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(alert_worklist, "ALERTS_PER_PAGE", 2)
    *_, more = await coordinator_desk.alerts(rt, NURSE, CHAT)
    assert more.text == rt.text("en", "coordinator.alerts.more", count=1)
    ((_label, data),) = more.buttons[0]
    parsed = callbacks.parse(data)
    assert parsed is not None and parsed.action == alert_worklist.MORE_ALERTS
    _header, last = await coordinator_desk.button(rt, NURSE, CHAT, parsed)
    assert f"#{(await _alert_of(world, world.ids.finn)).id}" in last.text


async def test_resolve_with_a_typed_note_tells_the_other_coordinators(
    world: World, rt: Runtime
) -> None:
    zoe_alert = await _alert_of(world, world.ids.zoe)
    resolve = callbacks.ButtonData(alert_worklist.RESOLVE, str(zoe_alert.id))
    (ask,) = await coordinator_desk.button(rt, NURSE, CHAT, resolve)
    assert f"#{zoe_alert.id}" in ask.text
    replies = await coordinator_desk.typed(rt, NURSE, "  Called her, dose adjusted  ")
    assert replies is not None
    assert replies[0].text == rt.text(
        "en", "coordinator.alerts.resolved", alert_id=zoe_alert.id, patient_name=ZOE_NAME
    )
    done = await _alert_of(world, world.ids.zoe)
    assert done.state == AlertState.RESOLVED and done.resolution_note == "Called her, dose adjusted"
    assert done.acknowledged_at is not None, "resolving stops the repeats, as acknowledging does"
    (event,) = await audits(world, "alert:resolve")
    assert event.details == {"alert": zoe_alert.id, "with_note": True}
    # The coordinator granted by the setting hears of it; the resolver does not.
    notices = [r for r in await outbox(world) if r.unique_key.startswith("resolved:")]
    assert [r.chat_id for r in notices] == [SETTING_COORDINATOR]
    assert notices[0].payload["patient_id"] == world.ids.zoe
    async with world.sessions() as session:
        nurse = await session.scalar(select(Person).where(Person.telegram_user_id == CHAT))
    assert nurse is not None and nurse.awaiting is None


async def test_no_note_button_only_for_the_alert_being_resolved(world: World, rt: Runtime) -> None:
    zoe_alert = await _alert_of(world, world.ids.zoe)
    finn_alert = await _alert_of(world, world.ids.finn)
    await coordinator_desk.button(
        rt, NURSE, CHAT, callbacks.ButtonData(alert_worklist.RESOLVE, str(zoe_alert.id))
    )
    skip_other = callbacks.ButtonData(alert_worklist.RESOLVE_SKIP_NOTE, str(finn_alert.id))
    assert await coordinator_desk.button(rt, NURSE, CHAT, skip_other) == []
    skip = callbacks.ButtonData(alert_worklist.RESOLVE_SKIP_NOTE, str(zoe_alert.id))
    (resolved,) = await coordinator_desk.button(rt, NURSE, CHAT, skip)
    assert f"#{zoe_alert.id}" in resolved.text
    assert (await _alert_of(world, world.ids.zoe)).resolution_note is None
    assert (await _alert_of(world, world.ids.zoe)).state == AlertState.RESOLVED
    assert (await _alert_of(world, world.ids.finn)).state == AlertState.OPEN
    (event,) = await audits(world, "alert:resolve")
    assert event.details == {"alert": zoe_alert.id, "with_note": False}


async def test_resolve_alert_refuses_an_already_resolved_alert(world: World, rt: Runtime) -> None:
    bob_alert = await _alert_of(world, world.ids.bob)
    async with world.sessions.begin() as session:
        nurse = await session.scalar(select(Person).where(Person.telegram_user_id == CHAT))
        assert nurse is not None
        done = await alerts.resolve_alert(
            session,
            rt,
            alert_id=bob_alert.id,
            by=nurse,
            note=None,
            now=world.clock.now(),
        )
    assert done is None
    assert await audits(world, "alert:resolve") == []
