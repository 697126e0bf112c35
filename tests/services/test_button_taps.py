"""Button families as service entry points: the family's right first, refusals audited."""

from __future__ import annotations

import pytest

from reminderbot.content import Catalog
from reminderbot.runtime import Runtime
from reminderbot.services import button_taps, patient_commands
from tests.services.conftest import World
from tests.services.runtime_for import runtime_for
from tests.services.seed import CAREGIVER_TG
from tests.services.staff_helpers import audits
from tests.services.subscription_helpers import asker

ZOE_TG, ADA_TG, STRANGER_TG = 5001, 5002, 7777


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The services' Runtime on the seeded database."""
    return runtime_for(world, catalog)


async def test_scheduled_buttons_need_a_subscribed_tapper(rt: Runtime, world: World) -> None:
    for who in (STRANGER_TG, CAREGIVER_TG):
        tapped = await button_taps.scheduled(rt, asker(who), who, "sz:1h|s1@1700000000|")
        assert tapped.replies == []
    refused = await audits(world, "refused:button")
    assert [(e.actor_telegram_id, e.details) for e in refused] == [
        (STRANGER_TG, {"action": "sz:1h"}),
        (CAREGIVER_TG, {"action": "sz:1h"}),
    ]


async def test_check_in_steps_of_strangers_and_odd_ids_are_refused(
    rt: Runtime, world: World
) -> None:
    for data in ("cq|1|worst:5", "cq|²|worst:5", "cq|99999999999999999999|worst:5"):
        tapped = await button_taps.checkin_step(rt, asker(STRANGER_TG), STRANGER_TG, data)
        assert tapped.replies == []
    assert len(await audits(world, "refused:checkin_button")) == 3


async def test_unknown_data_is_audited_and_answered_in_the_tappers_language(
    rt: Runtime, world: World
) -> None:
    tapped = await button_taps.unknown(rt, asker(ZOE_TG, language_code="zh"), ZOE_TG, "zz|1|")
    assert (tapped.replies, tapped.locale) == ([], "en")
    assert [e.actor_telegram_id for e in await audits(world, "refused:unknown_button")] == [ZOE_TG]


async def test_patient_commands_say_what_comes_first(rt: Runtime, world: World) -> None:
    (before,) = await patient_commands.calcium(rt, asker(STRANGER_TG))
    assert before.text == rt.text("en", "onboarding.consent.needed")
    (asked,) = await patient_commands.calcium(rt, asker(ZOE_TG))
    assert asked.text == rt.text("en", "delivery.calcium.ask_value")
    # Ada's caregiver answers /pain for Ada: the 0-10 scale names her.
    (proxy,) = await patient_commands.pain(rt, asker(CAREGIVER_TG), 1)
    assert "Ada" in proxy.text
