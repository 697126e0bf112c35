"""The check-in conversation: adapted questions, red-flag screen, outcome, who may answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.content import Catalog
from reminderbot.runtime import Runtime
from reminderbot.services import checkin_questions, checkins
from reminderbot.services.replies import Reply
from reminderbot.store.models import (
    Alert,
    AuditEvent,
    CheckIn,
    OutboxDelivery,
    Person,
    ScheduleKind,
)
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.runtime_for import runtime_for
from tests.services.seed import CAREGIVER_TG

ADA_TG, ZOE_TG = 5002, 5001
T = TypeVar("T")


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The services' Runtime on the seeded database."""
    return runtime_for(world, catalog)


async def _in_tx(rt: Runtime, act: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """One handler's worth of work: one transaction, committed."""
    async with rt.sessions.begin() as session:
        return await act(session)


async def _person(session: AsyncSession, telegram_id: int) -> Person:
    person = await find_person(session, telegram_id)
    assert person is not None
    return person


async def _begin(rt: Runtime, telegram_id: int, score: int, key: str) -> tuple[int, list[Reply]]:
    async def act(session: AsyncSession) -> tuple[int, list[Reply]]:
        person = await _person(session, telegram_id)
        replies = await checkins.begin(
            rt,
            session,
            person,
            prompt_key=key,
            source="typed",
            prompted_at=rt.clock.now(),
            score=score,
            now=rt.clock.now(),
        )
        assert person.awaiting is not None
        return int(person.awaiting.removeprefix(checkins.AWAIT_PREFIX)), replies

    return await _in_tx(rt, act)


async def _answer(rt: Runtime, checkin_id: int, value: str) -> list[Reply] | None:
    async def act(session: AsyncSession) -> list[Reply] | None:
        checkin = await session.get(CheckIn, checkin_id)
        assert checkin is not None
        return await checkins.answer(rt, session, checkin, value, rt.clock.now())

    return await _in_tx(rt, act)


async def _checkin(rt: Runtime, checkin_id: int) -> CheckIn:
    async with rt.sessions() as session:
        checkin = await session.get(CheckIn, checkin_id)
    assert checkin is not None
    return checkin


def _data(reply: Reply) -> list[str]:
    return [data for row in reply.buttons for _label, data in row]


async def test_a_low_usual_score_asks_only_about_new_back_pain(rt: Runtime, world: World) -> None:
    checkin_id, replies = await _begin(rt, ADA_TG, 2, "typed:low")
    assert [r.text for r in replies] == [rt.text("en", "checkin.red_flag.new_back_pain")]
    assert _data(replies[0]) == [
        f"cq|{checkin_id}|flag:new_back_pain:yes",
        f"cq|{checkin_id}|flag:new_back_pain:no",
    ]
    assert (await _checkin(rt, checkin_id)).answers["plan"] == ["flag:new_back_pain", "note"]


async def test_new_back_pain_opens_the_whole_screen(rt: Runtime, world: World) -> None:
    checkin_id, _ = await _begin(rt, ADA_TG, 2, "typed:back")
    replies = await _answer(rt, checkin_id, "flag:new_back_pain:yes")
    assert replies is not None
    assert [r.text for r in replies] == [rt.text("en", "checkin.red_flag.mscc")]
    plan = (await _checkin(rt, checkin_id)).answers["plan"]
    assert plan[:2] == ["flag:new_back_pain", "flag:mscc"] and len(plan) > 3


async def test_a_severe_score_walks_the_scales_then_alerts_and_plans_a_follow_up(
    rt: Runtime, world: World
) -> None:
    checkin_id, replies = await _begin(rt, ADA_TG, 8, "typed:severe")
    assert replies[0].text == rt.text("en", "checkin.ask_worst")
    assert _data(replies[0]) == [f"cq|{checkin_id}|worst:{n}" for n in range(11)]
    for value in ("worst:9", "sleep:7", "walking:7"):
        assert await _answer(rt, checkin_id, value) is not None
    replies = await _answer(rt, checkin_id, "rescue:no")
    assert replies is not None
    # The safety questions begin with a word of why.
    assert replies[0].text == rt.text("en", "checkin.screen_intro")
    while (step := (await _checkin(rt, checkin_id)).answers["step"]).startswith("flag:"):
        assert await _answer(rt, checkin_id, f"{step}:no") is not None
    assert step == "note"
    replies = await _answer(rt, checkin_id, "note:skip")
    assert replies is not None and replies[-1].text == rt.text("en", "checkin.thanks")
    checkin = await _checkin(rt, checkin_id)
    assert checkin.answers["step"] == "done" and checkin.tier == 2
    async with rt.sessions() as session:
        alert = await session.scalar(select(Alert).where(Alert.checkin_id == checkin_id))
        ada = await _person(session, ADA_TG)
    assert alert is not None and alert.tier == 2
    assert ada.awaiting is None
    assert ada.patient is not None
    assert any(s.kind == ScheduleKind.FOLLOWUP for s in ada.patient.schedules)


async def test_an_emergency_sign_ends_the_screen_at_once(rt: Runtime, world: World) -> None:
    checkin_id, _ = await _begin(rt, ADA_TG, 8, "typed:emergency")
    for value in ("worst:8", "sleep:5", "walking:5", "rescue:yes"):
        await _answer(rt, checkin_id, value)
    assert (await _checkin(rt, checkin_id)).answers["step"] == "flag:mscc"
    replies = await _answer(rt, checkin_id, "flag:mscc:yes")
    assert replies is not None
    assert replies[0].text.split("\n", 1)[0] in rt.text("en", "advice.red_flag.mscc")
    checkin = await _checkin(rt, checkin_id)
    assert checkin.tier == 3 and checkin.answers["step"] == "done"


async def test_a_stale_or_malformed_answer_changes_nothing(rt: Runtime, world: World) -> None:
    checkin_id, _ = await _begin(rt, ADA_TG, 8, "typed:stale")
    assert await _answer(rt, checkin_id, "sleep:3") is None
    assert await _answer(rt, checkin_id, "worst:11") is None
    assert (await _checkin(rt, checkin_id)).answers["step"] == "worst"


async def test_typed_words_during_a_scale_question_ask_again_kindly(
    rt: Runtime, world: World
) -> None:
    checkin_id, _ = await _begin(rt, ADA_TG, 8, "typed:words")

    async def act(session: AsyncSession) -> list[Reply]:
        checkin = await session.get(CheckIn, checkin_id)
        assert checkin is not None
        return await checkins.typed(rt, session, checkin, "quite bad", rt.clock.now())

    replies = await _in_tx(rt, act)
    assert [r.text for r in replies] == [
        rt.text("en", "checkin.score_retry"),
        rt.text("en", "checkin.ask_worst"),
    ]


async def test_a_typed_score_answers_the_open_prompt(rt: Runtime, world: World) -> None:
    async def act(session: AsyncSession) -> list[Reply]:
        zoe = await _person(session, ZOE_TG)
        return await checkins.typed_score(rt, session, zoe, 3, rt.clock.now())

    await _in_tx(rt, act)
    async with rt.sessions() as session:
        newest = await session.scalar(
            select(OutboxDelivery)
            .where(OutboxDelivery.recipient_id == world.ids.zoe)
            .order_by(OutboxDelivery.sent_at.desc())
            .limit(1)
        )
        checkin = await session.scalar(
            select(CheckIn).where(CheckIn.patient_id == world.ids.zoe).order_by(CheckIn.id.desc())
        )
    assert newest is not None and checkin is not None
    assert (checkin.prompt_key, checkin.source) == (newest.unique_key, "checkin")


async def test_only_the_patient_may_tap_their_own_checkin(rt: Runtime, world: World) -> None:
    checkin_id, _ = await _begin(rt, ADA_TG, 8, "typed:foreign")

    async def tap(telegram_id: int) -> list[Reply]:
        async def act(session: AsyncSession) -> list[Reply]:
            who = await _person(session, telegram_id)
            return await checkins.answer_tap(
                rt, session, who, str(checkin_id), "worst:5", rt.clock.now()
            )

        return await _in_tx(rt, act)

    assert await tap(CAREGIVER_TG) == []
    async with rt.sessions() as session:
        refusal = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "refused:checkin_button")
        )
    assert refusal is not None and refusal.actor_telegram_id == CAREGIVER_TG
    assert [r.text for r in await tap(ADA_TG)] == [rt.text("en", "checkin.ask_sleep")]


async def test_a_caregiver_answers_the_questions_of_a_report_they_began(
    rt: Runtime, world: World
) -> None:
    async def act(session: AsyncSession) -> tuple[list[Reply], str | None]:
        ada = await _person(session, ADA_TG)
        carer = await _person(session, CAREGIVER_TG)
        replies = await checkins.begin(
            rt,
            session,
            ada,
            prompt_key="proxy:test",
            source="proxy",
            prompted_at=rt.clock.now(),
            score=2,
            now=rt.clock.now(),
            reporter=carer,
        )
        return replies, carer.awaiting

    replies, awaiting = await _in_tx(rt, act)
    assert awaiting is not None and awaiting.startswith(checkins.AWAIT_PREFIX)
    checkin = await _checkin(rt, int(awaiting.removeprefix(checkins.AWAIT_PREFIX)))
    assert (checkin.source, checkin.reporter_id) == ("proxy", world.ids.caregiver)
    async with rt.sessions() as session:
        carer = await _person(session, CAREGIVER_TG)
        assert await checkins.may_answer(session, carer, checkin)
    assert replies[0].text == rt.text("en", "checkin.red_flag.new_back_pain")


async def test_pain_prompt_is_keyed_by_patient_and_has_no_snooze(rt: Runtime, world: World) -> None:
    async with rt.sessions() as session:
        ada = await _person(session, ADA_TG)
    now = rt.clock.now()
    reply = checkin_questions.pain_prompt(rt, ada, now, 77)
    key = f"pain:{ada.id}:{int(now.timestamp())}:77"
    assert reply.text == rt.text("en", "delivery.checkin.prompt")
    assert _data(reply) == [f"ci|{key}|{n}" for n in range(11)]
