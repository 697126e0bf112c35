"""The onboarding and settings questions: which buttons they offer, in which order."""

from __future__ import annotations

from datetime import time

from reminderbot.care.wall_time import format_time
from reminderbot.runtime import Runtime
from reminderbot.services import subscription_prompts as prompts
from reminderbot.services.subscriptions import slot_times
from tests.services.conftest import World
from tests.services.subscription_helpers import BOB_TG, ZOE_TG, button_data, load


async def test_the_preselected_language_comes_first_and_ticked(rt: Runtime) -> None:
    reply = prompts.ask_language(rt, "zh-Hans")
    assert reply.text == rt.text("zh-Hans", "onboarding.language.ask")
    assert [label for row in reply.buttons for label, _ in row] == [
        prompts.PRESELECTED_MARK + "简体中文",
        "English",
    ]
    assert button_data(reply) == ["lang:zh-Hans", "lang:en"]


async def test_time_zones_offer_the_default_first_and_the_persons_own(
    rt: Runtime, world: World
) -> None:
    zoe = await load(world, ZOE_TG)
    zoe.timezone = "Pacific/Auckland"
    zones = [
        data.removeprefix(prompts.TIMEZONE_PREFIX)
        for data in button_data(prompts.ask_timezone(rt, zoe))
    ]
    assert zones[:2] == ["Pacific/Auckland", "Europe/London"]
    assert len(zones) == len(set(zones))
    assert set(rt.suggested_timezones) <= set(zones)


async def test_settings_overview_offers_pause_or_resume_by_status(
    rt: Runtime, world: World
) -> None:
    zoe = await load(world, ZOE_TG)
    assert zoe.patient is not None
    zoe.patient.quiet_start, zoe.patient.quiet_end = time(22, 0), time(7, 0)
    active = prompts.settings_overview(rt, zoe)
    assert prompts.SET_PAUSE in button_data(active)
    assert prompts.SET_RESUME not in button_data(active)
    assert rt.text("en", "settings.quiet_range", start="22:00", end="07:00") in active.text
    paused = prompts.settings_overview(rt, await load(world, BOB_TG))
    assert prompts.SET_RESUME in button_data(paused)
    assert rt.text("en", "settings.status.paused") in paused.text


async def test_times_question_shows_the_chosen_times(rt: Runtime, world: World) -> None:
    zoe = await load(world, ZOE_TG)
    slots = slot_times(zoe, rt.default_program)
    reply = prompts.ask_times(rt, zoe)
    assert reply.text == rt.text(
        "en",
        "onboarding.times.ask",
        checkin_time=format_time(slots["checkin"]),
        morning_time=format_time(slots["morning"]),
    )
    assert button_data(reply) == [prompts.TIMES_KEEP, prompts.TIMES_CHANGE]
