"""Calcium results end to end (issue 11): an emergency result's first reply is the emergency
instruction with the configured number, in English and Chinese; an ambiguous unit is asked
about and graded after the answer — the real bot against the sandbox."""

from __future__ import annotations

from sqlalchemy import select

from reminderbot.sandbox import SimulatedUser
from reminderbot.store.models import Alert, CalciumResult
from tests.e2e.conftest import EMERGENCY, Harness


async def _onboard_in_chinese(harness: Harness) -> SimulatedUser:
    wang = harness.user(user_id=3003, first_name="王芳", language_code="zh-hans")
    zh = _zh(harness)
    await harness.say(wang, "/start")
    await harness.tap(wang, zh("onboarding.consent.agree_button"))
    await harness.until(wang, zh("onboarding.language.ask"))
    await harness.tap(wang, "✓ 简体中文")
    await harness.say(wang, "上海")
    await harness.until(
        wang, zh("onboarding.times.ask", checkin_time="18:00", morning_time="09:00")[:8]
    )
    await harness.tap(wang, zh("onboarding.times.keep_button"))
    return wang


def _zh(harness: Harness):  # type: ignore[no-untyped-def]
    return lambda key, **values: harness.rt.text("zh-Hans", key, **values)


async def _calcium_alerts(harness: Harness) -> list[tuple[int, list[str]]]:
    async with harness.rt.sessions() as session:
        rows = (await session.scalars(select(Alert).where(Alert.checkin_id.is_(None)))).all()
    return [(a.tier, list(a.reasons)) for a in rows]


async def test_a_grade_4_result_first_says_call_the_emergency_number(harness: Harness) -> None:
    ada = harness.user()
    await harness.onboard(ada)
    await harness.say(ada, "/calcium")
    first = await harness.say(ada, "13.8 mg/dL")  # CTCAE grade 4 in mg/dL
    assert first.text == harness.t("calcium.result.high_g4")
    assert first.text.startswith("EMERGENCY") and EMERGENCY in first.text.split("\n\n")[0]
    recorded = await ada.next_message()
    assert recorded.text == harness.t("calcium.recorded.total", value="13.8", unit="mg/dL")

    wang = await _onboard_in_chinese(harness)
    zh = _zh(harness)
    await harness.say(wang, "/calcium")
    first = await harness.say(wang, "血钙 1.2 mmol/L")  # low grade 4
    assert first.text == zh("calcium.result.low_g4")
    assert first.text.startswith("紧急情况") and EMERGENCY in first.text.split("\n\n")[0]
    assert (await wang.next_message()).text == zh(
        "calcium.recorded.total", value="1.2", unit="mmol/L"
    )
    assert await _calcium_alerts(harness) == [(3, ["calcium:high_g4"]), (3, ["calcium:low_g4"])]


async def test_an_ambiguous_unit_is_asked_then_graded(harness: Harness) -> None:
    ada = harness.user()
    await harness.onboard(ada)
    await harness.say(ada, "/calcium")
    question = await harness.say(ada, "4.6")
    assert question.text == harness.t("calcium.parse.unit", value="4.6")
    assert question.buttons == [["mmol/L", "mg/dL"]]
    async with harness.rt.sessions() as session:
        assert await session.scalar(select(CalciumResult)) is None
    assert await _calcium_alerts(harness) == []  # nothing until the unit is known

    first = await harness.tap(ada, "mg/dL")  # 4.6 mg/dL = 1.15 mmol/L: low grade 4
    assert first.text == harness.t("calcium.result.low_g4")
    assert EMERGENCY in first.text.split("\n\n")[0]
    assert (await ada.next_message()).text == harness.t(
        "calcium.recorded.total", value="4.6", unit="mg/dL"
    )
    assert await _calcium_alerts(harness) == [(3, ["calcium:low_g4"])]

    # In Chinese, answered by typing the result again with its unit.
    wang = await _onboard_in_chinese(harness)
    zh = _zh(harness)
    await harness.say(wang, "/calcium")
    question = await harness.say(wang, "钙 4.6 白蛋白 30")
    assert question.text == zh("calcium.parse.unit", value="4.6")
    assert question.buttons == [[zh("calcium.unit.mmol_button"), zh("calcium.unit.mg_button")]]
    first = await harness.say(wang, "钙 4.6 mmol/L 白蛋白 30")  # 4.6 + 0.2 = 4.80: high G4
    assert first.text == zh("calcium.result.high_g4")
    async with harness.rt.sessions() as session:
        results = (await session.scalars(select(CalciumResult).order_by(CalciumResult.id))).all()
    assert [(r.value, r.unit, r.corrected_mmol_l) for r in results] == [
        (4.6, "mg/dL", None),
        (4.6, "mmol/L", 4.8),
    ]
