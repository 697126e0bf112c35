"""The roster: who is most worrying, what each row says, paging, and one patient's detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from reminderbot.content import Catalog
from reminderbot.services.admin_common import AdminInputError
from reminderbot.services.roster import patient_detail, roster
from reminderbot.store.models import Alert, AlertState, CheckIn, OutboxDelivery
from tests.services.conftest import World
from tests.services.seed import ZOE_NAME


async def test_worst_first_with_what_each_row_says(world: World) -> None:
    ids, now = world.ids, world.clock.now()
    async with world.sessions() as session:
        page = await roster(session, now)
    assert page.total == 7
    assert [r.person_id for r in page.rows] == ids.worry_order
    rows = {r.person_id: r for r in page.rows}
    finn, zoe, ada, eve, bob, dana, carl = (rows[i] for i in ids.worry_order)
    assert (finn.open_alert_tier, finn.last_score, finn.last_tier) == (3, 9, 3)
    # Zoë's T2 alert waits for someone; Ada's has been acknowledged but is not resolved yet.
    assert (zoe.unacknowledged_alerts, ada.unacknowledged_alerts) == (1, 0)
    assert (zoe.name, zoe.status, zoe.program) == (ZOE_NAME, "active", "default")
    assert (zoe.open_alert_tier, zoe.last_score, zoe.last_tier) == (2, 7, 2)
    assert zoe.last_answer_at == now - timedelta(days=2) + timedelta(minutes=5)
    # Two prompts since her last answer went unanswered; the snoozed copy of one of them and
    # the prompt sent an hour ago (still open) do not count.
    assert zoe.missed_checkins == 2
    assert (eve.status, eve.missed_checkins, eve.last_answer_at) == ("unreachable", 0, None)
    # Bob's alert was resolved; one prompt since his last answer went unanswered.
    assert (bob.status, bob.missed_checkins, bob.open_alert_tier) == ("paused", 1, None)
    assert (bob.last_score, bob.last_tier) == (5, 1)
    # Ada answered her prompt; one caregiver is still linked, one was revoked.
    assert (ada.missed_checkins, ada.open_alert_tier, ada.caregivers) == (0, 2, 1)
    assert (ada.last_score, ada.last_tier) == (2, 0)
    assert dana.status == "onboarding"
    assert (carl.status, carl.missed_checkins) == ("stopped", 3)


async def test_paging_is_stable(world: World) -> None:
    async with world.sessions() as session:
        pages = [await roster(session, world.clock.now(), offset=o, limit=3) for o in (0, 3, 6)]
        beyond = await roster(session, world.clock.now(), offset=30, limit=3)
    assert [r.person_id for p in pages for r in p.rows] == world.ids.worry_order
    assert [len(p.rows) for p in pages] == [3, 3, 1]
    assert {p.total for p in pages} == {7}
    assert (beyond.rows, beyond.total) == ((), 7)


async def test_a_prompt_counts_as_missed_once_it_is_no_longer_open(world: World) -> None:
    async with world.sessions() as session:
        page = await roster(session, world.clock.now(), open_for=timedelta(0))
    zoe = next(r for r in page.rows if r.person_id == world.ids.zoe)
    assert zoe.missed_checkins == 3


async def test_answering_ends_the_silence_and_acknowledging_lowers_the_rank(world: World) -> None:
    ids, now = world.ids, world.clock.now()
    async with world.sessions.begin() as session:
        newest = await session.scalar(
            select(OutboxDelivery)
            .where(OutboxDelivery.recipient_id == ids.zoe, ~OutboxDelivery.unique_key.contains("~"))
            .order_by(OutboxDelivery.sent_at.desc())
        )
        assert newest is not None and newest.sent_at is not None
        session.add(
            CheckIn(
                patient_id=ids.zoe,
                source="checkin",
                prompt_key=newest.unique_key,
                prompted_at=newest.sent_at,
                answered_at=now,
                score=4,
                tier=1,
                answers={"now": 4, "step": "done"},
            )
        )
        alert = await session.scalar(select(Alert).where(Alert.patient_id == ids.zoe))
        assert alert is not None
        alert.state = AlertState.RESOLVED
    async with world.sessions() as session:
        page = await roster(session, now)
    zoe = next(r for r in page.rows if r.person_id == ids.zoe)
    assert (zoe.missed_checkins, zoe.last_score, zoe.last_tier) == (0, 4, 1)
    assert zoe.last_answer_at == now
    # No open alert now: she ranks among the active patients, after Bob (one missed).
    assert [r.person_id for r in page.rows] == [
        ids.finn,
        ids.ada,
        ids.eve,
        ids.bob,
        ids.zoe,
        ids.dana,
        ids.carl,
    ]


async def test_patient_detail(world: World, catalog: Catalog) -> None:
    async with world.sessions() as session:
        zoe = await patient_detail(session, world.ids.zoe, catalog=catalog, locale="en")
        ada = await patient_detail(session, world.ids.ada, catalog=catalog, locale="en")
        with pytest.raises(AdminInputError) as raised:
            await patient_detail(session, 4242, catalog=catalog, locale="en")
    assert raised.value.key == "admin.patient.unknown"
    assert (zoe.name, zoe.timezone, zoe.status, zoe.program) == (
        ZOE_NAME,
        "Europe/Berlin",
        "active",
        "default",
    )
    assert [s.description for s in zoe.schedules] == [
        "every day at 18:00",
        "Mon, Wed, Fri at 09:00",
        "every 28 days at 09:00",
    ]
    assert [(c.score, c.tier, c.finished) for c in zoe.recent_checkins] == [
        (7, 2, True),
        (3, 0, True),
    ]
    assert [(a.tier, a.state, a.reasons) for a in zoe.open_alerts] == [
        (2, "open", ("pain_severe",))
    ]
    # Acknowledged is still open until resolved.
    assert [(a.tier, a.state) for a in ada.open_alerts] == [(2, "acknowledged")]
    assert ada.caregivers == 1
