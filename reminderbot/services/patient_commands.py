"""/calcium and /pain: a patient's own commands, or what has to come first.

Before consent or mid-onboarding the person is told what comes first; a caregiver who is not
a patient answers /pain for the patient they follow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.runtime import Runtime
from reminderbot.services import calcium_results, caregivers, checkin_questions, onboarding
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.models import Person
from reminderbot.store.people import find_person

Act = Callable[[Person, datetime], list[Reply]]
ForCaregiver = Callable[[AsyncSession, Person], Awaitable[list[Reply] | None]]


async def _patient_command(
    rt: Runtime, asker: Asker, act: Act, for_caregiver: ForCaregiver | None = None
) -> list[Reply]:
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        caregiver_replies = (
            await for_caregiver(session, person)
            if for_caregiver is not None and person is not None and person.patient is None
            else None
        )
        if caregiver_replies is not None:
            return caregiver_replies
        if person is None or person.patient is None:
            return [onboarding.consent_needed(rt, asker.language_code, person)]
        if onboarding.is_onboarding(person):
            return onboarding.current_step(rt, person)
        return act(person, now)


async def calcium(rt: Runtime, asker: Asker) -> list[Reply]:
    """/calcium: ask for a blood calcium result, at any time."""
    return await _patient_command(
        rt, asker, lambda person, _now: calcium_results.ask_calcium(rt, person)
    )


async def pain(rt: Runtime, asker: Asker, message_id: int) -> list[Reply]:
    """/pain: a check-in now, whatever the schedule (a caregiver reports for their patient)."""

    def prompt(person: Person, now: datetime) -> list[Reply]:
        return [checkin_questions.pain_prompt(rt, person, now, message_id)]

    async def proxy(session: AsyncSession, person: Person) -> list[Reply] | None:
        return await caregivers.proxy_pain(rt, session, person)

    return await _patient_command(rt, asker, prompt, proxy)
