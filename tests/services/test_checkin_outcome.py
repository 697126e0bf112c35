"""Finishing a check-in: the tier stored, advice (emergency first), alerts, copies, follow-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from reminderbot.runtime import Runtime
from reminderbot.services import checkin_records
from reminderbot.services.checkin_outcome import finish
from reminderbot.services.replies import Reply
from reminderbot.store.models import (
    Alert,
    CaregiverLink,
    CheckIn,
    OutboxDelivery,
    Person,
    Schedule,
    ScheduleKind,
)
from reminderbot.store.people import find_person
from tests.services.conftest import SETTING_COORDINATOR, World
from tests.services.seed import CAREGIVER_TG, COORDINATOR_TG
from tests.services.staff_helpers import outbox
from tests.services.subscription_helpers import ADA_TG, ZOE_TG

FINN_TG = 5007
EMERGENCY = "999"  # the conftest Runtime's emergency number
# A severe score with every scale answered high and the extra dose not helping.
SEVERE = {"worst": 9, "sleep": 7, "walking": 7, "rescue": "no"}


@dataclass(frozen=True)
class Finished:
    """A finished check-in's id and the replies to whoever answered."""

    checkin_id: int
    replies: list[Reply]


async def _finish(
    rt: Runtime,
    telegram_id: int,
    score: int,
    *,
    reporter_tg: int | None = None,
    flags: tuple[str, ...] = (),
    **answers: Any,
) -> Finished:
    """Begin a check-in at its last step and finish it, in one committed transaction."""
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, telegram_id)
        reporter = await find_person(session, reporter_tg) if reporter_tg else None
        assert person is not None
        checkin = checkin_records.start(
            session,
            person,
            prompt_key=f"typed:{telegram_id}:{score}",
            source="typed",
            prompted_at=now,
            score=score,
            now=now,
            reporter=reporter,
        )
        await session.flush()
        checkin.answers = {"now": score, "step": "note", "flags": list(flags), **answers}
        (reporter or person).awaiting = f"checkin:{checkin.id}"
        replies = await finish(rt, session, checkin, now)
        return Finished(checkin.id, replies)


async def _checkin(world: World, checkin_id: int) -> CheckIn:
    async with world.sessions() as session:
        checkin = await session.get(CheckIn, checkin_id)
    assert checkin is not None
    return checkin


async def _alerts(world: World, checkin_id: int) -> list[Alert]:
    async with world.sessions() as session:
        stmt = select(Alert).where(Alert.checkin_id == checkin_id)
        return list((await session.scalars(stmt)).all())


async def _followups(world: World, patient_id: int) -> list[Schedule]:
    async with world.sessions() as session:
        stmt = select(Schedule).where(
            Schedule.patient_id == patient_id, Schedule.kind == ScheduleKind.FOLLOWUP
        )
        return list((await session.scalars(stmt)).all())


async def _awaiting(world: World, telegram_id: int) -> str | None:
    async with world.sessions() as session:
        return await session.scalar(
            select(Person.awaiting).where(Person.telegram_user_id == telegram_id)
        )


async def _set_copies(world: World, patient_id: int) -> None:
    """The seeded caregiver's active link to this patient (made if missing) receives copies."""
    async with world.sessions.begin() as session:
        result = await session.execute(
            update(CaregiverLink)
            .where(CaregiverLink.patient_id == patient_id, CaregiverLink.revoked_at.is_(None))
            .values(receives_copies=True)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            session.add(
                CaregiverLink(
                    patient_id=patient_id,
                    caregiver_id=world.ids.caregiver,
                    receives_copies=True,
                    created_at=world.clock.now(),
                )
            )


def _texts(replies: list[Reply]) -> list[str]:
    return [r.text for r in replies]


# --- a calm check-in ----------------------------------------------------------------------------


async def test_a_calm_check_in_is_stored_as_tier_0_with_advice_and_thanks(
    world: World, rt: Runtime
) -> None:
    done = await _finish(rt, ADA_TG, 2)
    assert _texts(done.replies) == [
        rt.text("en", "advice.tier.t0"),
        rt.text("en", "checkin.thanks"),
    ]
    checkin = await _checkin(world, done.checkin_id)
    assert checkin.tier == 0
    assert (checkin.answers["step"], checkin.answers["worsened"], checkin.answers["reasons"]) == (
        "done",
        False,
        [],
    )
    assert await _alerts(world, done.checkin_id) == []
    assert await _followups(world, world.ids.ada) == []
    assert await _awaiting(world, ADA_TG) is None
    # The seeded caregiver did not choose copies.
    assert await outbox(world, "reminder") == []


async def test_a_calm_check_in_is_copied_to_caregivers_who_chose_copies(
    world: World, rt: Runtime
) -> None:
    await _set_copies(world, world.ids.ada)
    done = await _finish(rt, ADA_TG, 2)
    (copy,) = await outbox(world, "reminder")
    assert (copy.chat_id, copy.recipient_id, copy.unique_key) == (
        CAREGIVER_TG,
        world.ids.caregiver,
        f"copy:checkin:{done.checkin_id}:{CAREGIVER_TG}",
    )
    assert copy.payload["text"] == rt.text(
        "en", "caregiver.copy.checkin", patient_name="Ada Lovelace", score=2
    )
    assert copy.payload["patient_id"] == world.ids.ada


# --- alerts -------------------------------------------------------------------------------------


async def test_an_urgent_check_in_alerts_every_coordinator_and_caregiver(
    world: World, rt: Runtime
) -> None:
    await _set_copies(world, world.ids.ada)
    done = await _finish(rt, ADA_TG, 8, **SEVERE)
    checkin = await _checkin(world, done.checkin_id)
    assert checkin.tier == 2
    # Ada's usual is 2 (yesterday's check-in): 8 is severe and a rise over her own usual.
    assert {"pain_severe", "worsened", "rescue_not_helping"} <= set(checkin.answers["reasons"])
    assert checkin.answers["worsened"] is True
    (alert,) = await _alerts(world, done.checkin_id)
    assert (alert.patient_id, alert.tier, alert.reasons) == (
        world.ids.ada,
        2,
        checkin.answers["reasons"],
    )
    rows = await outbox(world, "alert")
    by_chat = {r.chat_id: r for r in rows}
    assert sorted(by_chat) == sorted([SETTING_COORDINATOR, COORDINATOR_TG, CAREGIVER_TG])
    assert all(r.unique_key == f"alert:{alert.id}:{r.chat_id}:0" for r in rows)
    # Coordinators may acknowledge; the caregiver is told, without the button.
    assert [len(by_chat[c].payload["buttons"]) for c in (SETTING_COORDINATOR, COORDINATOR_TG)] == [
        1,
        1,
    ]
    assert by_chat[CAREGIVER_TG].payload["buttons"] == []
    # An alert reaches the caregiver anyway: no second, shorter copy.
    assert await outbox(world, "reminder") == []
    assert _texts(done.replies)[-1] == rt.text("en", "checkin.thanks")
    assert rt.text("en", "advice.tier.t2") in _texts(done.replies)


async def test_a_tier_1_check_in_reaches_only_caregivers_who_chose_more_than_alerts(
    world: World, rt: Runtime
) -> None:
    await _set_copies(world, world.ids.finn)
    # Finn's usual is 9 (an hour ago): moderate pain now is tier 1, not a worsening.
    done = await _finish(rt, FINN_TG, 5)
    checkin = await _checkin(world, done.checkin_id)
    assert (checkin.tier, checkin.answers["reasons"]) == (1, ["pain_moderate"])
    (alert,) = await _alerts(world, done.checkin_id)
    assert alert.tier == 1
    rows = [
        r for r in await outbox(world, "alert") if r.unique_key.startswith(f"alert:{alert.id}:")
    ]
    assert [r.chat_id for r in rows] == [CAREGIVER_TG]


async def test_stable_moderate_pain_alerts_once_then_plans_no_sooner_check_in(
    world: World, rt: Runtime
) -> None:
    # docs/clinical-reference.md §2 (issue 11): the stored tier of yesterday's moderate
    # check-in makes today's answer in the same band quiet: no alert, no follow-up.
    first = await _finish(rt, FINN_TG, 5)
    assert len(await _alerts(world, first.checkin_id)) == 1
    assert len(await _followups(world, world.ids.finn)) == 1
    world.clock.advance(timedelta(days=1))
    # 6 is still moderate (and _finish's prompt key must differ from the first one's).
    again = await _finish(rt, FINN_TG, 6)
    checkin = await _checkin(world, again.checkin_id)
    assert (checkin.tier, checkin.answers["reasons"]) == (0, [])
    assert await _alerts(world, again.checkin_id) == []
    assert len(await _followups(world, world.ids.finn)) == 1
    assert rt.text("en", "advice.tier.t0") in _texts(again.replies)


async def test_the_alert_is_queued_in_the_callers_transaction(world: World, rt: Runtime) -> None:
    class Abandon(Exception):
        """Raised to roll the handler's transaction back after finish() returned."""

    now = rt.clock.now()

    async def finish_then_abandon() -> None:
        async with rt.sessions.begin() as session:
            ada = await find_person(session, ADA_TG)
            assert ada is not None
            checkin = checkin_records.start(
                session,
                ada,
                prompt_key="typed:rollback",
                source="typed",
                prompted_at=now,
                score=8,
                now=now,
            )
            await session.flush()
            checkin.answers = {"now": 8, "step": "note", "flags": [], **SEVERE}
            await finish(rt, session, checkin, now)
            # Inside the transaction the alert and its copies are there...
            queued = await session.scalars(
                select(OutboxDelivery).where(OutboxDelivery.kind == "alert")
            )
            assert len(queued.all()) == 3
            raise Abandon

    with pytest.raises(Abandon):
        await finish_then_abandon()
    # ...and they go with it when the handler's transaction fails.
    async with world.sessions() as session:
        assert await session.scalar(select(Alert).where(Alert.created_at == now)) is None
        assert (
            await session.scalars(select(OutboxDelivery).where(OutboxDelivery.kind == "alert"))
        ).all() == []
    assert await _followups(world, world.ids.ada) == []


# --- advice and follow-up -----------------------------------------------------------------------


async def test_an_emergency_answer_is_advised_first_with_the_emergency_number(
    world: World, rt: Runtime
) -> None:
    done = await _finish(rt, ZOE_TG, 8, flags=("mscc",), **SEVERE)
    first, *rest = _texts(done.replies)
    assert first == rt.text("en", "advice.red_flag.mscc")
    assert f"Call {EMERGENCY} now" in first
    assert rest == [
        rt.text("en", "advice.tier.t3"),
        rt.text("en", "advice.worsening"),
        rt.text("en", "checkin.thanks"),
    ]
    checkin = await _checkin(world, done.checkin_id)
    assert checkin.tier == 3 and checkin.answers["reasons"][0] == "red_flag:mscc"
    (alert,) = await _alerts(world, done.checkin_id)
    assert alert.tier == 3
    staff = {r.chat_id for r in await outbox(world, "alert")}
    assert staff == {SETTING_COORDINATOR, COORDINATOR_TG}
    # An emergency is for people to handle now, not for a check-in in four hours.
    assert await _followups(world, world.ids.zoe) == []


async def test_a_worrying_answer_plans_a_sooner_check_in(world: World, rt: Runtime) -> None:
    await _finish(rt, ADA_TG, 8, **SEVERE)
    (followup,) = await _followups(world, world.ids.ada)
    hours = rt.escalation.followup_hours
    assert followup.active and followup.next_fire_at == rt.clock.now() + timedelta(hours=hours)


# --- a caregiver's report -----------------------------------------------------------------------


async def test_a_caregivers_report_is_shown_to_the_patient_and_not_copied_back(
    world: World, rt: Runtime
) -> None:
    await _set_copies(world, world.ids.ada)
    done = await _finish(rt, ADA_TG, 2, reporter_tg=CAREGIVER_TG)
    assert _texts(done.replies)[-1] == rt.text("en", "checkin.thanks")
    assert await _awaiting(world, CAREGIVER_TG) is None
    (notice,) = [r for r in await outbox(world) if r.unique_key == f"proxy:{done.checkin_id}"]
    assert (notice.chat_id, notice.recipient_id) == (ADA_TG, world.ids.ada)
    assert notice.payload["text"] == "\n\n".join(
        [
            rt.text("en", "caregiver.proxy.patient_notice", caregiver_name="Charles", score=2),
            rt.text("en", "advice.tier.t0"),
        ]
    )
    # The reporting caregiver already knows: no copy to them.
    assert await outbox(world, "reminder") == []


async def test_an_alert_from_a_caregivers_report_names_the_caregiver(
    world: World, rt: Runtime
) -> None:
    done = await _finish(rt, ADA_TG, 8, reporter_tg=CAREGIVER_TG, **SEVERE)
    (alert,) = await _alerts(world, done.checkin_id)
    (to_nurse,) = [r for r in await outbox(world, "alert") if r.chat_id == COORDINATOR_TG]
    assert rt.text("en", "alert.proxy", caregiver_name="Charles") in to_nurse.payload["text"]
    assert alert.tier == 2
