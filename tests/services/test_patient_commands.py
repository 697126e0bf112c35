"""/calcium and /pain as services: own command, what comes first, a caregiver's /pain."""

from __future__ import annotations

from reminderbot.runtime import Runtime
from reminderbot.services import patient_commands
from reminderbot.services.awaiting import Awaiting, parse
from reminderbot.services.replies import Asker
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.seed import CAREGIVER_TG, COORDINATOR_TG

ZOE_TG, DANA_TG, STRANGER_TG = 5001, 5005, 7777  # active, onboarding, unknown


async def test_calcium_asks_an_active_patient_for_the_value_and_waits_for_it(
    rt: Runtime, world: World
) -> None:
    replies = await patient_commands.calcium(rt, Asker(ZOE_TG, "Zoë"))
    assert [r.text for r in replies] == [rt.text("en", "delivery.calcium.ask_value")]
    async with rt.sessions() as session:
        zoe = await find_person(session, ZOE_TG)
        assert zoe is not None
        awaited = parse(zoe.awaiting)
    assert awaited is not None and awaited.kind is Awaiting.CALCIUM


async def test_pain_gives_an_active_patient_the_zero_to_ten_scale(rt: Runtime) -> None:
    (prompt,) = await patient_commands.pain(rt, Asker(ZOE_TG, "Zoë"), message_id=42)
    labels = [label for row in prompt.buttons for label, _ in row]
    assert [str(n) for n in range(11)] == [x for x in labels if x.isdigit()]


async def test_a_stranger_is_asked_for_consent_first_and_nothing_is_stored(
    rt: Runtime,
) -> None:
    for replies in (
        await patient_commands.calcium(rt, Asker(STRANGER_TG, "Max", "en")),
        await patient_commands.pain(rt, Asker(STRANGER_TG, "Max", "en"), message_id=1),
    ):
        assert [r.text for r in replies] == [rt.text("en", "onboarding.consent.needed")]
    async with rt.sessions() as session:
        assert await find_person(session, STRANGER_TG) is None


async def test_a_patient_still_onboarding_is_shown_the_step_they_are_on(rt: Runtime) -> None:
    replies = await patient_commands.calcium(rt, Asker(DANA_TG, "Dana"))
    assert replies
    assert all(r.text != rt.text("en", "delivery.calcium.ask_value") for r in replies)


async def test_a_caregivers_pain_reports_for_the_patient_they_follow(rt: Runtime) -> None:
    (reply,) = await patient_commands.pain(rt, Asker(CAREGIVER_TG, "Charles"), message_id=7)
    assert reply.text == rt.text("en", "caregiver.proxy.intro", patient_name="Ada Lovelace")
    assert sum(len(row) for row in reply.buttons) == 11


async def test_someone_following_nobody_is_told_it_is_for_patients(rt: Runtime) -> None:
    replies = await patient_commands.pain(rt, Asker(COORDINATOR_TG, "Kim"), message_id=3)
    assert [r.text for r in replies] == [rt.text("en", "caregiver.not_a_patient_help")]
