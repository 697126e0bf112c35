"""Taps and typed answers are routed by what the person was asked, and only then."""

from __future__ import annotations

from reminderbot.runtime import Runtime
from reminderbot.services import onboarding, subscription_answers
from reminderbot.services import subscription_prompts as prompts
from reminderbot.store.models import PatientStatus
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.subscription_helpers import (
    BOB_TG,
    CARL_TG,
    DANA_TG,
    STRANGER_TG,
    ZOE_TG,
    asker,
    audit_actions,
    load,
    row_counts,
)

MIA = asker(STRANGER_TG, "Mia", "en")


async def _tap(rt: Runtime, data: str, who: int = STRANGER_TG) -> list[str]:
    tapped = await subscription_answers.answer_tap(rt, asker(who, "Mia", "en"), 4242, data)
    return [r.text for r in tapped.replies]


async def _type(rt: Runtime, typed: str, who: int = STRANGER_TG) -> list[str]:
    replies = await subscription_answers.answer_text(rt, asker(who, "Mia", "en"), typed)
    return [r.text for r in replies]


async def test_onboarding_goes_consent_language_time_zone_times_in_order(
    rt: Runtime, world: World
) -> None:
    before = await row_counts(world)
    # Before consent, no step answers and nothing is stored.
    assert await _tap(rt, "lang:en") == []
    assert await _type(rt, "Europe/Berlin") == [rt.text("en", "onboarding.consent.needed")]
    assert await row_counts(world) == before

    assert await _tap(rt, prompts.CONSENT_YES) == [
        rt.text("en", "onboarding.consent.agreed"),
        rt.text("en", "onboarding.language.ask"),
    ]
    mia = await load(world, STRANGER_TG)
    assert mia.chat_id == 4242
    # A time zone tapped before the language is answered is a stale button.
    assert await _tap(rt, "tz:Asia/Shanghai") == []
    assert await _tap(rt, "lang:zh-Hans") == [rt.text("zh-Hans", "onboarding.timezone.ask")]
    # Typed text while a button is expected: the question again, not a guess.
    assert await _tap(rt, prompts.TIMES_KEEP) == []
    assert (await _type(rt, "上海"))[0] == rt.text(
        "zh-Hans", "onboarding.timezone.set", timezone="Asia/Shanghai", local_time="18:00"
    )
    assert await _type(rt, "keep") == [
        [r.text for r in onboarding.current_step(rt, await load(world, STRANGER_TG))][1]
    ]
    done = await _tap(rt, prompts.TIMES_KEEP)
    mia = await load(world, STRANGER_TG)
    assert mia.patient is not None and mia.patient.status == PatientStatus.ACTIVE
    assert done == [prompts.schedule_summary(rt, mia, "onboarding.summary.done").text]
    assert await audit_actions(world, STRANGER_TG) == ["consent", "status:active"]
    # The consent and the keep buttons are spent.
    assert await _tap(rt, prompts.CONSENT_YES) == []
    assert await _tap(rt, prompts.TIMES_KEEP) == []


async def test_changing_times_during_onboarding_asks_both_then_finishes(
    rt: Runtime, world: World
) -> None:
    await _tap(rt, prompts.CONSENT_YES)
    await _tap(rt, "lang:en")
    await _tap(rt, "tz:Europe/London")
    assert await _tap(rt, prompts.TIMES_CHANGE) == [rt.text("en", "onboarding.times.ask_checkin")]
    assert await _type(rt, "20:00") == [rt.text("en", "onboarding.times.ask_morning")]
    await _type(rt, "09:00")
    mia = await load(world, STRANGER_TG)
    assert mia.patient is not None and mia.patient.status == PatientStatus.ACTIVE
    slots = {s.time_slot: s.local_times for s in mia.patient.schedules}
    assert (slots["checkin"], slots["morning"]) == (["20:00"], ["09:00"])


async def test_declining_stores_nothing(rt: Runtime, world: World) -> None:
    before = await row_counts(world)
    tapped = await subscription_answers.answer_tap(rt, MIA, 4242, prompts.CONSENT_NO)
    assert [r.text for r in tapped.replies] == [rt.text("en", "onboarding.consent.declined")]
    assert await row_counts(world) == before


async def test_a_stale_tap_answers_nothing_in_the_tappers_language(
    rt: Runtime, world: World
) -> None:
    async with world.sessions.begin() as session:
        zoe = await find_person(session, ZOE_TG)
        assert zoe is not None
        zoe.language = "zh-Hans"
    tapped = await subscription_answers.answer_tap(rt, asker(ZOE_TG), ZOE_TG, prompts.TIMES_KEEP)
    assert (tapped.replies, tapped.locale) == ([], "zh-Hans")
    unknown = await subscription_answers.answer_tap(
        rt, asker(STRANGER_TG, language_code="zh"), 1, "x"
    )
    assert (unknown.replies, unknown.locale) == ([], "zh-Hans")


async def test_settings_buttons_need_a_running_subscription(rt: Runtime, world: World) -> None:
    assert await _tap(rt, prompts.SET_PAUSE, DANA_TG) == []
    assert await _tap(rt, prompts.SET_RESUME, CARL_TG) == []
    assert await _tap(rt, prompts.SET_RESUME, BOB_TG) == [rt.text("en", "settings.resumed")]
    assert await _tap(rt, prompts.SET_PAUSE, ZOE_TG) == [rt.text("en", "settings.paused")]
    assert (await load(world, ZOE_TG)).patient.status == PatientStatus.PAUSED  # type: ignore[union-attr]


async def test_settings_questions_take_taps_and_text_only_while_asked(
    rt: Runtime, world: World
) -> None:
    # Not asked: the "no quiet hours" button and a time zone button do nothing.
    assert await _tap(rt, prompts.QUIET_OFF, ZOE_TG) == []
    assert await _tap(rt, "tz:Asia/Shanghai", ZOE_TG) == []
    assert await _type(rt, "22:00-06:00", ZOE_TG) == [rt.text("en", "common.unknown_text")]
    assert await _tap(rt, prompts.SET_QUIET, ZOE_TG) == [rt.text("en", "settings.quiet.ask")]
    assert await _type(rt, "22:00-06:00", ZOE_TG) == [
        rt.text("en", "settings.quiet.set", start="22:00", end="06:00")
    ]
    await _tap(rt, prompts.SET_QUIET, ZOE_TG)
    assert await _tap(rt, prompts.QUIET_OFF, ZOE_TG) == [rt.text("en", "settings.quiet.cleared")]
    await _tap(rt, prompts.SET_TIMEZONE, ZOE_TG)
    assert await _tap(rt, "tz:Not/AZone", ZOE_TG) == []
    await _tap(rt, "tz:Asia/Shanghai", ZOE_TG)
    assert (await load(world, ZOE_TG)).timezone == "Asia/Shanghai"
    await _tap(rt, prompts.SET_LANGUAGE, ZOE_TG)
    assert await _tap(rt, "lang:xx", ZOE_TG) == []
    await _tap(rt, "lang:zh-Hans", ZOE_TG)
    assert (await load(world, ZOE_TG)).language == "zh-Hans"
