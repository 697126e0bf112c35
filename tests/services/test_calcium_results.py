"""Calcium results: asked for, read, stored, explained; an abnormal one raises an alert."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reminderbot.content import Catalog
from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import calcium_results, scheduled_answers
from reminderbot.services.replies import Reply
from reminderbot.store.models import Alert, CalciumResult
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.runtime_for import EMERGENCY, runtime_for

ADA_TG = 5002


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The services' Runtime on the seeded database."""
    return runtime_for(world, catalog)


async def _type(rt: Runtime, typed: str, locale: str = "en") -> tuple[list[Reply], str | None]:
    async with rt.sessions.begin() as session:
        ada = await find_person(session, ADA_TG)
        assert ada is not None
        ada.language = locale
        asked = calcium_results.ask_calcium(rt, ada)
        assert [r.text for r in asked] == [rt.text(locale, "delivery.calcium.ask_value")]
        replies = await calcium_results.typed_calcium(rt, session, ada, typed, rt.clock.now())
        return replies, ada.awaiting


async def test_a_high_result_is_stored_explained_and_alerted(rt: Runtime, world: World) -> None:
    replies, awaiting = await _type(rt, "3.0 mmol/L")
    assert awaiting is None
    # Advice first, "recorded" second (issue 11: the confirmation used to come first).
    assert replies[1].text == rt.text("en", "calcium.recorded.total", value="3", unit="mmol/L")
    async with rt.sessions() as session:
        result = await session.scalar(select(CalciumResult))
        alert = await session.scalar(
            select(Alert).where(Alert.patient_id == world.ids.ada, Alert.checkin_id.is_(None))
        )
    assert result is not None and result.value == 3.0 and result.patient_id == world.ids.ada
    assert alert is not None and alert.reasons[0].startswith("calcium:")
    assert replies[0].text == rt.text("en", f"calcium.result.{alert.reasons[0].split(':')[1]}")


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


# --- Issue 11: the reply matches the tier, advice first, both units, with and without albumin


def _advice(rt: Runtime, locale: str, band: str, caveat: bool) -> str:
    key = (
        "calcium.result.normal_total_only"
        if caveat and band == "normal"
        else (f"calcium.result.{band}")
    )
    text = rt.text(locale, key)
    return f"{text}\n\n{rt.text(locale, 'calcium.albumin_unknown')}" if caveat else text


# (typed, band, alert tier or None, albumin caveat, recorded key and its values)
REPLIES = [
    ("2.50", "normal", None, True, ("total", {"value": "2.5", "unit": "mmol/L"})),
    ("10.0 mg/dL", "normal", None, True, ("total", {"value": "10", "unit": "mg/dL"})),
    (
        "2.50 albumin 25",
        "high_g1",
        1,
        False,
        (
            "corrected",
            {"value": "2.5", "unit": "mmol/L", "albumin": "25", "albumin_unit": "g/L",
             "corrected": "2.80"},
        ),
    ),
    (
        "10.0 mg/dL albumin 2.5 g/dL",
        "high_g1",
        1,
        False,
        (
            "corrected",
            {"value": "10", "unit": "mg/dL", "albumin": "2.5", "albumin_unit": "g/dL",
             "corrected": "11.2"},
        ),
    ),
    (
        "Is this correct? calcium 2.3 albumin 25",
        "high_borderline",
        1,
        False,
        (
            "corrected",
            {"value": "2.3", "unit": "mmol/L", "albumin": "25", "albumin_unit": "g/L",
             "corrected": "2.60"},
        ),
    ),
    (
        "corrected calcium 2.45",
        "normal",
        None,
        False,
        ("lab_corrected", {"value": "2.45", "unit": "mmol/L"}),
    ),
    ("校正钙 2.4", "normal", None, False, ("lab_corrected", {"value": "2.4", "unit": "mmol/L"})),
    ("11.6 mg/dL", "high_g2", 2, False, ("total", {"value": "11.6", "unit": "mg/dL"})),
    ("2.95 mmol/L", "high_g2", 2, False, ("total", {"value": "2.95", "unit": "mmol/L"})),
    ("12.6 mg/dL", "high_g3", 3, False, ("total", {"value": "12.6", "unit": "mg/dL"})),
    ("3.2 mmol/L", "high_g3", 3, False, ("total", {"value": "3.2", "unit": "mmol/L"})),
    ("13.6 mg/dL", "high_g4", 3, False, ("total", {"value": "13.6", "unit": "mg/dL"})),
    ("3.5 mmol/L", "high_g4", 3, False, ("total", {"value": "3.5", "unit": "mmol/L"})),
    ("6.9 mg/dL", "low_g3", 3, False, ("total", {"value": "6.9", "unit": "mg/dL"})),
    ("1.70 mmol/L", "low_g3", 3, False, ("total", {"value": "1.7", "unit": "mmol/L"})),
    ("5.9 mg/dL", "low_g4", 3, False, ("total", {"value": "5.9", "unit": "mg/dL"})),
    ("1.40 mmol/L", "low_g4", 3, False, ("total", {"value": "1.4", "unit": "mmol/L"})),
    ("8.4 mg/dL", "low_g1", 1, True, ("total", {"value": "8.4", "unit": "mg/dL"})),
]  # fmt: skip


@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
@pytest.mark.parametrize(("typed", "band", "tier", "caveat", "recorded"), REPLIES)
async def test_reply_matches_the_grade_and_tier(
    rt: Runtime,
    world: World,
    locale: str,
    typed: str,
    band: str,
    tier: int | None,
    caveat: bool,
    recorded: tuple[str, dict[str, str]],
) -> None:
    replies, awaiting = await _type(rt, typed, locale)
    assert awaiting is None
    key, values = recorded
    assert [r.text for r in replies] == [
        _advice(rt, locale, band, caveat),
        rt.text(locale, f"calcium.recorded.{key}", **values),
    ]
    if tier == 3:
        # An emergency for the care team is an emergency instruction, with the number, first.
        first_paragraph = replies[0].text.split("\n\n")[0]
        assert EMERGENCY in first_paragraph
        assert first_paragraph.startswith("EMERGENCY" if locale == "en" else "紧急情况")
    else:
        assert "EMERGENCY" not in replies[0].text and "紧急情况" not in replies[0].text
    if band == "normal" and caveat:
        assert replies[0].text != rt.text(locale, "calcium.result.normal")
    async with rt.sessions() as session:
        alerts = (await session.scalars(select(Alert).where(Alert.checkin_id.is_(None)))).all()
    assert [(a.tier, a.reasons) for a in alerts] == (
        [] if tier is None else [(tier, [f"calcium:{band}"])]
    )


@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
@pytest.mark.parametrize("band", ["high_g1", "high_g2", "high_g3", "high_g4"])
def test_high_calcium_advice_asks_about_pausing_supplements(
    rt: Runtime, locale: str, band: str
) -> None:
    text = rt.text(locale, f"calcium.result.{band}")
    if locale == "en":
        assert "calcium or vitamin D tablets" in text and "whether to pause" in text
    else:
        assert "钙片" in text and "维生素 D" in text and "要不要暂停" in text


@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
@pytest.mark.parametrize(
    ("typed", "unit_button", "band", "graded_mmol"),
    [
        ("4.6", 0, "high_g4", 4.6),  # 4.6 mmol/L
        ("4.6", 1, "low_g4", 1.15),  # 4.6 mg/dL × 0.2495 = 1.1477
        ("钙 4.6 白蛋白 30", 1, "low_g4", 1.35),  # (4.6 + 0.8) mg/dL × 0.2495 = 1.3473
    ],
)
async def test_an_ambiguous_unit_is_asked_and_graded_after_the_answer(
    rt: Runtime,
    world: World,
    locale: str,
    typed: str,
    unit_button: int,
    band: str,
    graded_mmol: float,
) -> None:
    replies, awaiting = await _type(rt, typed, locale)
    assert awaiting == calcium_results.AWAIT_CALCIUM
    assert [r.text for r in replies] == [rt.text(locale, "calcium.parse.unit", value="4.6")]
    labels = [label for label, _ in replies[0].buttons[0]]
    assert labels == [rt.text(locale, "calcium.unit.mmol_button"),
                      rt.text(locale, "calcium.unit.mg_button")]  # fmt: skip
    async with rt.sessions() as session:
        assert await session.scalar(select(CalciumResult)) is None
        # Nothing is alerted until the unit is known.
        assert await session.scalar(select(Alert).where(Alert.checkin_id.is_(None))) is None

    data = callbacks.parse(replies[0].buttons[0][unit_button][1])
    assert data is not None
    async with rt.sessions.begin() as session:
        ada = await find_person(session, ADA_TG)
        assert ada is not None
        answered = await scheduled_answers.answer_button(rt, session, ada, data, rt.clock.now())
        assert answered is not None
        assert answered[0].text == rt.text(locale, f"calcium.result.{band}")
        assert EMERGENCY in answered[0].text.split("\n\n")[0]
        assert ada.awaiting is None
    async with rt.sessions.begin() as session:
        ada = await find_person(session, ADA_TG)
        assert ada is not None
        again = await scheduled_answers.answer_button(rt, session, ada, data, rt.clock.now())
        assert [r.text for r in again or []] == [rt.text(locale, "calcium.unit.stale")]
    async with rt.sessions() as session:
        results = (await session.scalars(select(CalciumResult))).all()
        alerts = (await session.scalars(select(Alert).where(Alert.checkin_id.is_(None)))).all()
    unit = ("mmol/L", "mg/dL")[unit_button]
    assert [(r.value, r.unit) for r in results] == [(4.6, unit)]
    factor = 1 if unit == "mmol/L" else 0.2495
    stored_mmol = results[0].corrected_mmol_l or round(results[0].value * factor, 2)
    assert stored_mmol == graded_mmol
    assert [(a.tier, a.reasons) for a in alerts] == [(3, [f"calcium:{band}"])]


async def test_a_unit_button_is_only_its_patients(rt: Runtime, world: World) -> None:
    replies, _ = await _type(rt, "4.6")
    data = callbacks.parse(replies[0].buttons[0][0][1])
    assert data is not None
    forged = callbacks.ButtonData(data.action, f"cu:{world.ids.ada + 1}", data.value)
    broken = callbacks.ButtonData(data.action, data.key, "m;4.6;;;2")
    async with rt.sessions.begin() as session:
        ada = await find_person(session, ADA_TG)
        assert ada is not None
        for wrong in (forged, broken):
            assert (
                await calcium_results.answer_unit(rt, session, ada, wrong, rt.clock.now()) is None
            )
    async with rt.sessions() as session:
        assert await session.scalar(select(CalciumResult)) is None


async def test_typing_the_result_again_with_its_unit_answers_the_question(
    rt: Runtime, world: World
) -> None:
    await _type(rt, "4.6")
    async with rt.sessions.begin() as session:
        ada = await find_person(session, ADA_TG)
        assert ada is not None and ada.awaiting == calcium_results.AWAIT_CALCIUM
        replies = await calcium_results.typed_calcium(rt, session, ada, "4.6 mg/dL", rt.clock.now())
    assert replies[0].text == rt.text("en", "calcium.result.low_g4")


@pytest.mark.parametrize("locale", ["en", "zh-Hans"])
def test_every_tier_3_band_opens_with_the_emergency_instruction(rt: Runtime, locale: str) -> None:
    # Follows the tiers in rules/calcium.yaml, so a reviewer raising a band's tier to 3 must
    # also give it an emergency text (docs/clinical-reference.md §3).
    mark = "EMERGENCY" if locale == "en" else "紧急情况"
    for band, tier in rt.calcium_ranges.tiers.items():
        text = rt.text(locale, f"calcium.result.{band}")
        first_paragraph = text.split("\n\n")[0]
        if tier == 3:
            assert first_paragraph.startswith(mark) and EMERGENCY in first_paragraph, band
        else:
            assert mark not in text, band
