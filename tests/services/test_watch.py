"""The watch pass: nudges, silence notices, weekly summaries and emergency repeats."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from reminderbot.care.escalation import Assessment
from reminderbot.content import Catalog
from reminderbot.runtime import Runtime
from reminderbot.services import alerts, watch
from reminderbot.store.models import CaregiverLink, CheckIn, OutboxDelivery, Person
from tests.services.conftest import World
from tests.services.runtime_for import CONFIGURED_COORDINATOR, runtime_for
from tests.services.seed import CAREGIVER_TG, COORDINATOR_TG, ZOE_NAME


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The services' Runtime on the seeded database."""
    return runtime_for(world, catalog)


async def _rows(rt: Runtime, prefix: str) -> list[OutboxDelivery]:
    async with rt.sessions() as session:
        stmt = (
            select(OutboxDelivery)
            .where(OutboxDelivery.unique_key.startswith(prefix))
            .order_by(OutboxDelivery.unique_key)
        )
        return list((await session.scalars(stmt)).all())


async def test_unanswered_prompts_get_one_gentle_nudge(rt: Runtime, world: World) -> None:
    report = await watch.watch(rt, world.clock.now())
    nudges = await _rows(rt, "nudge:")
    # Zoë's two prompts of a day and a day and a half ago; not the snoozed copy, not the
    # prompt of an hour ago, not the answered ones, not the paused or stopped patients'.
    assert report.nudges == 2
    assert {r.recipient_id for r in nudges} == {world.ids.zoe}
    assert all("~" not in r.unique_key for r in nudges)
    assert nudges[0].kind == "reminder"
    assert nudges[0].payload == {"text": rt.text("en", "alert.silence.nudge"), "buttons": []}


async def test_silence_in_a_row_is_told_to_the_team_once(rt: Runtime, world: World) -> None:
    report = await watch.watch(rt, world.clock.now())
    notices = await _rows(rt, "silence:")
    assert report.silence_notices == 2
    assert {r.chat_id for r in notices} == {CONFIGURED_COORDINATOR, COORDINATOR_TG}
    kim = next(r for r in notices if r.chat_id == COORDINATOR_TG)
    assert kim.payload["patient_id"] == world.ids.zoe
    assert kim.payload["text"] == rt.text(
        "en", "alert.silence.notice", patient_name=ZOE_NAME, patient_id=world.ids.zoe, count=3
    )
    await watch.watch(rt, world.clock.now() + timedelta(minutes=5))
    assert len(await _rows(rt, "silence:")) == 2


async def test_a_weekly_summary_goes_on_monday_morning_to_caregivers_who_opted_in(
    rt: Runtime, world: World
) -> None:
    # Monday 09:30 in Shanghai, the caregiver's zone.
    monday = datetime(2026, 3, 30, 1, 30, tzinfo=UTC)
    assert (await watch.watch(rt, monday)).weekly_summaries == 0
    async with rt.sessions.begin() as session:
        link = await session.scalar(
            select(CaregiverLink).where(
                CaregiverLink.patient_id == world.ids.ada, CaregiverLink.revoked_at.is_(None)
            )
        )
        assert link is not None
        link.receives_weekly = True
    assert (await watch.watch(rt, monday - timedelta(hours=2))).weekly_summaries == 0
    assert (await watch.watch(rt, monday)).weekly_summaries == 1
    [summary] = await _rows(rt, "weekly:")
    assert summary.chat_id == CAREGIVER_TG and summary.kind == "summary"
    assert summary.unique_key.endswith(":2026-W14")
    assert summary.payload["text"] == rt.text(
        "en",
        "alert.weekly.summary",
        patient_name="Ada Lovelace",
        patient_id=world.ids.ada,
        count=1,
        median="2",
        highest=2,
        alerts=1,  # the acknowledged alert of four days before the seed
    )


async def test_an_unacknowledged_emergency_is_repeated_by_the_watch(
    rt: Runtime, world: World
) -> None:
    now = world.clock.now()
    async with rt.sessions.begin() as session:
        ada = await session.get(Person, world.ids.ada)
        assert ada is not None
        checkin = CheckIn(
            patient_id=ada.id,
            reporter_id=ada.id,
            source="typed",
            prompt_key="typed:watch",
            prompted_at=now,
            answered_at=now,
            score=9,
            answers={"now": 9, "step": "done"},
        )
        session.add(checkin)
        await session.flush()
        assessment = Assessment(
            tier=3,
            reasons=("red_flag:mscc",),
            worsened=False,
            advice_keys=("advice.red_flag.mscc",),
            follow_up=False,
            usual=2.0,
        )
        cause = alerts.PainCause(checkin, assessment, [2, 9], assessment.advice_keys)
        alert = await alerts.raise_alert(session, rt, patient=ada, cause=cause, now=now)
    report = await watch.watch(rt, now + timedelta(minutes=16))
    assert report.alert_repeats == 2
    assert len(await _rows(rt, f"alert:{alert.id}:")) == 3 + 2
