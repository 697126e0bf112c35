"""Calcium results: asked for, read, stored, explained; an abnormal one raises an alert."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reminderbot.content import Catalog
from reminderbot.runtime import Runtime
from reminderbot.services import calcium_results
from reminderbot.services.replies import Reply
from reminderbot.store.models import Alert, CalciumResult
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.runtime_for import runtime_for

ADA_TG = 5002


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The services' Runtime on the seeded database."""
    return runtime_for(world, catalog)


async def _type(rt: Runtime, typed: str) -> tuple[list[Reply], str | None]:
    async with rt.sessions.begin() as session:
        ada = await find_person(session, ADA_TG)
        assert ada is not None
        asked = calcium_results.ask_calcium(rt, ada)
        assert [r.text for r in asked] == [rt.text("en", "delivery.calcium.ask_value")]
        replies = await calcium_results.typed_calcium(rt, session, ada, typed, rt.clock.now())
        return replies, ada.awaiting


async def test_a_high_result_is_stored_explained_and_alerted(rt: Runtime, world: World) -> None:
    replies, awaiting = await _type(rt, "3.0 mmol/L")
    assert awaiting is None
    assert replies[0].text == rt.text(
        "en", "calcium.recorded", value="3", unit="mmol/L", mmol="3.00"
    )
    async with rt.sessions() as session:
        result = await session.scalar(select(CalciumResult))
        alert = await session.scalar(
            select(Alert).where(Alert.patient_id == world.ids.ada, Alert.checkin_id.is_(None))
        )
    assert result is not None and result.value == 3.0 and result.patient_id == world.ids.ada
    assert alert is not None and alert.reasons[0].startswith("calcium:")
    assert replies[1].text == rt.text("en", f"calcium.result.{alert.reasons[0].split(':')[1]}")


async def test_a_normal_result_raises_no_alert(rt: Runtime, world: World) -> None:
    await _type(rt, "2.3 mmol/L")
    async with rt.sessions() as session:
        alert = await session.scalar(select(Alert).where(Alert.checkin_id.is_(None)))
        stored = await session.scalar(select(CalciumResult))
    assert alert is None and stored is not None


async def test_an_unreadable_result_is_explained_and_still_awaited(
    rt: Runtime, world: World
) -> None:
    replies, awaiting = await _type(rt, "high-ish")
    assert awaiting == calcium_results.AWAIT_CALCIUM
    assert replies[0].text == rt.text("en", "calcium.parse.no_number")
    async with rt.sessions() as session:
        assert await session.scalar(select(CalciumResult)) is None
