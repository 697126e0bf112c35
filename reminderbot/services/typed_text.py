"""Free text, routed to the question the person is answering.

A coordinator's note, broadcast or schedule value; a check-in answer, a typed pain score or a
calcium result; otherwise onboarding and settings (which also answer text nobody asked for).
"""

from __future__ import annotations

from reminderbot.care.scores import parse_score
from reminderbot.delivery.buttons import parse_id
from reminderbot.runtime import Runtime
from reminderbot.services import awaiting as awaited
from reminderbot.services import (
    calcium_results,
    checkins,
    coordinator_desk,
    onboarding,
    subscription_answers,
)
from reminderbot.services.awaiting import Awaiting
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.models import CheckIn
from reminderbot.store.people import find_person


async def answer(rt: Runtime, asker: Asker, typed: str) -> list[Reply]:
    """The replies to a typed message, from whichever use case asked for it."""
    replies = await _checkin_or_staff(rt, asker, typed)
    if replies is None:
        replies = await subscription_answers.answer_text(rt, asker, typed)
    return replies


async def _checkin_or_staff(rt: Runtime, asker: Asker, typed: str) -> list[Reply] | None:
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        if person is None:
            return None
        if coordinator_desk.awaits_text(person.awaiting):
            # The desk checks the role again in its own transaction.
            return await coordinator_desk.typed(rt, asker, typed) or []
        question = awaited.parse(person.awaiting)
        if question is not None and question.kind is Awaiting.CHECKIN:
            checkin_id = parse_id(question.argument)
            checkin = await session.get(CheckIn, checkin_id) if checkin_id is not None else None
            if checkin is not None and checkin.answers.get("step") not in (None, "done"):
                return await checkins.typed(rt, session, checkin, typed, now)
            person.awaiting = None
            if person.patient is None:
                # A caregiver whose proxy check-in is over: nothing else is awaited.
                return [Reply(rt.text(person.language, "common.unknown_text"))]
        if person.patient is None:
            return None
        if person.awaiting is None and not onboarding.is_onboarding(person):
            score = parse_score(typed)
            if score is not None:
                return await checkins.typed_score(rt, session, person, score, now)
        if person.awaiting == Awaiting.CALCIUM:
            return await calcium_results.typed_calcium(rt, session, person, typed, now)
    return None
