"""Broadcast drafts live in the database: preview stores, Send spends, Cancel drops, one each."""

from __future__ import annotations

from sqlalchemy import select

from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import broadcasts, coordinator_desk
from reminderbot.store.models import BroadcastDraft
from tests.services.conftest import World
from tests.services.staff_helpers import NURSE, audits, button, outbox

CHAT = NURSE.telegram_id
ACTIVE_PATIENTS = 3  # Finn, Zoë and Ada in the seed


async def _drafts(world: World) -> list[BroadcastDraft]:
    async with world.sessions() as session:
        return list((await session.scalars(select(BroadcastDraft))).all())


async def _preview(rt: Runtime, text: str) -> str:
    """Pick everyone, type the text; return the Send button's data."""
    (ask,) = await coordinator_desk.broadcast(rt, NURSE, CHAT)
    everyone = button(ask, rt.text("en", "coordinator.broadcast.everyone"))
    parsed = callbacks.parse(everyone)
    assert parsed is not None
    await coordinator_desk.button(rt, NURSE, CHAT, parsed)
    replies = await coordinator_desk.typed(rt, NURSE, text)
    assert replies is not None
    (preview,) = replies
    assert text in preview.text
    return button(
        preview, rt.text("en", "coordinator.broadcast.send_button", count=ACTIVE_PATIENTS)
    )


async def test_preview_stores_the_draft_and_send_spends_it(world: World, rt: Runtime) -> None:
    send = await _preview(rt, "Clinic closed on Monday.")
    (draft,) = await _drafts(world)
    assert (draft.audience, draft.text) == (broadcasts.EVERYONE, "Clinic closed on Monday.")

    parsed = callbacks.parse(send)
    assert parsed is not None
    (queued,) = await coordinator_desk.button(rt, NURSE, CHAT, parsed)
    assert queued.text == rt.text("en", "coordinator.broadcast.queued", count=ACTIVE_PATIENTS)
    rows = await outbox(world, "broadcast")
    assert [r.payload["text"] for r in rows] == ["Clinic closed on Monday."] * ACTIVE_PATIENTS
    assert await _drafts(world) == []
    (event,) = await audits(world, "broadcast:send")
    assert event.details == {"audience": "*", "recipients": ACTIVE_PATIENTS}

    # A second Send (double tap, another worker) finds nothing to send.
    (again,) = await coordinator_desk.button(rt, NURSE, CHAT, parsed)
    assert again.text == rt.text("en", "coordinator.broadcast.expired")
    assert len(await outbox(world, "broadcast")) == ACTIVE_PATIENTS


async def test_a_new_preview_replaces_the_open_draft(world: World, rt: Runtime) -> None:
    await _preview(rt, "First text")
    await _preview(rt, "Second text")
    assert [d.text for d in await _drafts(world)] == ["Second text"]


async def test_cancel_drops_the_draft_and_sends_nothing(world: World, rt: Runtime) -> None:
    await _preview(rt, "Never mind")
    cancel = callbacks.ButtonData(broadcasts.BROADCAST_CANCEL, "-")
    (cancelled,) = await coordinator_desk.button(rt, NURSE, CHAT, cancel)
    assert cancelled.text == rt.text("en", "coordinator.broadcast.cancelled")
    assert await _drafts(world) == []
    assert await outbox(world, "broadcast") == []


async def test_too_long_a_text_stores_no_draft_and_keeps_asking(world: World, rt: Runtime) -> None:
    await coordinator_desk.broadcast(rt, NURSE, CHAT)
    await coordinator_desk.button(
        rt, NURSE, CHAT, callbacks.ButtonData(broadcasts.BROADCAST_TO, broadcasts.EVERYONE)
    )
    replies = await coordinator_desk.typed(rt, NURSE, "x" * (broadcasts.BROADCAST_MAX + 1))
    assert replies is not None and "3501" in replies[0].text
    assert await _drafts(world) == []
    # Still waiting for the text: a shorter one is previewed.
    assert await coordinator_desk.typed(rt, NURSE, "Short now") is not None
    assert [d.text for d in await _drafts(world)] == ["Short now"]
