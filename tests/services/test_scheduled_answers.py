"""Taps on scheduled messages: scores, snoozes, the calcium test's buttons; by their owner only."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from reminderbot.content import Catalog
from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import calcium_results, scheduled_answers
from reminderbot.services.replies import Reply
from reminderbot.store.models import AuditEvent, CheckIn, DeliveryState, OutboxDelivery
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.runtime_for import runtime_for

ZOE_TG, ADA_TG = 5001, 5002


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The services' Runtime on the seeded database."""
    return runtime_for(world, catalog)


async def _newest_prompt(rt: Runtime, world: World) -> OutboxDelivery:
    async with rt.sessions() as session:
        row = await session.scalar(
            select(OutboxDelivery)
            .where(OutboxDelivery.recipient_id == world.ids.zoe)
            .order_by(OutboxDelivery.sent_at.desc())
            .limit(1)
        )
    assert row is not None
    return row


async def _tap(rt: Runtime, telegram_id: int, data: str) -> tuple[list[Reply] | None, str | None]:
    parsed = callbacks.parse(data)
    assert parsed is not None
    async with rt.sessions.begin() as session:
        person = await find_person(session, telegram_id)
        assert person is not None
        replies = await scheduled_answers.answer_button(rt, session, person, parsed, rt.clock.now())
        return replies, person.awaiting


async def test_a_score_tap_begins_the_prompts_checkin_once(rt: Runtime, world: World) -> None:
    prompt = await _newest_prompt(rt, world)
    replies, _ = await _tap(rt, ZOE_TG, callbacks.build(callbacks.CHECKIN, prompt.unique_key, "8"))
    assert replies is not None and replies[0].text == rt.text("en", "checkin.ask_worst")
    async with rt.sessions() as session:
        checkin = await session.scalar(
            select(CheckIn).where(CheckIn.prompt_key == prompt.unique_key)
        )
    assert checkin is not None and checkin.source == "checkin" and checkin.score == 8
    again, _ = await _tap(rt, ZOE_TG, callbacks.build(callbacks.CHECKIN, prompt.unique_key, "3"))
    assert [r.text for r in again or []] == [rt.text("en", "delivery.checkin.already")]


async def test_someone_elses_message_is_refused_and_audited(rt: Runtime, world: World) -> None:
    prompt = await _newest_prompt(rt, world)
    replies, _ = await _tap(rt, ADA_TG, callbacks.build(callbacks.CHECKIN, prompt.unique_key, "8"))
    assert replies is None
    async with rt.sessions() as session:
        refusal = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "refused:button")
        )
    assert refusal is not None and refusal.actor_telegram_id == ADA_TG
    pain_for_zoe = f"pain:{world.ids.zoe}:1:1"
    replies, _ = await _tap(rt, ADA_TG, callbacks.build(callbacks.CHECKIN, pain_for_zoe, "8"))
    assert replies is None


async def test_snoozing_queues_the_same_message_an_hour_later_once(
    rt: Runtime, world: World
) -> None:
    prompt = await _newest_prompt(rt, world)
    data = callbacks.build(callbacks.SNOOZE_HOUR, prompt.unique_key)
    replies, _ = await _tap(rt, ZOE_TG, data)
    await _tap(rt, ZOE_TG, data)
    assert [r.text for r in replies or []] == [rt.text("en", "delivery.snooze.hour_done")]
    at = rt.clock.now() + timedelta(hours=1)
    async with rt.sessions() as session:
        copies = list(
            (
                await session.scalars(
                    select(OutboxDelivery).where(
                        OutboxDelivery.unique_key.startswith(prompt.unique_key + "~")
                    )
                )
            ).all()
        )
    assert [c.unique_key for c in copies] == [f"{prompt.unique_key}~{int(at.timestamp()) // 60}"]
    copy = copies[0]
    assert copy.not_before.replace(tzinfo=None) == at.replace(tzinfo=None)
    assert (copy.payload, copy.kind, copy.schedule_id) == (
        prompt.payload,
        prompt.kind,
        prompt.schedule_id,
    )
    assert copy.state == DeliveryState.PENDING


async def _calcium_reminder(rt: Runtime, world: World) -> str:
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        row = OutboxDelivery(
            recipient_id=world.ids.zoe,
            chat_id=ZOE_TG,
            kind="calcium",
            priority=4,
            unique_key="s999@calcium",
            payload={"text": "Blood test today", "buttons": []},
            state=DeliveryState.SENT,
            not_before=now - timedelta(hours=1),
            sent_at=now - timedelta(hours=1),
            created_at=now - timedelta(hours=1),
        )
        session.add(row)
    return row.unique_key


async def test_the_calcium_reminders_buttons(rt: Runtime, world: World) -> None:
    key = await _calcium_reminder(rt, world)
    done, _ = await _tap(rt, ZOE_TG, callbacks.build(callbacks.CALCIUM_DONE, key))
    assert [r.text for r in done or []] == [rt.text("en", "delivery.calcium.done")]
    logged, awaiting = await _tap(rt, ZOE_TG, callbacks.build(callbacks.CALCIUM_LOG, key))
    assert [r.text for r in logged or []] == [rt.text("en", "delivery.calcium.ask_value")]
    assert awaiting == calcium_results.AWAIT_CALCIUM
    later, _ = await _tap(rt, ZOE_TG, callbacks.build(callbacks.CALCIUM_TOMORROW, key))
    assert [r.text for r in later or []] == [rt.text("en", "delivery.snooze.day_done")]
    async with rt.sessions() as session:
        audit = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "calcium:test_done")
        )
        copy = await session.scalar(
            select(OutboxDelivery).where(OutboxDelivery.unique_key.startswith(key + "~"))
        )
    assert audit is not None and audit.subject_person_id == world.ids.zoe
    assert copy is not None
    berlin = ZoneInfo("Europe/Berlin")
    sent = (rt.clock.now() - timedelta(hours=1)).astimezone(berlin)
    repeat = copy.not_before.replace(tzinfo=copy.not_before.tzinfo or ZoneInfo("UTC"))
    local = repeat.astimezone(berlin)
    assert (local.date() - sent.date(), local.time()) == (timedelta(days=1), sent.time())
