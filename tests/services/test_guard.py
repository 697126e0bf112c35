"""The one guard: rights looked up in the database, every refusal audited with ids only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reminderbot.content import Catalog
from reminderbot.delivery.buttons import Right
from reminderbot.runtime import Runtime
from reminderbot.services import guard
from reminderbot.store.models import AuditEvent
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.runtime_for import CONFIGURED_COORDINATOR, runtime_for
from tests.services.seed import CAREGIVER_TG, COORDINATOR_TG

ZOE_TG, ADA_TG, STRANGER_TG = 5001, 5002, 7777


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The services' Runtime on the seeded database."""
    return runtime_for(world, catalog)


async def _rights(rt: Runtime, telegram_id: int, patient_id: int | None) -> set[Right]:
    async with rt.sessions() as session:
        person = await find_person(session, telegram_id)
        return {
            right
            for right in Right
            if await guard.has_right(rt, session, telegram_id, person, right, patient_id)
        }


async def test_rights_come_from_the_database(rt: Runtime, world: World) -> None:
    ada, zoe = world.ids.ada, world.ids.zoe
    own = {Right.ANYONE, Right.SELF, Right.PATIENT, Right.PATIENT_OR_REPORTER}
    assert await _rights(rt, ADA_TG, ada) == own
    assert await _rights(rt, ZOE_TG, ada) == {Right.ANYONE, Right.PATIENT_OR_REPORTER}
    # Ada's caregiver (one active link, one revoked) follows Ada and nobody else.
    assert await _rights(rt, CAREGIVER_TG, ada) == {
        Right.ANYONE,
        Right.CAREGIVER,
        Right.PATIENT_OR_REPORTER,
    }
    assert Right.CAREGIVER not in await _rights(rt, CAREGIVER_TG, zoe)
    assert Right.COORDINATOR in await _rights(rt, COORDINATOR_TG, ada)
    # A coordinator by setting needs no person row; a stranger has no right but ANYONE.
    assert Right.COORDINATOR in await _rights(rt, CONFIGURED_COORDINATOR, None)
    assert await _rights(rt, STRANGER_TG, ada) == {Right.ANYONE}


async def test_a_refusal_is_audited_with_ids_only(rt: Runtime, world: World) -> None:
    async with rt.sessions.begin() as session:
        guard.refuse(session, STRANGER_TG, "cgl", world.ids.now, key=12, missing=None)
    async with rt.sessions() as session:
        (event,) = (
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "refused:cgl"))
        ).all()
    assert event.actor_telegram_id == STRANGER_TG
    assert event.details == {"key": 12}
