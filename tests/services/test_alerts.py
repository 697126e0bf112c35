"""Alerts: one raise path for pain and calcium, who hears, the emergency repeat, acknowledging."""

from __future__ import annotations

import itertools
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from reminderbot.care.escalation import Assessment
from reminderbot.content import Catalog
from reminderbot.runtime import Runtime
from reminderbot.services import alerts
from reminderbot.services.replies import Asker
from reminderbot.store.models import (
    Alert,
    AlertState,
    AuditEvent,
    CaregiverLink,
    CheckIn,
    OutboxDelivery,
    Person,
)
from tests.services.conftest import World
from tests.services.runtime_for import CONFIGURED_COORDINATOR, runtime_for
from tests.services.seed import CAREGIVER_TG, COORDINATOR_TG

_SERIAL = itertools.count()


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The services' Runtime on the seeded database."""
    return runtime_for(world, catalog)


def _pain(checkin: CheckIn, tier: int) -> alerts.PainCause:
    return alerts.PainCause(
        checkin=checkin,
        assessment=Assessment(
            tier=tier,
            reasons=("pain_severe",),
            worsened=False,
            advice_keys=("advice.tier.t2",),
            follow_up=False,
            usual=2.0,
        ),
        trend=[2, 8],
        told_keys=["advice.tier.t2"],
    )


async def _raise(rt: Runtime, world: World, cause_for: object, tier: int = 2) -> int:
    """Raise a pain alert for Ada (who has a caregiver) on a new check-in; returns its id."""
    now = world.clock.now()
    async with rt.sessions.begin() as session:
        ada = await session.get(Person, world.ids.ada)
        assert ada is not None
        checkin = CheckIn(
            patient_id=ada.id,
            reporter_id=ada.id,
            source="typed",
            prompt_key=f"typed:{ada.id}:test:{next(_SERIAL)}",
            prompted_at=now,
            answered_at=now,
            score=8,
            answers={"now": 8, "step": "done"},
        )
        session.add(checkin)
        await session.flush()
        cause = cause_for if isinstance(cause_for, alerts.CalciumCause) else _pain(checkin, tier)
        alert = await alerts.raise_alert(session, rt, patient=ada, cause=cause, now=now)
        return alert.id


async def _rows(rt: Runtime, prefix: str) -> list[OutboxDelivery]:
    async with rt.sessions() as session:
        stmt = select(OutboxDelivery).where(OutboxDelivery.unique_key.startswith(prefix))
        return list((await session.scalars(stmt)).all())


async def test_a_pain_alert_reaches_coordinators_with_acknowledge_and_caregivers_without(
    rt: Runtime, world: World
) -> None:
    alert_id = await _raise(rt, world, None)
    rows = {r.chat_id: r for r in await _rows(rt, f"alert:{alert_id}:")}
    assert set(rows) == {CONFIGURED_COORDINATOR, COORDINATOR_TG, CAREGIVER_TG}
    staff = rows[COORDINATOR_TG]
    assert staff.kind == "alert"
    assert staff.unique_key == f"alert:{alert_id}:{COORDINATOR_TG}:0"
    assert staff.payload["buttons"] == [
        [[rt.text("en", "alert.acknowledge_button"), f"ack|{alert_id}|"]]
    ]
    assert staff.payload["patient_id"] == world.ids.ada
    assert staff.payload["alert_id"] == alert_id
    assert "Ada Lovelace" in staff.payload["text"]
    assert "2 → 8" in staff.payload["text"]
    assert rows[CAREGIVER_TG].payload["buttons"] == []
    async with rt.sessions() as session:
        alert = await session.get(Alert, alert_id)
    assert alert is not None and alert.state == AlertState.OPEN
    assert alert.checkin_id is not None and alert.reasons == ["pain_severe"]


async def test_a_calcium_alert_takes_the_same_path_without_a_checkin(
    rt: Runtime, world: World
) -> None:
    cause = alerts.CalciumCause(
        tier=2,
        band="high_g2",
        reading="3.1 mmol/L",
        mmol="3.10",
        advice_key="calcium.result.high_g2",
    )
    alert_id = await _raise(rt, world, cause)
    rows = {r.chat_id: r for r in await _rows(rt, f"alert:{alert_id}:")}
    assert set(rows) == {CONFIGURED_COORDINATOR, COORDINATOR_TG, CAREGIVER_TG}
    assert "3.1 mmol/L" in rows[COORDINATOR_TG].payload["text"]
    assert rows[COORDINATOR_TG].payload["buttons"][0][0][1] == f"ack|{alert_id}|"
    async with rt.sessions() as session:
        alert = await session.get(Alert, alert_id)
    assert alert is not None
    assert (alert.checkin_id, alert.reasons, alert.tier) == (None, ["calcium:high_g2"], 2)


async def test_a_tier_one_alert_only_reaches_caregivers_who_chose_copies(
    rt: Runtime, world: World
) -> None:
    alert_id = await _raise(rt, world, None, tier=1)
    assert await _rows(rt, f"alert:{alert_id}:") == []
    async with rt.sessions.begin() as session:
        link = await session.scalar(
            select(CaregiverLink).where(
                CaregiverLink.patient_id == world.ids.ada, CaregiverLink.revoked_at.is_(None)
            )
        )
        assert link is not None
        link.receives_copies = True
    alert_id = await _raise(rt, world, None, tier=1)
    assert [r.chat_id for r in await _rows(rt, f"alert:{alert_id}:")] == [CAREGIVER_TG]


async def test_an_emergency_is_repeated_to_coordinators_every_interval_until_acknowledged(
    rt: Runtime, world: World
) -> None:
    alert_id = await _raise(rt, world, None, tier=3)
    every = timedelta(minutes=15)
    start = world.clock.now()
    async with rt.sessions.begin() as session:
        # Finn's seeded emergency has no first copies in the outbox, so nothing repeats it.
        early = start + timedelta(minutes=10)
        assert await alerts.repeat_unacknowledged(session, rt, early, every) == 0
        queued = await alerts.repeat_unacknowledged(
            session, rt, start + timedelta(minutes=16), every
        )
    rows = await _rows(rt, f"alert:{alert_id}:")
    repeats = {r.chat_id: r for r in rows if r.unique_key.endswith(":1")}
    assert queued == 2 and set(repeats) == {CONFIGURED_COORDINATOR, COORDINATOR_TG}
    text = repeats[COORDINATOR_TG].payload["text"]
    assert text.startswith(rt.text("en", "alert.repeat_prefix", minutes=16))
    assert repeats[COORDINATOR_TG].payload["buttons"][0][0][1] == f"ack|{alert_id}|"
    async with rt.sessions.begin() as session:
        alert = await session.get(Alert, alert_id)
        assert alert is not None
        alert.state = AlertState.ACKNOWLEDGED
    async with rt.sessions.begin() as session:
        later = start + timedelta(minutes=31)
        assert await alerts.repeat_unacknowledged(session, rt, later, every) == 0


async def test_acknowledging_tells_the_others_once(rt: Runtime, world: World) -> None:
    alert_id = await _raise(rt, world, None)
    now = world.clock.now()
    async with rt.sessions.begin() as session:
        kim = await session.get(Person, world.ids.coordinator)
        first = await alerts.acknowledge(
            session,
            rt,
            alert_id=alert_id,
            by=kim,
            by_telegram_id=COORDINATOR_TG,
            by_name="Nurse Kim",
            now=now,
            zone=ZoneInfo("UTC"),
        )
        again = await alerts.acknowledge(
            session,
            rt,
            alert_id=alert_id,
            by=kim,
            by_telegram_id=COORDINATOR_TG,
            by_name="Nurse Kim",
            now=now,
            zone=ZoneInfo("UTC"),
        )
    assert first[1] is True and again[1] is False
    told = {r.chat_id: r for r in await _rows(rt, f"ack:{alert_id}:")}
    assert set(told) == {CONFIGURED_COORDINATOR, CAREGIVER_TG}
    assert "Nurse Kim" in told[CAREGIVER_TG].payload["text"]
    assert told[CAREGIVER_TG].payload["patient_id"] == world.ids.ada
    async with rt.sessions() as session:
        alert = await session.get(Alert, alert_id)
        audit = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "alert:acknowledge")
        )
    assert alert is not None and alert.state == AlertState.ACKNOWLEDGED
    assert alert.acknowledged_by_id == world.ids.coordinator
    assert audit is not None


async def test_a_coordinators_tap_acknowledges_and_offers_resolve(
    rt: Runtime, world: World
) -> None:
    alert_id = await _raise(rt, world, None)
    async with rt.sessions.begin() as session:
        kim = await session.get(Person, world.ids.coordinator)
        replies = await alerts.acknowledge_tap(
            rt, session, Asker(COORDINATOR_TG, "Kim"), kim, str(alert_id), world.clock.now()
        )
        again = await alerts.acknowledge_tap(
            rt, session, Asker(COORDINATOR_TG, "Kim"), kim, str(alert_id), world.clock.now()
        )
    assert replies[0].text == rt.text(
        "en", "alert.acknowledged_you", patient_name="Ada Lovelace", patient_id=world.ids.ada
    )
    assert replies[0].buttons[0][0][1] == f"{alerts.RESOLVE}|{alert_id}|"
    at = world.clock.now().astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M")
    assert [r.text for r in again] == [
        rt.text("en", "alert.already_acknowledged", by="Nurse Kim", at=at)
    ]


async def test_anyone_else_tapping_acknowledge_is_refused_and_audited(
    rt: Runtime, world: World
) -> None:
    alert_id = await _raise(rt, world, None)
    async with rt.sessions.begin() as session:
        carer = await session.get(Person, world.ids.caregiver)
        replies = await alerts.acknowledge_tap(
            rt, session, Asker(CAREGIVER_TG, "Charles"), carer, str(alert_id), world.clock.now()
        )
    assert [r.text for r in replies] == [rt.text("en", "alert.not_allowed")]
    async with rt.sessions() as session:
        alert = await session.get(Alert, alert_id)
        refusal = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "refused:acknowledge")
        )
    assert alert is not None and alert.state == AlertState.OPEN
    assert refusal is not None and refusal.actor_telegram_id == CAREGIVER_TG
