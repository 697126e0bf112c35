"""Onboarding: /start stores nothing before consent, "I agree" creates the rows, steps resume."""

from __future__ import annotations

from reminderbot.runtime import Runtime
from reminderbot.services import onboarding
from reminderbot.services import subscription_prompts as prompts
from reminderbot.store.models import PatientStatus, Role
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.seed import CAREGIVER_TG
from tests.services.subscription_helpers import (
    CARL_TG,
    DANA_TG,
    EVE_TG,
    STRANGER_TG,
    ZOE_TG,
    asker,
    audit_actions,
    button_data,
    load,
    row_counts,
)


async def test_start_for_a_stranger_asks_consent_and_stores_nothing(
    rt: Runtime, world: World
) -> None:
    before = await row_counts(world)
    replies = await onboarding.start(rt, asker(STRANGER_TG, "Mia", "zh-CN"))
    assert await row_counts(world) == before
    assert [r.text for r in replies] == [rt.text("zh-Hans", "onboarding.welcome", name="Mia")]
    assert button_data(replies[0]) == [prompts.CONSENT_YES, prompts.CONSENT_NO]


async def test_agreeing_creates_the_person_their_profile_and_an_audit_event(
    rt: Runtime, world: World
) -> None:
    before = await row_counts(world)
    async with world.sessions.begin() as session:
        replies = onboarding.agree(
            rt, session, asker(STRANGER_TG, "Mia", "zh-CN"), None, 77, world.clock.now()
        )
    assert await row_counts(world) == (before[0] + 1, before[1] + 1, before[2] + 1)
    mia = await load(world, STRANGER_TG)
    assert mia.patient is not None
    assert (mia.chat_id, mia.display_name, mia.language, mia.timezone, mia.role) == (
        77,
        "Mia",
        "zh-Hans",
        "Europe/London",
        Role.PATIENT,
    )
    assert (mia.patient.status, mia.patient.consent_at) == (
        PatientStatus.ONBOARDING,
        world.clock.now(),
    )
    assert await audit_actions(world, STRANGER_TG) == ["consent"]
    # Two locales: the first question is the language, asked in the app's language.
    assert mia.awaiting == onboarding.AWAIT_LANGUAGE
    assert [r.text for r in replies] == [
        rt.text("zh-Hans", "onboarding.consent.agreed"),
        rt.text("zh-Hans", "onboarding.language.ask"),
    ]


async def test_a_caregiver_who_agrees_gets_a_profile_and_keeps_their_role(
    rt: Runtime, world: World
) -> None:
    async with world.sessions.begin() as session:
        person = await find_person(session, CAREGIVER_TG)
        replies = onboarding.agree(
            rt, session, asker(CAREGIVER_TG, "Chuck"), person, CAREGIVER_TG, world.clock.now()
        )
    charles = await load(world, CAREGIVER_TG)
    assert charles.patient is not None and charles.patient.status == PatientStatus.ONBOARDING
    # The name they were known by stays; the role too.
    assert (charles.role, charles.display_name) == (Role.CAREGIVER, "Charles")
    assert replies[0].text == rt.text("en", "onboarding.consent.agreed")


async def test_agreeing_again_changes_nothing(rt: Runtime, world: World) -> None:
    before = await row_counts(world)
    async with world.sessions.begin() as session:
        zoe = await find_person(session, ZOE_TG)
        replies = onboarding.agree(rt, session, asker(ZOE_TG), zoe, ZOE_TG, world.clock.now())
    assert replies == []
    assert await row_counts(world) == before
    assert (await load(world, ZOE_TG)).patient.status == PatientStatus.ACTIVE  # type: ignore[union-attr]


async def test_declining_answers_kindly_only_before_consent(rt: Runtime, world: World) -> None:
    declined = onboarding.decline(rt, asker(STRANGER_TG, language_code="zh"), None)
    assert [r.text for r in declined] == [rt.text("zh-Hans", "onboarding.consent.declined")]
    zoe = await load(world, ZOE_TG)
    assert onboarding.decline(rt, asker(ZOE_TG), zoe) == []


async def test_consent_needed_tells_caregivers_they_have_no_subscription_of_their_own(
    rt: Runtime, world: World
) -> None:
    stranger = onboarding.consent_needed(rt, "zh-TW", None)
    assert stranger.text == rt.text("zh-Hans", "onboarding.consent.needed")
    charles = await load(world, CAREGIVER_TG)
    caregiver = onboarding.consent_needed(rt, "zh-TW", charles)
    assert caregiver.text == rt.text("en", "caregiver.not_a_patient_help")


async def test_start_mid_onboarding_asks_the_current_step_again(rt: Runtime, world: World) -> None:
    replies = await onboarding.start(rt, asker(DANA_TG))
    # Dana agreed but answered nothing: the step is the time zone (asked, and remembered).
    assert [r.text for r in replies] == [
        rt.text("en", "onboarding.summary.continue"),
        rt.text("en", "onboarding.timezone.ask"),
    ]
    assert (await load(world, DANA_TG)).awaiting == onboarding.AWAIT_TIMEZONE


async def test_current_step_repeats_each_question(rt: Runtime, world: World) -> None:
    dana = await load(world, DANA_TG)
    expected = {
        onboarding.AWAIT_LANGUAGE: rt.text("en", "onboarding.language.ask"),
        onboarding.AWAIT_CHECKIN_TIME: rt.text("en", "onboarding.times.ask_checkin"),
        onboarding.AWAIT_MORNING_TIME: rt.text("en", "onboarding.times.ask_morning"),
        onboarding.AWAIT_TIMEZONE: rt.text("en", "onboarding.timezone.ask"),
    }
    for awaiting, question in expected.items():
        dana.awaiting = awaiting
        replies = onboarding.current_step(rt, dana)
        assert [r.text for r in replies] == [rt.text("en", "onboarding.summary.continue"), question]
        assert dana.awaiting == awaiting
    dana.awaiting = onboarding.AWAIT_TIMES_CONFIRM
    assert button_data(onboarding.current_step(rt, dana)[1]) == [
        prompts.TIMES_KEEP,
        prompts.TIMES_CHANGE,
    ]


async def test_first_step_is_the_language_when_there_is_a_choice(rt: Runtime, world: World) -> None:
    dana = await load(world, DANA_TG)
    replies = onboarding.first_step(rt, dana)
    assert dana.awaiting == onboarding.AWAIT_LANGUAGE
    assert button_data(replies[0]) == ["lang:en", "lang:zh-Hans"]


async def test_start_after_stop_welcomes_back_and_resumes_from_now(
    rt: Runtime, world: World
) -> None:
    now = world.clock.now()
    replies = await onboarding.start(rt, asker(CARL_TG))
    carl = await load(world, CARL_TG)
    assert carl.patient is not None
    assert (carl.patient.status, carl.patient.status_changed_at) == (PatientStatus.ACTIVE, now)
    # Nothing missed while stopped is sent: every schedule fires next from now on.
    assert carl.patient.schedules
    assert all(s.next_fire_at is not None and s.next_fire_at > now for s in carl.patient.schedules)
    assert (await audit_actions(world, CARL_TG))[-1] == "status:active"
    assert replies == [prompts.schedule_summary(rt, carl, "onboarding.summary.welcome_back")]


async def test_start_brings_an_unreachable_patient_back(rt: Runtime, world: World) -> None:
    await onboarding.start(rt, asker(EVE_TG))
    assert (await load(world, EVE_TG)).patient.status == PatientStatus.ACTIVE  # type: ignore[union-attr]


async def test_start_when_subscribed_shows_the_schedule_and_changes_nothing(
    rt: Runtime, world: World
) -> None:
    before = await row_counts(world)
    replies = await onboarding.start(rt, asker(ZOE_TG))
    zoe = await load(world, ZOE_TG)
    assert await row_counts(world) == before
    assert replies == [prompts.schedule_summary(rt, zoe, "onboarding.summary.already_subscribed")]


async def test_finishing_onboarding_activates_the_program(rt: Runtime, world: World) -> None:
    async with world.sessions.begin() as session:
        dana = await find_person(session, DANA_TG)
        assert dana is not None
        replies = onboarding.finish_onboarding(rt, session, dana, world.clock.now())
    dana = await load(world, DANA_TG)
    assert dana.patient is not None and dana.patient.status == PatientStatus.ACTIVE
    assert {s.time_slot for s in dana.patient.schedules} >= {"checkin", "morning"}
    assert replies == [prompts.schedule_summary(rt, dana, "onboarding.summary.done")]
