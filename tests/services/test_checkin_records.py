"""Check-ins in the database: history, open prompts, new check-ins, follow-ups, who answers."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.services import checkin_records, checkins
from reminderbot.store.models import (
    CaregiverLink,
    CheckIn,
    DeliveryState,
    OutboxDelivery,
    Person,
    Schedule,
    ScheduleKind,
)
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.seed import CAREGIVER_TG
from tests.services.subscription_helpers import ADA_TG, ZOE_TG

DAY = timedelta(days=1)
WINDOW = timedelta(hours=24)


async def _person(session: AsyncSession, telegram_id: int) -> Person:
    person = await find_person(session, telegram_id)
    assert person is not None
    return person


async def _zoe_prompts(session: AsyncSession, zoe: Person) -> list[OutboxDelivery]:
    """Zoë's check-in prompts, newest first (the seed sent her six)."""
    stmt = (
        select(OutboxDelivery)
        .where(OutboxDelivery.recipient_id == zoe.id, OutboxDelivery.kind == "checkin")
        .order_by(OutboxDelivery.sent_at.desc(), OutboxDelivery.id.desc())
    )
    return list((await session.scalars(stmt)).all())


def _answer(session: AsyncSession, person: Person, key: str, world: World) -> CheckIn:
    now = world.clock.now()
    return checkin_records.start(
        session, person, prompt_key=key, source="checkin", prompted_at=now, score=1, now=now
    )


# --- history ------------------------------------------------------------------------------------


async def test_history_is_the_finished_check_ins_oldest_first(world: World) -> None:
    now = world.clock.now()
    async with world.sessions() as session:
        history = await checkin_records.past_checkins(session, world.ids.zoe, now)
    assert [(h.at, h.score, h.worsened) for h in history] == [
        (now - 3 * DAY + timedelta(minutes=3), 3, False),
        (now - 2 * DAY + timedelta(minutes=5), 7, False),
    ]


async def test_history_keeps_to_its_window_and_to_finished_answers(world: World) -> None:
    now = world.clock.now()
    async with world.sessions.begin() as session:
        zoe = await _person(session, ZOE_TG)
        # Begun but not finished (no "done" step), and one finished that worsened.
        _answer(session, zoe, "typed:half", world).answers = {"now": 9, "step": "note"}
        done = _answer(session, zoe, "typed:done", world)
        done.answers = {"now": 6, "step": "done", "worsened": True}
    async with world.sessions() as session:
        two_days = await checkin_records.past_checkins(session, world.ids.zoe, now, days=2)
        all_of_them = await checkin_records.past_checkins(session, world.ids.zoe, now)
    assert [(h.score, h.worsened) for h in two_days] == [(7, False), (1, True)]
    assert [h.score for h in all_of_them] == [3, 7, 1]


# --- prompts ------------------------------------------------------------------------------------


async def test_by_prompt_finds_the_check_in_that_answered_it(world: World) -> None:
    async with world.sessions() as session:
        zoe = await _person(session, ZOE_TG)
        prompts = await _zoe_prompts(session, zoe)
        answered = await checkin_records.by_prompt(session, prompts[-1].unique_key)
        unanswered = await checkin_records.by_prompt(session, prompts[0].unique_key)
    assert answered is not None and (answered.patient_id, answered.score) == (zoe.id, 3)
    assert unanswered is None


async def test_the_open_prompt_is_the_newest_unanswered_one_in_the_window(world: World) -> None:
    now = world.clock.now()
    async with world.sessions() as session:
        zoe = await _person(session, ZOE_TG)
        newest, *_ = await _zoe_prompts(session, zoe)
        found = await checkin_records.open_prompt(session, zoe, now, WINDOW)
        too_short = await checkin_records.open_prompt(session, zoe, now, timedelta(minutes=30))
    assert found is not None and found.unique_key == newest.unique_key
    assert found.sent_at == now - timedelta(hours=1)
    assert too_short is None


async def test_an_answered_prompt_is_passed_over_and_its_snoozed_copy_with_it(
    world: World,
) -> None:
    now = world.clock.now()
    async with world.sessions.begin() as session:
        zoe = await _person(session, ZOE_TG)
        newest, *_ = await _zoe_prompts(session, zoe)
        _answer(session, zoe, newest.unique_key, world)
    async with world.sessions() as session:
        zoe = await _person(session, ZOE_TG)
        found = await checkin_records.open_prompt(session, zoe, now, WINDOW)
    # Yesterday's prompt (sent exactly 24 h ago) and its snoozed copy are next.
    assert found is not None and found.sent_at == now - DAY
    async with world.sessions.begin() as session:
        zoe = await _person(session, ZOE_TG)
        # Answer the prompt itself (the seed queued it before its snoozed copy).
        original = min(
            (p for p in await _zoe_prompts(session, zoe) if p.sent_at == now - DAY),
            key=lambda p: p.id,
        )
        _answer(session, zoe, original.unique_key, world)
    async with world.sessions() as session:
        zoe = await _person(session, ZOE_TG)
        assert await checkin_records.open_prompt(session, zoe, now, WINDOW) is None


async def test_only_sent_check_in_prompts_of_this_person_count(world: World) -> None:
    now = world.clock.now()
    async with world.sessions.begin() as session:
        zoe = await _person(session, ZOE_TG)
        newest, *_ = await _zoe_prompts(session, zoe)
        newest.kind = "reminder"
        await session.execute(
            update(OutboxDelivery)
            .where(OutboxDelivery.recipient_id == zoe.id, OutboxDelivery.sent_at >= now - DAY)
            .where(OutboxDelivery.id != newest.id)
            .values(state=DeliveryState.PENDING)
        )
    async with world.sessions() as session:
        zoe = await _person(session, ZOE_TG)
        ada = await _person(session, ADA_TG)
        assert await checkin_records.open_prompt(session, zoe, now, WINDOW) is None
        # Ada answered yesterday's prompt; nobody else's prompt is hers.
        assert await checkin_records.open_prompt(session, ada, now, WINDOW * 2) is None


# --- a new check-in, a follow-up ----------------------------------------------------------------


async def test_start_records_the_first_answer(world: World) -> None:
    now = world.clock.now()
    async with world.sessions.begin() as session:
        ada = await _person(session, ADA_TG)
        own = checkin_records.start(
            session,
            ada,
            prompt_key="typed:own",
            source="typed",
            prompted_at=now - timedelta(minutes=5),
            score=4,
            now=now,
        )
        carer = await _person(session, CAREGIVER_TG)
        proxy = checkin_records.start(
            session,
            ada,
            prompt_key="proxy:1",
            source="typed",
            prompted_at=now,
            score=6,
            now=now,
            reporter=carer,
        )
        await session.flush()
        own_id, proxy_id = own.id, proxy.id
    async with world.sessions() as session:
        own_row = await session.get(CheckIn, own_id)
        proxy_row = await session.get(CheckIn, proxy_id)
    assert own_row is not None and proxy_row is not None
    assert (own_row.patient_id, own_row.reporter_id, own_row.source) == (
        world.ids.ada,
        world.ids.ada,
        "typed",
    )
    assert (own_row.prompted_at, own_row.answered_at) == (now - timedelta(minutes=5), now)
    assert (own_row.score, own_row.answers, own_row.tier) == (4, {"now": 4}, None)
    # A caregiver's report is stored as proxy, whatever channel it came through.
    assert (proxy_row.patient_id, proxy_row.reporter_id, proxy_row.source) == (
        world.ids.ada,
        world.ids.caregiver,
        "proxy",
    )


async def test_a_follow_up_is_a_one_off_check_in_hours_from_now(world: World) -> None:
    now = world.clock.now()
    async with world.sessions.begin() as session:
        ada = await _person(session, ADA_TG)
        schedule = checkin_records.schedule_followup(ada, now, 4)
        await session.flush()
        schedule_id = schedule.id
    async with world.sessions() as session:
        stored = await session.get(Schedule, schedule_id)
    assert stored is not None
    assert (stored.patient_id, stored.kind, stored.active) == (
        world.ids.ada,
        ScheduleKind.FOLLOWUP,
        True,
    )
    assert stored.next_fire_at == now + timedelta(hours=4)
    assert stored.rule == {"type": "once", "at": (now + timedelta(hours=4)).isoformat()}


# --- who answers --------------------------------------------------------------------------------


async def _checkin_of(session: AsyncSession, world: World, reporter: Person | None) -> CheckIn:
    ada = await _person(session, ADA_TG)
    checkin = checkin_records.start(
        session,
        ada,
        prompt_key=f"typed:{reporter.id if reporter else 0}",
        source="typed",
        prompted_at=world.clock.now(),
        score=5,
        now=world.clock.now(),
        reporter=reporter,
    )
    await session.flush()
    return checkin


async def test_parties_of_an_own_check_in_are_the_patient_twice(world: World) -> None:
    async with world.sessions.begin() as session:
        checkin = await _checkin_of(session, world, None)
        patient, answering = await checkin_records.parties(session, checkin)
        assert patient is answering and patient.id == world.ids.ada
        # The schedules are loaded, so finishing can append a follow-up without lazy I/O.
        assert patient.patient is not None
        assert ScheduleKind.CHECKIN in {s.kind for s in patient.patient.schedules}


async def test_parties_of_a_proxy_report_are_the_patient_and_the_caregiver(world: World) -> None:
    async with world.sessions.begin() as session:
        carer = await _person(session, CAREGIVER_TG)
        checkin = await _checkin_of(session, world, carer)
        patient, answering = await checkin_records.parties(session, checkin)
    assert (patient.id, answering.id) == (world.ids.ada, world.ids.caregiver)


async def test_the_patient_and_their_reporting_caregiver_may_answer(world: World) -> None:
    async with world.sessions.begin() as session:
        ada = await _person(session, ADA_TG)
        carer = await _person(session, CAREGIVER_TG)
        zoe = await _person(session, ZOE_TG)
        own = await _checkin_of(session, world, None)
        proxy = await _checkin_of(session, world, carer)
        assert await checkins.may_answer(session, ada, own)
        assert await checkins.may_answer(session, carer, proxy)
        # Not a stranger, not the caregiver on the patient's own check-in, and not the
        # patient in the middle of a report their caregiver is giving.
        assert not await checkins.may_answer(session, zoe, own)
        assert not await checkins.may_answer(session, zoe, proxy)
        assert not await checkins.may_answer(session, carer, own)
        assert not await checkins.may_answer(session, ada, proxy)


async def test_a_revoked_caregiver_may_no_longer_answer_their_report(world: World) -> None:
    async with world.sessions.begin() as session:
        carer = await _person(session, CAREGIVER_TG)
        proxy = await _checkin_of(session, world, carer)
        await session.execute(
            update(CaregiverLink)
            .where(CaregiverLink.caregiver_id == carer.id, CaregiverLink.revoked_at.is_(None))
            .values(revoked_at=world.clock.now())
        )
        assert not await checkins.may_answer(session, carer, proxy)
