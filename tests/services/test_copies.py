"""Copies after a check-in: to caregivers who chose them; a proxy report shown to the patient."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reminderbot.content import Catalog
from reminderbot.runtime import Runtime
from reminderbot.services import copies
from reminderbot.store.models import CaregiverLink, CheckIn, OutboxDelivery, Person
from tests.services.conftest import World
from tests.services.runtime_for import runtime_for
from tests.services.seed import CAREGIVER_TG


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The services' Runtime on the seeded database."""
    return runtime_for(world, catalog)


async def _choose_copies(rt: Runtime, world: World) -> None:
    async with rt.sessions.begin() as session:
        link = await session.scalar(
            select(CaregiverLink).where(
                CaregiverLink.patient_id == world.ids.ada, CaregiverLink.revoked_at.is_(None)
            )
        )
        assert link is not None
        link.receives_copies = True


async def _after(rt: Runtime, world: World, tier: int, *, proxy: bool = False) -> int:
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        ada = await session.get(Person, world.ids.ada)
        carer = await session.get(Person, world.ids.caregiver)
        assert ada is not None and carer is not None
        checkin = CheckIn(
            patient_id=ada.id,
            reporter_id=carer.id if proxy else ada.id,
            source="proxy" if proxy else "typed",
            prompt_key=f"typed:copies:{tier}:{proxy}",
            prompted_at=now,
            answered_at=now,
            score=5,
            answers={"now": 5, "step": "done"},
            tier=tier,
        )
        session.add(checkin)
        await session.flush()
        await copies.after_checkin(
            rt,
            session,
            patient=ada,
            checkin=checkin,
            advice_keys=["advice.tier.t1"],
            reporter=carer if proxy else None,
            now=now,
        )
        return checkin.id


async def _keys(rt: Runtime) -> dict[str, OutboxDelivery]:
    async with rt.sessions() as session:
        rows = await session.scalars(
            select(OutboxDelivery).where(
                OutboxDelivery.unique_key.startswith("copy:")
                | OutboxDelivery.unique_key.startswith("proxy:")
            )
        )
        return {r.unique_key: r for r in rows.all()}


async def test_caregivers_who_did_not_choose_copies_get_none(rt: Runtime, world: World) -> None:
    await _after(rt, world, 0)
    assert await _keys(rt) == {}


async def test_a_quiet_checkin_is_copied_to_caregivers_who_chose_copies(
    rt: Runtime, world: World
) -> None:
    await _choose_copies(rt, world)
    checkin_id = await _after(rt, world, 0)
    rows = await _keys(rt)
    row = rows[f"copy:checkin:{checkin_id}:{CAREGIVER_TG}"]
    assert row.kind == "reminder" and row.payload["patient_id"] == world.ids.ada
    assert row.payload["text"] == rt.text(
        "en", "caregiver.copy.checkin", patient_name="Ada Lovelace", score=5
    )


async def test_an_alerting_checkin_sends_no_copy(rt: Runtime, world: World) -> None:
    await _choose_copies(rt, world)
    await _after(rt, world, 2)
    assert await _keys(rt) == {}


async def test_a_proxy_report_is_shown_to_the_patient_with_its_advice(
    rt: Runtime, world: World
) -> None:
    await _choose_copies(rt, world)
    checkin_id = await _after(rt, world, 0, proxy=True)
    rows = await _keys(rt)
    # The caregiver who reported gets no copy of their own report.
    assert set(rows) == {f"proxy:{checkin_id}"}
    notice = rows[f"proxy:{checkin_id}"]
    assert notice.chat_id == 5002 and notice.payload["patient_id"] == world.ids.ada
    assert notice.payload["text"] == "\n\n".join(
        [
            rt.text("en", "caregiver.proxy.patient_notice", caregiver_name="Charles", score=5),
            rt.text("en", "advice.tier.t1"),
        ]
    )
