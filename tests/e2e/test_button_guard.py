"""Every button family and id-taking command through the real Application: routed once,
forged or replayed taps refused and audited, odd ids answered with the usage line."""

from __future__ import annotations

import logging
import re

import pytest
from sqlalchemy import select
from telegram.ext import CallbackQueryHandler

from reminderbot.delivery.buttons import ACTIONS
from reminderbot.sandbox.driver import SimulatedUser
from reminderbot.sandbox.state import CallbackAnswer
from reminderbot.store.models import AuditEvent, CaregiverLink, CheckIn
from tests.e2e.conftest import COORDINATOR_ID, Harness
from tests.e2e.test_caregivers import _invite, _join


async def _audits(harness: Harness, action: str) -> list[AuditEvent]:
    async with harness.rt.sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == action)
        return list((await session.scalars(stmt)).all())


async def _forge(user: SimulatedUser, data: str) -> CallbackAnswer:
    """Send forged callback data and wait for the bot to answer the tap."""
    answered = len(user.callback_answers)
    await user.forge_tap(data)
    await user.wait_for(lambda u: len(u.callback_answers) > answered, timeout=10)
    return user.callback_answers[answered]


async def _refused(harness: Harness, user: SimulatedUser, data: str, action: str) -> None:
    """The forged tap changes nothing, the tapper sees a notice, and an audit row names them."""
    before = [e.id for e in await _audits(harness, f"refused:{action}")]
    user.mark_read()
    answer = await _forge(user, data)
    new = [e for e in await _audits(harness, f"refused:{action}") if e.id not in before]
    assert [e.actor_telegram_id for e in new] == [user.user_id], (data, action)
    # The notice is either on the button or, for coordinator tools, a message (which may come
    # after the tap was answered: replies are queued on the paced send path).
    if not answer.text:
        await user.wait_for(lambda u: bool(u.unread), timeout=10)


def test_each_registered_code_has_exactly_one_handler(harness: Harness) -> None:
    handlers = [
        h
        for group in harness.app.handlers.values()
        for h in group
        if isinstance(h, CallbackQueryHandler)
    ]
    patterned = [h for h in handlers if h.pattern is not None]
    for action in ACTIONS:
        matched = [h for h in patterned if re.match(h.pattern, action.sample())]  # type: ignore[arg-type]
        assert len(matched) == 1, action.code
    # And one catch-all for stale buttons, registered after every family.
    assert [h for h in handlers if h.pattern is None] == [handlers[-1]]


async def test_stale_or_unknown_buttons_get_the_notice(harness: Harness) -> None:
    ada = harness.user()
    await harness.onboard(ada)
    answer = await _forge(ada, "zz|1|")
    assert answer.text == harness.t("common.stale_button")
    assert [e.actor_telegram_id for e in await _audits(harness, "refused:unknown_button")] == [
        ada.user_id
    ]


async def test_settings_buttons_of_someone_without_a_subscription_are_refused(
    harness: Harness,
) -> None:
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.say(nurse, "/alerts")  # a coordinator: a person row, no subscription
    for data, action in (
        ("set:pause", "set:pause"),
        ("set:resume", "set:resume"),
        ("tz:Europe/Berlin", "tz:"),
        ("times:keep", "times:keep"),
    ):
        await _refused(harness, nurse, data, action)


async def test_check_in_and_scheduled_buttons_of_another_patient_are_refused(
    harness: Harness,
) -> None:
    ada, zoe = harness.user(), harness.user(user_id=1002, first_name="Zoe")
    stranger = harness.user(user_id=7777, first_name="Sam")
    await harness.onboard(ada)
    await harness.onboard(zoe)
    await harness.say(stranger, "/start")
    prompt = await harness.say(ada, "/pain")
    score_data = next(d for row in prompt.inline_buttons for _, d in row if d)
    await harness.tap(ada, "9")
    async with harness.rt.sessions() as session:
        (checkin,) = (await session.scalars(select(CheckIn))).all()
    step = f"cq|{checkin.id}|worst:5"

    await _refused(harness, zoe, step, "checkin_button")
    await _refused(harness, stranger, step, "checkin_button")
    await _refused(harness, zoe, score_data, "button")
    await _refused(harness, stranger, score_data, "button")
    await _refused(harness, zoe, "sz:1h|s1@1700000000|", "button")
    await _refused(harness, zoe, "ca:done|s1@1700000000|", "button")
    async with harness.rt.sessions() as session:
        (still,) = (await session.scalars(select(CheckIn))).all()
    assert "worst" not in still.answers


async def test_coordinator_buttons_of_a_patient_are_refused(harness: Harness) -> None:
    ada = harness.user()
    await harness.onboard(ada)
    for data in ("ack|1|", "alr|1|", "aln|1|", "alm|5|", "pts|1|"):
        await _refused(harness, ada, data, "acknowledge" if data.startswith("ack") else data[:3])
    for data in ("bct|*|", "bcs|*|", "bcx|-|"):
        await _refused(harness, ada, data, data[:3])
    ada_person = await harness.person(ada)
    assert ada_person is not None
    for data in (
        f"sch|{ada_person.id}|1",
        f"scf|{ada_person.id}.1|times",
        f"scp|{ada_person.id}|",
        f"prg|{ada_person.id}|standard",
    ):
        await _refused(harness, ada, data, data[:3])


async def test_a_revoked_caregiver_replaying_their_buttons_is_refused(harness: Harness) -> None:
    ada, cara = harness.user(), harness.user(user_id=4242, first_name="Cara")
    await harness.onboard(ada)
    await _join(harness, cara, await _invite(harness, ada), "alerts")
    async with harness.rt.sessions() as session:
        (link,) = (await session.scalars(select(CaregiverLink))).all()
    ada_person = await harness.person(ada)
    assert ada_person is not None
    await _forge(ada, f"cgr|{link.id}|")  # Ada removes Cara
    async with harness.rt.sessions() as session:
        ended = await session.get(CaregiverLink, link.id)
        assert ended is not None and ended.revoked_at is not None

    await _refused(harness, cara, f"cgo|{link.id}|all", "cgo")
    await _refused(harness, cara, f"cgo|{link.id}|ask", "cgo")
    await _refused(harness, cara, f"cgl|{link.id}|", "cgl")
    await _refused(harness, cara, f"cps|{ada_person.id}|8", "cps")
    await _refused(harness, cara, f"cgp|{ada_person.id}|", "cgp")
    async with harness.rt.sessions() as session:
        assert (await session.scalars(select(CheckIn))).all() == []
        again = await session.get(CaregiverLink, link.id)
        assert again is not None and not again.receives_copies


ODD = ("²", "１２", "9" * 20, "-5", "0")


async def test_odd_ids_in_commands_get_the_usage_line(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    ada = harness.user()
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(ada)
    caplog.set_level(logging.WARNING)
    for odd in ODD:
        reply = await harness.say(nurse, f"/checkin {odd}")
        assert reply.text == harness.t("coordinator.checkin.usage"), odd
        reply = await harness.say(nurse, f"/patients {odd}")
        assert reply.text == harness.t("coordinator.roster.usage"), odd
        for command in ("/patient", "/schedule"):
            reply = await harness.say(nurse, f"{command} {odd}")
            assert reply.text == harness.t("admin.patient.bad_id", typed=odd), (command, odd)
        reply = await harness.say(ada, f"/trend {odd}")
        assert reply.text == harness.t("trend.usage"), odd
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_odd_ids_in_button_data_are_refused_without_an_error(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    ada = harness.user()
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(ada)
    await harness.say(nurse, "/alerts")
    caplog.set_level(logging.WARNING)
    error = harness.t("common.error")
    for odd in ODD:
        for user, data in (
            (nurse, f"ack|{odd}|"),
            (nurse, f"alr|{odd}|"),
            (nurse, f"aln|{odd}|"),
            (nurse, f"alm|{odd}|"),
            (nurse, f"pts|{odd}|"),
            (nurse, f"sch|{odd}|1"),
            (nurse, f"scf|{odd}.1|times"),
            (nurse, f"scp|{odd}|"),
            (nurse, f"prg|{odd}|standard"),
            (ada, f"cq|{odd}|worst:5"),
            (ada, f"ci|pain:{odd}:1|5"),
            (ada, f"ci|s1@1|{odd}"),
            (ada, f"cgl|{odd}|"),
            (ada, f"cgx|{odd}|"),
            (ada, f"cps|{odd}|5"),
            (ada, f"data:erase:{odd}"),
        ):
            user.mark_read()
            await _forge(user, data)
            assert all(m.text != error for m in user.unread), data
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
