"""Pain trends: who may see whose chart, what is audited, and the chart's data and caption."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reminderbot.content import Catalog
from reminderbot.runtime import Runtime
from reminderbot.services import trends
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.models import AuditEvent
from tests.services.conftest import World
from tests.services.runtime_for import runtime_for
from tests.services.seed import CAREGIVER_TG, COORDINATOR_TG, ZOE_NAME

ZOE_TG, ADA_TG = 5001, 5002


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The services' Runtime on the seeded database."""
    return runtime_for(world, catalog)


def _texts(result: trends.TrendChart | list[Reply]) -> list[str]:
    """The texts of a refusal (a chart here would be a failure)."""
    assert isinstance(result, list)
    return [r.text for r in result]


async def _audits(rt: Runtime, action: str) -> list[AuditEvent]:
    async with rt.sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == action)
        return list((await session.scalars(stmt)).all())


async def test_a_patient_sees_their_own_chart_unaudited(rt: Runtime, world: World) -> None:
    chart = await trends.pain_trend(rt, Asker(ZOE_TG, "Zoë"), [], rt.clock.now())
    assert isinstance(chart, trends.TrendChart)
    assert chart.patient_id == world.ids.zoe and chart.name == ZOE_NAME
    assert sorted(p.score for p in chart.points) == [3, 7]
    assert len(chart.alert_times) == 1
    assert chart.labels.title == rt.text("en", "trend.title", name=ZOE_NAME)
    assert chart.caption == rt.text(
        "en",
        "trend.summary",
        count=2,
        last=7,
        median="5",
        direction=rt.text("en", "trend.direction.unknown"),
        alerts=1,
    )
    assert await _audits(rt, "view:trend") == []


async def test_a_coordinator_sees_any_chart_and_it_is_audited(rt: Runtime, world: World) -> None:
    chart = await trends.pain_trend(
        rt, Asker(COORDINATOR_TG, "Kim"), [f"#{world.ids.zoe}"], rt.clock.now()
    )
    assert isinstance(chart, trends.TrendChart) and chart.patient_id == world.ids.zoe
    [audit] = await _audits(rt, "view:trend")
    assert audit.subject_person_id == world.ids.zoe


async def test_a_caregiver_sees_only_the_patient_they_follow(rt: Runtime, world: World) -> None:
    ada = await trends.pain_trend(
        rt, Asker(CAREGIVER_TG, "Charles"), [str(world.ids.ada)], rt.clock.now()
    )
    assert isinstance(ada, trends.TrendChart)
    zoe = await trends.pain_trend(
        rt, Asker(CAREGIVER_TG, "Charles"), [str(world.ids.zoe)], rt.clock.now()
    )
    assert _texts(zoe) == [rt.text("en", "trend.not_allowed")]
    [refusal] = await _audits(rt, "refused:trend")
    assert refusal.actor_telegram_id == CAREGIVER_TG


async def test_a_patient_may_not_see_another_patient(rt: Runtime, world: World) -> None:
    replies = await trends.pain_trend(
        rt, Asker(ADA_TG, "Ada"), [str(world.ids.zoe)], rt.clock.now()
    )
    assert [r.text for r in replies] == [rt.text("en", "trend.not_allowed")]


async def test_a_malformed_patient_id_gets_the_usage(rt: Runtime, world: World) -> None:
    replies = await trends.pain_trend(rt, Asker(ZOE_TG, "Zoë"), ["zoe"], rt.clock.now())
    assert _texts(replies) == [rt.text("en", "trend.usage")]
