"""Blood calcium results: asking for one, reading and storing it, alerting on an abnormal one.

The advice comes first and the "recorded" line after it, so a result the care team sees as an
emergency opens with the emergency instruction (docs/clinical-reference.md §3). A number that
could be either unit is asked about with two buttons, and nothing is stored or alerted until
the patient answers.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.calcium import CalciumReading, CalciumUnit, assess_calcium
from reminderbot.care.calcium_parsing import (
    CalciumParseError,
    CalciumUnitQuestion,
    PendingCalcium,
    parse_calcium,
    reading_in_unit,
)
from reminderbot.delivery import buttons, callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import alerts, guard
from reminderbot.services.awaiting import Awaiting
from reminderbot.services.replies import Reply, keyboard
from reminderbot.store.models import CalciumResult, Person

AWAIT_CALCIUM = Awaiting.CALCIUM
# The unit question's buttons: `ca:unit|cu:<person id>|<m|g>;<calcium>;<albumin>;<g/L|g/dL>;<0|1>`
# (unit, the numbers as typed, whether lab-corrected). The numbers ride on the button, so no
# state is kept between the question and the tap.
CALCIUM_UNIT = buttons.CALCIUM_UNIT
_UNIT_KEY_PREFIX = "cu:"
_UNIT_TAGS: dict[str, CalciumUnit] = {"m": "mmol/L", "g": "mg/dL"}
_MAX_CALLBACK_BYTES = 64  # Telegram's limit on callback data


def ask_calcium(rt: Runtime, person: Person) -> list[Reply]:
    """Ask for a calcium result (after /calcium or the reminder's button)."""
    person.awaiting = AWAIT_CALCIUM
    return [Reply(rt.text(person.language, "delivery.calcium.ask_value"))]


async def typed_calcium(
    rt: Runtime, session: AsyncSession, person: Person, typed: str, now: datetime
) -> list[Reply]:
    """Read a calcium result, store it, and explain it; an abnormal one raises an alert."""
    locale = person.language
    try:
        reading = parse_calcium(typed, rt.calcium_ranges)
    except CalciumUnitQuestion as question:
        # Still awaiting: typing the result again with its unit answers the question too.
        return [_unit_question(rt, person, question.pending)]
    except CalciumParseError as exc:
        return [Reply(rt.text(locale, f"calcium.parse.{exc.code}"))]
    return await _record(rt, session, person, reading, now)


async def answer_unit(
    rt: Runtime, session: AsyncSession, person: Person, data: callbacks.ButtonData, now: datetime
) -> list[Reply] | None:
    """A tap on "mmol/L" or "mg/dL" after the unit question; None when not this person's."""
    if data.key != f"{_UNIT_KEY_PREFIX}{person.id}":
        # Another patient's question (forged or forwarded): refused through the guard, audited.
        guard.refuse(session, person.telegram_user_id, "button", now, action=data.action)
        return None
    pending_unit = _decode(data.value)
    if pending_unit is None:
        return None
    if person.awaiting != AWAIT_CALCIUM:
        # Answered already (a second tap, or the result typed again): never record it twice.
        return [Reply(rt.text(person.language, "calcium.unit.stale"))]
    pending, unit = pending_unit
    try:
        reading = reading_in_unit(pending, unit, rt.calcium_ranges)
    except CalciumParseError as exc:
        return [Reply(rt.text(person.language, f"calcium.parse.{exc.code}"))]
    return await _record(rt, session, person, reading, now)


async def _record(
    rt: Runtime, session: AsyncSession, person: Person, reading: CalciumReading, now: datetime
) -> list[Reply]:
    locale = person.language
    assessment = assess_calcium(reading, rt.calcium_ranges)
    person.awaiting = None
    zone = ZoneInfo(person.timezone)
    session.add(
        CalciumResult(
            patient_id=person.id,
            measured_on=now.astimezone(zone).date(),
            value=reading.value,
            unit=reading.unit,
            albumin=reading.albumin,
            albumin_unit=reading.albumin_unit,
            corrected_mmol_l=reading.corrected_mmol_l,
            created_at=now,
        )
    )
    if assessment.abnormal:
        cause = alerts.CalciumCause(
            tier=assessment.tier,
            band=assessment.band,
            reading=f"{reading.value:g} {reading.unit}",
            mmol=f"{reading.effective_mmol_l:.2f}",
            advice_key=assessment.advice_key,
        )
        await alerts.raise_alert(session, rt, patient=person, cause=cause, now=now)
    advice_key = assessment.advice_key
    if assessment.albumin_unknown and assessment.band == "normal":
        advice_key = "calcium.result.normal_total_only"  # "normal" would say too much
    advice = rt.text(locale, advice_key)
    if assessment.albumin_unknown:
        advice = f"{advice}\n\n{rt.text(locale, 'calcium.albumin_unknown')}"
    # Advice first: for an emergency, the instruction must be the first thing the patient reads.
    return [Reply(advice), Reply(_recorded(rt, locale, reading))]


def _recorded(rt: Runtime, locale: str, reading: CalciumReading) -> str:
    value = f"{reading.value:g}"
    if reading.lab_corrected:
        return rt.text(locale, "calcium.recorded.lab_corrected", value=value, unit=reading.unit)
    if reading.corrected is not None and reading.albumin is not None:
        return rt.text(
            locale,
            "calcium.recorded.corrected",
            value=value,
            unit=reading.unit,
            albumin=f"{reading.albumin:g}",
            albumin_unit=reading.albumin_unit or "",
            corrected=_shown(reading.corrected, reading.unit),
        )
    return rt.text(locale, "calcium.recorded.total", value=value, unit=reading.unit)


def _shown(value: float, unit: str) -> str:
    # Labs print mmol/L to two decimals and mg/dL to one; the grading used 0.01 of either.
    return f"{value:.2f}" if unit == "mmol/L" else f"{value:.2f}".rstrip("0").rstrip(".")


def _unit_question(rt: Runtime, person: Person, pending: PendingCalcium) -> Reply:
    locale = person.language
    text = rt.text(locale, "calcium.parse.unit", value=_plain(pending.value))
    buttons = [
        (rt.text(locale, label), _encode(person, pending, tag))
        for tag, label in (("m", "calcium.unit.mmol_button"), ("g", "calcium.unit.mg_button"))
    ]
    if any(len(data.encode()) > _MAX_CALLBACK_BYTES for _, data in buttons):
        return Reply(text)  # absurdly long digits: typing the result again still works
    return Reply(text, keyboard(buttons))


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _encode(person: Person, pending: PendingCalcium, tag: str) -> str:
    albumin = "" if pending.albumin is None else _plain(pending.albumin)
    value = ";".join(
        (
            tag,
            _plain(pending.value),
            albumin,
            pending.albumin_unit or "",
            "1" if pending.lab_corrected else "0",
        )
    )
    return callbacks.build(CALCIUM_UNIT, f"{_UNIT_KEY_PREFIX}{person.id}", value)


def _decode(value: str) -> tuple[PendingCalcium, CalciumUnit] | None:
    parts = value.split(";")
    if len(parts) != 5 or parts[0] not in _UNIT_TAGS or parts[4] not in ("0", "1"):
        return None
    tag, number, albumin, albumin_unit, lab_corrected = parts
    if albumin_unit not in ("", "g/L", "g/dL") or bool(albumin) != bool(albumin_unit):
        return None
    try:
        pending = PendingCalcium(
            value=Decimal(number),
            albumin=Decimal(albumin) if albumin else None,
            albumin_unit="g/L" if albumin_unit == "g/L" else "g/dL" if albumin_unit else None,
            lab_corrected=lab_corrected == "1",
        )
    except InvalidOperation:
        return None
    if not pending.value.is_finite() or (pending.albumin and not pending.albumin.is_finite()):
        return None
    return pending, _UNIT_TAGS[tag]
