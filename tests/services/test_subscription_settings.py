"""Settings: the menu, what comes first when it cannot open, pause and resume, /stop."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from reminderbot.runtime import Runtime
from reminderbot.services import onboarding, subscription_settings
from reminderbot.services import subscription_prompts as prompts
from reminderbot.store.models import DeliveryState, OutboxDelivery, PatientStatus
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.seed import CAREGIVER_TG
from tests.services.subscription_helpers import (
    BOB_TG,
    CARL_TG,
    DANA_TG,
    STRANGER_TG,
    ZOE_TG,
    asker,
    audit_actions,
    button_data,
    load,
    row_counts,
)


async def test_settings_shows_the_menu_and_abandons_a_half_answered_setting(
    rt: Runtime, world: World
) -> None:
    async with world.sessions.begin() as session:
        zoe = await find_person(session, ZOE_TG)
        assert zoe is not None
        zoe.awaiting = onboarding.AWAIT_QUIET_HOURS
    replies = await subscription_settings.show(rt, asker(ZOE_TG))
    zoe = await load(world, ZOE_TG)
    assert zoe.awaiting is None
    assert replies == [prompts.settings_overview(rt, zoe)]
    assert prompts.SET_PAUSE in button_data(replies[0])


async def test_settings_says_what_comes_first(rt: Runtime, world: World) -> None:
    before = await row_counts(world)
    stranger = await subscription_settings.show(rt, asker(STRANGER_TG))
    assert [r.text for r in stranger] == [rt.text("en", "onboarding.consent.needed")]
    assert await row_counts(world) == before
    caregiver = await subscription_settings.show(rt, asker(CAREGIVER_TG))
    assert [r.text for r in caregiver] == [rt.text("en", "caregiver.not_a_patient_help")]
    dana = await subscription_settings.show(rt, asker(DANA_TG))
    assert [r.text for r in dana] == [
        rt.text("en", "settings.finish_onboarding_first"),
        rt.text("en", "onboarding.timezone.ask"),
    ]
    carl = await subscription_settings.show(rt, asker(CARL_TG))
    assert [r.text for r in carl] == [rt.text("en", "settings.not_subscribed")]


async def test_menu_buttons_ask_the_matching_question(rt: Runtime, world: World) -> None:
    zoe = await load(world, ZOE_TG)
    now = world.clock.now()
    async with world.sessions() as session:
        asked = {
            data: subscription_settings.menu_tap(rt, session, zoe, data, now)[0].text
            for data in (prompts.SET_TIMEZONE, prompts.SET_QUIET, prompts.SET_LANGUAGE)
        }
        awaiting_after_language = zoe.awaiting
        subscription_settings.menu_tap(rt, session, zoe, prompts.SET_TIMES, now)
    assert asked == {
        prompts.SET_TIMEZONE: rt.text("en", "onboarding.timezone.ask"),
        prompts.SET_QUIET: rt.text("en", "settings.quiet.ask"),
        prompts.SET_LANGUAGE: rt.text("en", "onboarding.language.ask"),
    }
    assert awaiting_after_language == onboarding.AWAIT_LANGUAGE
    assert zoe.awaiting == onboarding.AWAIT_CHECKIN_TIME


async def test_pause_and_resume_change_the_status_once_each(rt: Runtime, world: World) -> None:
    now = world.clock.now()
    async with world.sessions.begin() as session:
        zoe = await find_person(session, ZOE_TG)
        assert zoe is not None and zoe.patient is not None
        # Resume means nothing to an active patient.
        assert subscription_settings.menu_tap(rt, session, zoe, prompts.SET_RESUME, now) == []
        paused = subscription_settings.menu_tap(rt, session, zoe, prompts.SET_PAUSE, now)
        assert zoe.patient.status == PatientStatus.PAUSED
        assert subscription_settings.menu_tap(rt, session, zoe, prompts.SET_PAUSE, now) == []
    assert [r.text for r in paused] == [rt.text("en", "settings.paused")]
    assert (await load(world, ZOE_TG)).patient.status == PatientStatus.PAUSED  # type: ignore[union-attr]
    later = now + timedelta(days=3)
    async with world.sessions.begin() as session:
        zoe = await find_person(session, ZOE_TG)
        assert zoe is not None and zoe.patient is not None
        resumed = subscription_settings.menu_tap(rt, session, zoe, prompts.SET_RESUME, later)
    zoe = await load(world, ZOE_TG)
    assert zoe.patient is not None and zoe.patient.status == PatientStatus.ACTIVE
    # Nothing missed during the pause is sent: schedules continue from the moment of resuming.
    assert all(s.next_fire_at is not None and s.next_fire_at > later for s in zoe.patient.schedules)
    assert [r.text for r in resumed] == [rt.text("en", "settings.resumed")]
    assert (await audit_actions(world, ZOE_TG))[-2:] == ["status:paused", "status:active"]


async def test_stop_unsubscribes_and_cancels_queued_messages(rt: Runtime, world: World) -> None:
    now = world.clock.now()
    zoe = await load(world, ZOE_TG)
    async with world.sessions.begin() as session:
        for n, state in enumerate((DeliveryState.PENDING, DeliveryState.PENDING)):
            session.add(
                OutboxDelivery(
                    recipient_id=zoe.id,
                    chat_id=zoe.chat_id,
                    kind="tip",
                    priority=6,
                    unique_key=f"queued-{n}",
                    payload={"text": "tip"},
                    state=state,
                    not_before=now + timedelta(hours=n + 1),
                    created_at=now,
                )
            )
        zoe_row = await find_person(session, ZOE_TG)
        assert zoe_row is not None
        zoe_row.awaiting = onboarding.AWAIT_QUIET_HOURS
    replies = await subscription_settings.unsubscribe(rt, asker(ZOE_TG))
    assert [r.text for r in replies] == [rt.text("en", "settings.stop.done")]
    zoe = await load(world, ZOE_TG)
    assert zoe.patient is not None and zoe.patient.status == PatientStatus.STOPPED
    assert zoe.awaiting is None
    async with world.sessions() as session:
        rows = await session.execute(
            select(OutboxDelivery.unique_key, OutboxDelivery.state).where(
                OutboxDelivery.recipient_id == zoe.id
            )
        )
        states = {key: state for key, state in rows}
    assert states["queued-0"] == states["queued-1"] == DeliveryState.CANCELLED
    # Messages already sent stay as they were.
    assert {s for k, s in states.items() if not k.startswith("queued-")} == {DeliveryState.SENT}


async def test_stop_twice_and_stop_without_subscription(rt: Runtime, world: World) -> None:
    carl = await subscription_settings.unsubscribe(rt, asker(CARL_TG))
    assert [r.text for r in carl] == [rt.text("en", "settings.stop.already")]
    before = await row_counts(world)
    stranger = await subscription_settings.unsubscribe(rt, asker(STRANGER_TG, language_code="zh"))
    assert [r.text for r in stranger] == [rt.text("zh-Hans", "onboarding.consent.needed")]
    assert await row_counts(world) == before


async def test_a_paused_patient_can_stop(rt: Runtime, world: World) -> None:
    await subscription_settings.unsubscribe(rt, asker(BOB_TG))
    assert (await load(world, BOB_TG)).patient.status == PatientStatus.STOPPED  # type: ignore[union-attr]
