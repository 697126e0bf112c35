"""A patient's choices: each leads to the next onboarding step, or is confirmed from settings."""

from __future__ import annotations

from datetime import time

from reminderbot.runtime import Runtime
from reminderbot.services import onboarding, preferences
from reminderbot.services import subscription_prompts as prompts
from reminderbot.store.models import PatientStatus
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.subscription_helpers import DANA_TG, ZOE_TG, button_data, load


async def test_choosing_a_language_in_onboarding_goes_on_to_the_time_zone(
    rt: Runtime, world: World
) -> None:
    dana = await load(world, DANA_TG)
    replies = preferences.choose_language(rt, dana, "zh-Hans", world.clock.now())
    assert (dana.language, dana.awaiting) == ("zh-Hans", onboarding.AWAIT_TIMEZONE)
    assert [r.text for r in replies] == [rt.text("zh-Hans", "onboarding.timezone.ask")]


async def test_choosing_a_language_from_settings_confirms_it_in_that_language(
    rt: Runtime, world: World
) -> None:
    zoe = await load(world, ZOE_TG)
    zoe.awaiting = onboarding.AWAIT_LANGUAGE
    replies = preferences.choose_language(rt, zoe, "zh-Hans", world.clock.now())
    assert (zoe.language, zoe.awaiting) == ("zh-Hans", None)
    assert [r.text for r in replies] == [
        rt.text("zh-Hans", "settings.language_updated", language="简体中文")
    ]


async def test_choosing_a_time_zone_in_onboarding_applies_the_program_and_offers_times(
    rt: Runtime, world: World
) -> None:
    dana = await load(world, DANA_TG)
    assert dana.patient is not None and not dana.patient.schedules
    replies = preferences.choose_timezone(rt, dana, "Asia/Shanghai", world.clock.now())
    assert dana.timezone == "Asia/Shanghai"
    assert dana.awaiting == onboarding.AWAIT_TIMES_CONFIRM
    assert dana.patient.schedules and dana.patient.program == rt.default_program.name
    # 10:00 UTC is 18:00 in Shanghai: the person can check that the zone is right.
    assert replies[0].text == rt.text(
        "en", "onboarding.timezone.set", timezone="Asia/Shanghai", local_time="18:00"
    )
    assert button_data(replies[1]) == [prompts.TIMES_KEEP, prompts.TIMES_CHANGE]


async def test_changing_the_time_zone_keeps_local_times_and_moves_the_instants(
    rt: Runtime, world: World
) -> None:
    zoe = await load(world, ZOE_TG)
    assert zoe.patient is not None
    before = {s.id: (s.local_times, s.next_fire_at) for s in zoe.patient.schedules}
    replies = preferences.choose_timezone(rt, zoe, "Asia/Shanghai", world.clock.now())
    after = {s.id: (s.local_times, s.next_fire_at) for s in zoe.patient.schedules}
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    assert all(after[k][1] != before[k][1] for k in before)
    assert zoe.awaiting is None
    assert replies[0].text == rt.text(
        "en", "settings.timezone_updated", timezone="Asia/Shanghai", local_time="18:00"
    )


async def test_a_typed_place_name_is_understood_and_nonsense_is_asked_again(
    rt: Runtime, world: World
) -> None:
    zoe = await load(world, ZOE_TG)
    preferences.typed_timezone(rt, zoe, "上海", world.clock.now())
    assert zoe.timezone == "Asia/Shanghai"
    preferences.typed_timezone(rt, zoe, "new york", world.clock.now())
    assert zoe.timezone == "America/New_York"
    typed = "Atlantis " * 10
    replies = preferences.typed_timezone(rt, zoe, typed, world.clock.now())
    assert zoe.timezone == "America/New_York"
    echo = ("Atlantis " * 5)[:39] + "…"
    assert replies[0].text == rt.text("en", "onboarding.timezone.unknown", typed=echo)
    assert button_data(replies[0]) == button_data(prompts.ask_timezone(rt, zoe))


async def test_typed_times_in_onboarding_ask_checkin_then_morning_then_finish(
    rt: Runtime, world: World
) -> None:
    now = world.clock.now()
    async with world.sessions.begin() as session:
        dana = await find_person(session, DANA_TG)
        assert dana is not None and dana.patient is not None
        preferences.choose_timezone(rt, dana, "UTC", now)
        assert preferences.start_changing_times(rt, dana)[0].text == rt.text(
            "en", "onboarding.times.ask_checkin"
        )
        assert dana.awaiting == onboarding.AWAIT_CHECKIN_TIME
        invalid = preferences.typed_time(rt, session, dana, "soon", now)
        assert invalid[0].text == rt.text("en", "onboarding.times.invalid")
        assert dana.awaiting == onboarding.AWAIT_CHECKIN_TIME
        morning = preferences.typed_time(rt, session, dana, "19:30", now)
        assert morning[0].text == rt.text("en", "onboarding.times.ask_morning")
        assert dana.awaiting == onboarding.AWAIT_MORNING_TIME
        done = preferences.typed_time(rt, session, dana, "8:15", now)
    dana = await load(world, DANA_TG)
    assert dana.patient is not None and dana.patient.status == PatientStatus.ACTIVE
    slots = {s.time_slot: s.local_times for s in dana.patient.schedules}
    assert (slots["checkin"], slots["morning"]) == (["19:30"], ["08:15"])
    assert done == [prompts.schedule_summary(rt, dana, "onboarding.summary.done")]


async def test_typed_times_from_settings_are_confirmed(rt: Runtime, world: World) -> None:
    now = world.clock.now()
    async with world.sessions.begin() as session:
        zoe = await find_person(session, ZOE_TG)
        assert zoe is not None
        preferences.start_changing_times(rt, zoe)
        preferences.typed_time(rt, session, zoe, "21:00", now)
        replies = preferences.typed_time(rt, session, zoe, "07:45", now)
    assert replies[0].text == rt.text(
        "en",
        "settings.times_updated",
        checkin_time="21:00",
        morning_time="07:45",
        timezone="Europe/Berlin",
    )
    zoe = await load(world, ZOE_TG)
    assert zoe.awaiting is None
    assert zoe.patient is not None and zoe.patient.status == PatientStatus.ACTIVE


async def test_quiet_hours_are_set_refused_when_unreadable_and_cleared(
    rt: Runtime, world: World
) -> None:
    zoe = await load(world, ZOE_TG)
    assert zoe.patient is not None
    zoe.awaiting = onboarding.AWAIT_QUIET_HOURS
    refused = preferences.typed_quiet_hours(rt, zoe, "at night", world.clock.now())
    assert refused[0].text == rt.text("en", "settings.quiet.invalid")
    assert button_data(refused[0]) == [prompts.QUIET_OFF]
    assert zoe.awaiting == onboarding.AWAIT_QUIET_HOURS
    preferences.typed_quiet_hours(rt, zoe, "22:00-07:00", world.clock.now())
    assert (zoe.patient.quiet_start, zoe.patient.quiet_end) == (time(22, 0), time(7, 0))
    assert zoe.awaiting is None
    cleared = preferences.clear_quiet_hours(rt, zoe, world.clock.now())
    assert (zoe.patient.quiet_start, zoe.patient.quiet_end) == (None, None)
    assert cleared[0].text == rt.text("en", "settings.quiet.cleared")
