"""Coordinator entry points: the role checked afresh each time, refusals audited, the work done."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import select, update

from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import (
    alert_worklist,
    broadcasts,
    coordinator_desk,
    coordinators,
    roster_replies,
    schedule_replies,
)
from reminderbot.services.admin_common import CLI_ACTOR
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.models import Alert, AuditEvent, Person
from tests.services.conftest import World
from tests.services.staff_helpers import CARER, NURSE, STRANGER, audits

Entry = Callable[[Runtime, Asker, World], Awaitable[list[Reply]]]


async def _patient(rt: Runtime, asker: Asker, world: World) -> list[Reply]:
    shown = await coordinator_desk.patient(rt, asker, asker.telegram_id, [str(world.ids.ada)])
    return shown.replies


# Each entry point, with the action its refusal is audited under.
ENTRIES: dict[str, Entry] = {
    "alerts": lambda rt, a, w: coordinator_desk.alerts(rt, a, a.telegram_id),
    "broadcast": lambda rt, a, w: coordinator_desk.broadcast(rt, a, a.telegram_id),
    "checkin": lambda rt, a, w: coordinator_desk.checkin(rt, a, a.telegram_id, [str(w.ids.ada)]),
    "patients": lambda rt, a, w: coordinator_desk.patients(rt, a, a.telegram_id, []),
    "patient": _patient,
    "schedule": lambda rt, a, w: coordinator_desk.schedule(rt, a, a.telegram_id, [str(w.ids.ada)]),
    roster_replies.PAGE: lambda rt, a, w: coordinator_desk.button(
        rt, a, a.telegram_id, callbacks.ButtonData(roster_replies.PAGE, "1")
    ),
    broadcasts.BROADCAST_SEND: lambda rt, a, w: coordinator_desk.button(
        rt, a, a.telegram_id, callbacks.ButtonData(broadcasts.BROADCAST_SEND, "1")
    ),
}


async def _all_audits(world: World) -> list[AuditEvent]:
    async with world.sessions() as session:
        return list((await session.scalars(select(AuditEvent).order_by(AuditEvent.id))).all())


async def _audit_ids(world: World) -> list[int]:
    return [e.id for e in await _all_audits(world)]


async def _revoke_nurse(world: World) -> None:
    async with world.sessions.begin() as session:
        await coordinators.revoke(
            session, NURSE.telegram_id, configured_ids=(), actor=CLI_ACTOR, now=world.clock.now()
        )


@pytest.mark.parametrize("asker", [CARER, STRANGER], ids=["caregiver", "stranger"])
@pytest.mark.parametrize("action", list(ENTRIES))
async def test_every_entry_point_refuses_a_non_coordinator_and_audits_it(
    world: World, rt: Runtime, action: str, asker: Asker
) -> None:
    before = await _all_audits(world)
    replies = await ENTRIES[action](rt, asker, world)
    assert [r.text for r in replies] == [rt.text("en", "coordinator.not_allowed")]
    assert all(r.buttons == () for r in replies)
    (event,) = (await _all_audits(world))[len(before) :]
    assert (event.action, event.actor_telegram_id) == (f"refused:{action}", asker.telegram_id)
    async with world.sessions() as session:
        # Nobody is made a coordinator (or made at all) by being refused.
        assert (
            await session.scalar(
                select(Person).where(Person.telegram_user_id == STRANGER.telegram_id)
            )
            is None
        )


async def test_nothing_is_queued_for_a_refused_command(world: World, rt: Runtime) -> None:
    await coordinator_desk.checkin(rt, CARER, CARER.telegram_id, [str(world.ids.ada)])
    assert await audits(world, "checkin:ask_now") == []


async def test_the_refusal_speaks_the_askers_language(world: World, rt: Runtime) -> None:
    newcomer = Asker(STRANGER.telegram_id, "Li", "zh-hans")
    (refused,) = await coordinator_desk.alerts(rt, newcomer, newcomer.telegram_id)
    assert refused.text == rt.text("zh-Hans", "coordinator.not_allowed")


async def test_the_role_is_read_again_on_every_command(world: World, rt: Runtime) -> None:
    header, *_ = await coordinator_desk.alerts(rt, NURSE, NURSE.telegram_id)
    assert header.text != rt.text("en", "coordinator.not_allowed")
    await _revoke_nurse(world)
    (refused,) = await coordinator_desk.alerts(rt, NURSE, NURSE.telegram_id)
    assert refused.text == rt.text("en", "coordinator.not_allowed")
    assert [e.actor_telegram_id for e in await audits(world, "refused:alerts")] == [
        NURSE.telegram_id
    ]


async def test_a_coordinator_who_lost_the_role_cannot_finish_typing(
    world: World, rt: Runtime
) -> None:
    async with world.sessions() as session:
        alert_id = await session.scalar(select(Alert.id).where(Alert.patient_id == world.ids.zoe))
    assert alert_id is not None
    resolve = callbacks.ButtonData(alert_worklist.RESOLVE, str(alert_id))
    await coordinator_desk.button(rt, NURSE, NURSE.telegram_id, resolve)
    await _revoke_nurse(world)
    replies = await coordinator_desk.typed(rt, NURSE, "Called her")
    assert replies is not None
    assert [r.text for r in replies] == [rt.text("en", "coordinator.not_allowed")]
    assert len(await audits(world, "refused:coordinator_text")) == 1
    assert await audits(world, "alert:resolve") == []
    async with world.sessions() as session:
        nurse = await session.scalar(
            select(Person).where(Person.telegram_user_id == NURSE.telegram_id)
        )
        alert = await session.get(Alert, alert_id)
    # The question is dropped, so the next message is not read as a note again.
    assert nurse is not None and nurse.awaiting is None
    assert alert is not None and alert.resolution_note is None


# --- for a coordinator --------------------------------------------------------------------------


async def test_broadcast_asks_whom_to_write_to(world: World, rt: Runtime) -> None:
    (ask,) = await coordinator_desk.broadcast(rt, NURSE, NURSE.telegram_id)
    assert ask.text == rt.text("en", "coordinator.broadcast.ask_audience")
    targets = [callbacks.parse(data) for row in ask.buttons for _, data in row]
    assert [(t.action, t.key) for t in targets if t is not None] == [
        (broadcasts.BROADCAST_TO, broadcasts.EVERYONE),
        *((broadcasts.BROADCAST_TO, name) for name in sorted(rt.programs)),
    ]


@pytest.mark.parametrize(("args", "first"), [([], 0), (["1"], 0), (["2"], 2), (["3"], 4)])
async def test_patients_reads_the_page_counting_from_one(
    world: World, rt: Runtime, monkeypatch: pytest.MonkeyPatch, args: list[str], first: int
) -> None:
    monkeypatch.setattr(roster_replies, "PAGE_SIZE", 2)
    await coordinator_desk.patients(rt, NURSE, NURSE.telegram_id, args)
    (view,) = await audits(world, "view:roster")
    assert view.details["patients"] == world.ids.worry_order[first : first + 2]


async def test_patient_returns_the_id_of_the_patient_shown(world: World, rt: Runtime) -> None:
    shown = await coordinator_desk.patient(rt, NURSE, NURSE.telegram_id, [f"#{world.ids.zoe}"])
    assert shown.patient_id == world.ids.zoe and len(shown.replies) >= 1
    missing = await coordinator_desk.patient(rt, NURSE, NURSE.telegram_id, ["99999"])
    assert missing.patient_id is None
    refused = await coordinator_desk.patient(rt, CARER, CARER.telegram_id, [str(world.ids.zoe)])
    assert refused.patient_id is None


async def test_schedule_shows_buttons_that_lead_back_to_the_desk(world: World, rt: Runtime) -> None:
    (shown,) = await coordinator_desk.schedule(rt, NURSE, NURSE.telegram_id, [str(world.ids.ada)])
    actions = {
        parsed.action
        for row in shown.buttons
        for _, data in row
        if (parsed := callbacks.parse(data)) is not None
    }
    assert actions and actions <= coordinator_desk.ACTIONS
    assert actions <= schedule_replies.ACTIONS


@pytest.mark.parametrize(
    "data",
    [
        callbacks.ButtonData("zzz", "1"),
        callbacks.ButtonData(alert_worklist.MORE_ALERTS, "x"),
        callbacks.ButtonData(alert_worklist.RESOLVE_SKIP_NOTE, "x"),
        callbacks.ButtonData(roster_replies.PAGE, "-1"),
    ],
    ids=["unknown", "more-not-a-number", "skip-note-not-a-number", "page-not-a-number"],
)
async def test_a_stale_or_foreign_button_answers_nothing(
    world: World, rt: Runtime, data: callbacks.ButtonData
) -> None:
    before = await _audit_ids(world)
    assert await coordinator_desk.button(rt, NURSE, NURSE.telegram_id, data) == []
    assert await _audit_ids(world) == before


async def test_typing_is_read_only_when_a_coordinator_question_is_open(
    world: World, rt: Runtime
) -> None:
    assert await coordinator_desk.typed(rt, NURSE, "hello") is None
    assert await coordinator_desk.typed(rt, STRANGER, "hello") is None
    async with world.sessions.begin() as session:
        # A check-in question is the patient side's to answer, not the desk's.
        await session.execute(
            update(Person)
            .where(Person.telegram_user_id == NURSE.telegram_id)
            .values(awaiting="checkin:5")
        )
    assert await coordinator_desk.typed(rt, NURSE, "hello") is None
    assert await audits(world, "refused:coordinator_text") == []


@pytest.mark.parametrize(
    ("awaiting", "expected"),
    [
        (None, False),
        ("", False),
        # The strings stored in person.awaiting (existing rows keep them).
        ("note:12", True),
        ("broadcast:*", True),
        ("sched:3:5:times", True),
        ("checkin:12", False),
        ("timezone", False),
    ],
)
def test_awaits_text_knows_the_desks_questions(awaiting: str | None, expected: bool) -> None:
    assert coordinator_desk.awaits_text(awaiting) is expected


async def test_the_log_names_ids_and_actions_only(
    world: World, rt: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=coordinator_desk.__name__)
    await coordinator_desk.alerts(rt, Asker(STRANGER.telegram_id, "Evelyn", "en"), 1)
    (line,) = [r.getMessage() for r in caplog.records if r.name == coordinator_desk.__name__]
    assert line == f"coordinator action user={STRANGER.telegram_id} action=alerts allowed=False"
