"""What an alert says: who, score and trend, named flags and reasons, what was told, the note."""

from __future__ import annotations

from reminderbot.care.escalation import Assessment
from reminderbot.content import Catalog
from reminderbot.content.renderer import Renderer
from reminderbot.services.alert_texts import CalciumCause, PainCause
from reminderbot.store.models import CheckIn, Person

ZOE = Person(id=4, display_name="Zoë", language="en")


def _renderer() -> Renderer:
    return Renderer.for_deployment(Catalog.load(), emergency_number="999", care_team_contact="X")


def _cause(caregiver: str | None = None, note: str | None = None) -> PainCause:
    return PainCause(
        checkin=CheckIn(id=11, score=9, note=note),
        assessment=Assessment(
            tier=3,
            reasons=("red_flag:mscc", "pain_severe", "worsened:2"),
            worsened=True,
            advice_keys=("advice.red_flag.mscc",),
            follow_up=False,
            usual=3.5,
        ),
        trend=[3, 4, 9],
        told_keys=["advice.red_flag.mscc"],
        caregiver_name=caregiver,
    )


def test_a_pain_alert_names_the_flags_reasons_and_the_first_advice() -> None:
    r = _renderer()
    cause = _cause()
    assert (cause.tier, cause.reasons, cause.checkin_id) == (
        3,
        ["red_flag:mscc", "pain_severe", "worsened:2"],
        11,
    )
    separator = r.text("en", "common.list_separator")
    assert cause.render(r, "en", ZOE) == r.text(
        "en",
        "alert.message",
        urgency=r.text("en", "alert.urgency.t3"),
        patient_name="Zoë",
        patient_id=4,
        proxy="",
        score=9,
        usual="3.5",
        trend="3 → 4 → 9",
        flags=r.text("en", "alert.flag.mscc"),
        reasons=separator.join(
            [r.text("en", "alert.reason.pain_severe"), r.text("en", "alert.reason.worsened")]
        ),
        told=r.text("en", "advice.red_flag.mscc").split("\n\n", 1)[0],
        note="",
    )


def test_a_proxy_report_and_a_note_are_shown() -> None:
    r = _renderer()
    text = _cause(caregiver="Cara", note="cannot stand").render(r, "en", ZOE)
    assert r.text("en", "alert.proxy", caregiver_name="Cara") in text
    assert r.text("en", "alert.note", note="cannot stand") in text


def test_a_calcium_alert_shows_the_reading_and_advice() -> None:
    r = _renderer()
    cause = CalciumCause(
        tier=2,
        band="high_g2",
        reading="3.1 mmol/L",
        mmol="3.10",
        advice_key="calcium.result.high_g2",
    )
    assert (cause.reasons, cause.checkin_id) == (["calcium:high_g2"], None)
    assert cause.render(r, "en", ZOE) == r.text(
        "en",
        "alert.calcium_message",
        urgency=r.text("en", "alert.urgency.t2"),
        patient_name="Zoë",
        patient_id=4,
        reading="3.1 mmol/L",
        mmol="3.10",
        told=r.text("en", "calcium.result.high_g2").split("\n\n", 1)[0],
    )
