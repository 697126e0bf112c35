"""Free text goes to the question the person is answering, and only then to a short reply."""

from __future__ import annotations

from sqlalchemy import func, select

from reminderbot.runtime import Runtime
from reminderbot.services import calcium_results, checkins, onboarding, typed_text
from reminderbot.services.broadcasts import AWAIT_BROADCAST
from reminderbot.store.models import CalciumResult, CheckIn
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.seed import CAREGIVER_TG, COORDINATOR_TG
from tests.services.subscription_helpers import (
    DANA_TG,
    STRANGER_TG,
    ZOE_TG,
    asker,
    load,
    row_counts,
)


async def _await(world: World, telegram_id: int, awaiting: str | None) -> None:
    async with world.sessions.begin() as session:
        person = await find_person(session, telegram_id)
        assert person is not None
        person.awaiting = awaiting


async def _count(world: World, model: type[CheckIn] | type[CalciumResult]) -> int:
    async with world.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def _done_checkin(world: World) -> int:
    async with world.sessions() as session:
        checkin_id = await session.scalar(select(CheckIn.id).limit(1))
    assert checkin_id is not None
    return checkin_id


async def test_a_typed_score_starts_a_check_in(rt: Runtime, world: World) -> None:
    before = await _count(world, CheckIn)
    replies = await typed_text.answer(rt, asker(ZOE_TG), "6")
    assert await _count(world, CheckIn) == before + 1
    assert replies and replies[0].text != rt.text("en", "common.unknown_text")


async def test_a_calcium_result_is_stored_when_asked_for(rt: Runtime, world: World) -> None:
    await _await(world, ZOE_TG, calcium_results.AWAIT_CALCIUM)
    before = await _count(world, CalciumResult)
    await typed_text.answer(rt, asker(ZOE_TG), "2.40 mmol/L")
    assert await _count(world, CalciumResult) == before + 1
    assert (await load(world, ZOE_TG)).awaiting is None


async def test_text_after_a_finished_check_in_is_not_taken_for_it(
    rt: Runtime, world: World
) -> None:
    done = await _done_checkin(world)
    await _await(world, ZOE_TG, f"{checkins.AWAIT_PREFIX}{done}")
    replies = await typed_text.answer(rt, asker(ZOE_TG), "thanks")
    assert [r.text for r in replies] == [rt.text("en", "common.unknown_text")]
    assert (await load(world, ZOE_TG)).awaiting is None
    # A caregiver whose proxy check-in is over gets the same short reply, not a consent prompt.
    await _await(world, CAREGIVER_TG, f"{checkins.AWAIT_PREFIX}{done}")
    replies = await typed_text.answer(rt, asker(CAREGIVER_TG), "thanks")
    assert [r.text for r in replies] == [rt.text("en", "common.unknown_text")]
    assert (await load(world, CAREGIVER_TG)).awaiting is None


async def test_a_coordinators_broadcast_text_goes_to_the_desk(rt: Runtime, world: World) -> None:
    await _await(world, COORDINATOR_TG, f"{AWAIT_BROADCAST}*")
    replies = await typed_text.answer(rt, asker(COORDINATOR_TG), "Clinic closed on Friday")
    assert any("Clinic closed on Friday" in r.text for r in replies)


async def test_onboarding_answers_and_strangers_go_to_the_subscription(
    rt: Runtime, world: World
) -> None:
    await _await(world, DANA_TG, onboarding.AWAIT_TIMEZONE)
    await typed_text.answer(rt, asker(DANA_TG), "Berlin")
    assert (await load(world, DANA_TG)).timezone == "Europe/Berlin"
    before = await row_counts(world)
    replies = await typed_text.answer(rt, asker(STRANGER_TG), "hello")
    assert [r.text for r in replies] == [rt.text("en", "onboarding.consent.needed")]
    assert await row_counts(world) == before
