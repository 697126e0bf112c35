"""Blood calcium results: asking for one, reading and storing it, alerting on an abnormal one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.calcium import CalciumParseError, assess_calcium, parse_calcium
from reminderbot.runtime import Runtime
from reminderbot.services import alerts
from reminderbot.services.awaiting import Awaiting
from reminderbot.services.replies import Reply
from reminderbot.store.models import CalciumResult, Person

AWAIT_CALCIUM = Awaiting.CALCIUM


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
        reading = parse_calcium(typed)
    except CalciumParseError as exc:
        return [Reply(rt.text(locale, f"calcium.parse.{exc.code}"))]
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
    shown = reading.corrected_mmol_l if reading.corrected_mmol_l is not None else reading.mmol_l
    if assessment.abnormal:
        cause = alerts.CalciumCause(
            tier=assessment.tier,
            band=assessment.band,
            reading=f"{reading.value:g} {reading.unit}",
            mmol=f"{shown:.2f}",
            advice_key=assessment.advice_key,
        )
        await alerts.raise_alert(session, rt, patient=person, cause=cause, now=now)
    summary = rt.text(
        locale,
        "calcium.recorded",
        value=f"{reading.value:g}",
        unit=reading.unit,
        mmol=f"{shown:.2f}",
    )
    return [Reply(summary), Reply(rt.text(locale, assessment.advice_key))]
