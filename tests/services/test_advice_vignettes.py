"""Vignettes: a check-in's answers -> tier, the first reply, and what must not follow it.

docs/clinical-reference.md §2: for every emergency (tier 3) the emergency instruction with the
configured number is the first reply, and no bone-scan advice follows it (suspected spinal cord
compression needs a whole-spine MRI within 24 hours). Fever on chemotherapy calls the 24-hour
oncology line first, so the general "call the emergency number now" text does not follow it
unless another emergency sign is there too. A caregiver's copy of a calm check-in says only
what was asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import update

from reminderbot.care.escalation import screen_for
from reminderbot.runtime import Runtime
from reminderbot.services import checkin_records
from reminderbot.services.checkin_outcome import finish
from reminderbot.services.copies import COPY_NOT_SCREENED, COPY_SCREENED
from reminderbot.store.models import CaregiverLink, CheckIn, PatientProfile, Person
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.seed import CAREGIVER_TG
from tests.services.staff_helpers import outbox
from tests.services.subscription_helpers import ADA_TG

EMERGENCY = "999"  # the conftest Runtime's emergency number
LOCALES = ("en", "zh-Hans")
# Pain 8 with every scale high and the extra dose not helping; Ada's usual is 2, so this is
# also a worsening, which on its own brings the bone-scan advice (advice.worsening).
SEVERE = {"worst": 9, "sleep": 7, "walking": 7, "rescue": "no"}
CALM: dict[str, Any] = {}
BONE_SCAN = {"en": "bone scan", "zh-Hans": "骨扫描"}
ONCOLOGY_LINE = {"en": "24-hour oncology line", "zh-Hans": "24 小时肿瘤热线"}

T0, T2, T3 = "advice.tier.t0", "advice.tier.t2", "advice.tier.t3"
WORSENING = "advice.worsening"


def flag_advice(flag: str) -> str:
    """The catalog key of a red flag's advice."""
    return f"advice.red_flag.{flag}"


@dataclass(frozen=True)
class Vignette:
    """A check-in: score, scale answers and flags answered Yes; the tier and advice expected."""

    name: str
    score: int
    answers: dict[str, Any]
    flags: tuple[str, ...]
    tier: int
    advice: tuple[str, ...]  # every advice key, in order (checkin.thanks follows)
    must_not_follow: tuple[str, ...] = ()


VIGNETTES = [
    # --- tier 3: the emergency instruction first, no bone-scan advice after it ---------------
    Vignette(
        "cord compression on a bad day",
        8,
        SEVERE,
        ("mscc",),
        3,
        (flag_advice("mscc"), T3),
        (WORSENING,),
    ),
    Vignette(
        "leg weakness without back pain on a calm day",
        2,
        CALM,
        ("mscc",),
        3,
        (flag_advice("mscc"), T3),
        (WORSENING,),
    ),
    Vignette(
        "possible fracture with severe pain",
        8,
        SEVERE,
        ("fracture",),
        3,
        (flag_advice("fracture"), T3),
        (WORSENING,),
    ),
    Vignette(
        "a fall with injury on a calm day",
        3,
        CALM,
        ("fall_injury",),
        3,
        (flag_advice("fall_injury"), T3),
        (WORSENING,),
    ),
    Vignette(
        "confusion and thirst (very high calcium) with severe pain",
        8,
        SEVERE,
        ("high_calcium_severe", "high_calcium"),
        3,
        (flag_advice("high_calcium_severe"), T3, flag_advice("high_calcium")),
        (WORSENING,),
    ),
    Vignette(
        "opioid toxicity with low pain",
        1,
        CALM,
        ("opioid_toxicity",),
        3,
        (flag_advice("opioid_toxicity"), T3),
        (WORSENING,),
    ),
    Vignette(
        "cord compression with new back pain and severe pain",
        8,
        SEVERE,
        ("mscc", "new_back_pain"),
        3,
        (flag_advice("mscc"), T3, flag_advice("new_back_pain")),
        (WORSENING,),
    ),
    # --- fever on chemotherapy: the oncology line first, no general T3 text after it -------
    Vignette(
        "fever on chemotherapy, the only sign",
        2,
        CALM,
        ("fever_chemo",),
        3,
        (flag_advice("fever_chemo"),),
        (T3, WORSENING),
    ),
    Vignette(
        "fever on chemotherapy with severe, worse pain",
        8,
        SEVERE,
        ("fever_chemo",),
        3,
        (flag_advice("fever_chemo"),),
        (T3, WORSENING),
    ),
    Vignette(
        "fever on chemotherapy with new back pain (not an emergency sign)",
        3,
        CALM,
        ("fever_chemo", "new_back_pain"),
        3,
        (flag_advice("fever_chemo"), flag_advice("new_back_pain")),
        (T3, WORSENING),
    ),
    Vignette(
        "fever on chemotherapy and cord compression: the general T3 text stays",
        8,
        SEVERE,
        ("mscc", "fever_chemo"),
        3,
        (flag_advice("mscc"), flag_advice("fever_chemo"), T3),
        (WORSENING,),
    ),
    # --- below tier 3 the worsening advice (ask about a scan) is still given ------------------
    Vignette("severe, worse pain", 8, SEVERE, (), 2, (T2, WORSENING)),
    Vignette(
        "new back pain on a calm day",
        3,
        CALM,
        ("new_back_pain",),
        2,
        (T2, flag_advice("new_back_pain")),
    ),
    Vignette("a calm day", 2, CALM, (), 0, (T0,)),
]


async def _set_language(world: World, telegram_id: int, locale: str) -> None:
    async with world.sessions.begin() as session:
        await session.execute(
            update(Person).where(Person.telegram_user_id == telegram_id).values(language=locale)
        )


async def _finish(
    rt: Runtime,
    score: int,
    answers: dict[str, Any],
    flags: tuple[str, ...],
    *,
    plan: list[str] | None = None,
    reporter_tg: int | None = None,
) -> tuple[int, list[str]]:
    """Finish one check-in of Ada's with these answers; its id and the replies' texts."""
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, ADA_TG)
        reporter = await find_person(session, reporter_tg) if reporter_tg else None
        assert person is not None
        checkin = checkin_records.start(
            session,
            person,
            prompt_key=f"typed:vignette:{score}:{','.join(flags)}",
            source="typed",
            prompted_at=now,
            score=score,
            now=now,
            reporter=reporter,
        )
        await session.flush()
        checkin.answers = {
            "now": score,
            "plan": plan if plan is not None else [*(f"flag:{f}" for f in flags), "note"],
            "step": "note",
            "flags": list(flags),
            **answers,
        }
        replies = await finish(rt, session, checkin, now)
        return checkin.id, [reply.text for reply in replies]


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v.name for v in VIGNETTES])
async def test_vignette(world: World, rt: Runtime, vignette: Vignette, locale: str) -> None:
    await _set_language(world, ADA_TG, locale)
    checkin_id, texts = await _finish(rt, vignette.score, vignette.answers, vignette.flags)
    async with world.sessions() as session:
        checkin = await session.get(CheckIn, checkin_id)
    assert checkin is not None and checkin.tier == vignette.tier

    expected = [rt.text(locale, key) for key in vignette.advice]
    assert texts == [*expected, rt.text(locale, "checkin.thanks")]
    for key in vignette.must_not_follow:
        assert rt.text(locale, key) not in texts, key
    if vignette.tier == 3:
        first, *rest = texts
        assert EMERGENCY in first, "the first reply to an emergency names the configured number"
        assert not [text for text in rest if BONE_SCAN[locale] in text]
    if vignette.advice[0] == flag_advice("fever_chemo"):
        assert texts[0].index(ONCOLOGY_LINE[locale]) < texts[0].index(EMERGENCY)


async def test_every_emergency_sign_in_the_rules_is_a_vignette(rt: Runtime) -> None:
    emergencies = {flag.id for flag in rt.escalation.red_flags if flag.tier == 3}
    covered = {f for v in VIGNETTES if v.tier == 3 for f in v.flags}
    assert emergencies <= covered


async def test_a_caregivers_emergency_report_shows_the_patient_no_bone_scan_advice(
    world: World, rt: Runtime
) -> None:
    checkin_id, _ = await _finish(rt, 8, SEVERE, ("mscc",), reporter_tg=CAREGIVER_TG)
    (notice,) = [r for r in await outbox(world) if r.unique_key == f"proxy:{checkin_id}"]
    paragraphs = notice.payload["text"]
    assert rt.text("en", flag_advice("mscc")) in paragraphs
    assert BONE_SCAN["en"] not in paragraphs


# --- caregivers' copies of a calm check-in say only what was asked --------------------------


async def _copies_to_the_caregiver(world: World, locale: str) -> None:
    async with world.sessions.begin() as session:
        await session.execute(
            update(CaregiverLink)
            .where(CaregiverLink.patient_id == world.ids.ada, CaregiverLink.revoked_at.is_(None))
            .values(receives_copies=True)
        )
    await _set_language(world, CAREGIVER_TG, locale)


async def _copy_text(world: World) -> str:
    (copy,) = await outbox(world, "reminder")
    assert copy.chat_id == CAREGIVER_TG
    return str(copy.payload["text"])


def _screen(rt: Runtime, tags: frozenset[str] = frozenset()) -> list[str]:
    return [f"flag:{flag.id}" for flag in screen_for(tags, rt.escalation)]


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_copy_after_only_the_back_pain_question_does_not_say_no_warning_signs(
    world: World, rt: Runtime, locale: str
) -> None:
    await _copies_to_the_caregiver(world, locale)
    # A low, usual score: the check-in asks only about new back pain.
    await _finish(rt, 2, CALM, (), plan=["flag:new_back_pain", "note"])
    text = await _copy_text(world)
    assert text == rt.text(locale, COPY_NOT_SCREENED, patient_name="Ada Lovelace", score=2)
    assert text != rt.text(locale, COPY_SCREENED, patient_name="Ada Lovelace", score=2)
    if locale == "en":
        assert "no warning sign" not in text
        assert "not asked" in text


@pytest.mark.parametrize("locale", LOCALES)
async def test_a_copy_after_the_whole_screen_says_no_warning_sign_among_those_asked(
    world: World, rt: Runtime, locale: str
) -> None:
    await _copies_to_the_caregiver(world, locale)
    await _finish(rt, 2, CALM, (), plan=[*_screen(rt), "note"])
    text = await _copy_text(world)
    assert text == rt.text(locale, COPY_SCREENED, patient_name="Ada Lovelace", score=2)
    if locale == "en":
        assert "no warning sign among the questions asked" in text


async def test_a_copy_after_a_screen_missing_one_question_that_applies_is_not_screened(
    world: World, rt: Runtime
) -> None:
    await _copies_to_the_caregiver(world, "en")
    async with world.sessions.begin() as session:
        await session.execute(
            update(PatientProfile)
            .where(PatientProfile.person_id == world.ids.ada)
            .values(tags=["on_opioids"])
        )
    # The screen for someone without treatments leaves out the opioid question Ada needs.
    await _finish(rt, 2, CALM, (), plan=[*_screen(rt), "note"])
    assert "flag:opioid_toxicity" not in _screen(rt)
    text = await _copy_text(world)
    assert text == rt.text("en", COPY_NOT_SCREENED, patient_name="Ada Lovelace", score=2)
