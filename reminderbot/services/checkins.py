"""The pain check-in conversation: score, adapted follow-ups, red-flag screen, then the outcome.

State lives in the check-in row (`answers`), so a restart or another worker carries on. The
outcome (assessment, advice, alert, copies, follow-up) is in checkin_outcome.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.escalation import needs_screen, screen_for
from reminderbot.care.scores import parse_score
from reminderbot.delivery import outbox_keys
from reminderbot.delivery.buttons import parse_id, parse_number
from reminderbot.runtime import Runtime
from reminderbot.services.awaiting import Awaiting, stored
from reminderbot.services.checkin_outcome import finish
from reminderbot.services.checkin_questions import SCALE_STEPS, question
from reminderbot.services.checkin_records import (
    by_prompt,
    open_prompt,
    parties,
    past_checkins,
    start,
)
from reminderbot.services.guard import refuse
from reminderbot.services.replies import Reply
from reminderbot.store.audience import active_link
from reminderbot.store.models import CheckIn, Person

log = logging.getLogger(__name__)

AWAIT_PREFIX = Awaiting.CHECKIN
BACK_PAIN_FLAG = "new_back_pain"
# An unanswered prompt this recent still takes a typed score.
OPEN_PROMPT_WINDOW = timedelta(hours=24)

__all__ = [
    "AWAIT_PREFIX",
    "answer",
    "answer_tap",
    "begin",
    "begin_from_prompt",
    "finish",
    "may_answer",
    "typed",
    "typed_score",
]


async def begin(
    rt: Runtime,
    session: AsyncSession,
    person: Person,
    *,
    prompt_key: str,
    source: str,
    prompted_at: datetime,
    score: int,
    now: datetime,
    reporter: Person | None = None,
) -> list[Reply]:
    """Record the score and ask the first follow-up (or finish when nothing more is needed).

    With a `reporter`, a caregiver answers for the patient: the questions go to the caregiver
    and the check-in is stored as a proxy report.
    """
    assert person.patient is not None
    asker = reporter or person
    rules = rt.escalation
    history = await past_checkins(session, person.id, now)
    checkin = start(
        session,
        person,
        prompt_key=prompt_key,
        source=source,
        prompted_at=prompted_at,
        score=score,
        now=now,
        reporter=reporter,
    )
    await session.flush()
    tags = frozenset(person.patient.tags or ())
    flags = [f.id for f in screen_for(tags, rules)]
    if needs_screen(score, history, now, rules):
        plan = [*SCALE_STEPS, "rescue", *(f"flag:{f}" for f in flags), "note"]
    else:
        # A low, usual score: one question about new back pain, which opens the full screen.
        plan = [f"flag:{BACK_PAIN_FLAG}", "note"] if BACK_PAIN_FLAG in flags else ["note"]
    checkin.answers = {"now": score, "plan": plan, "step": plan[0], "flags": []}
    asker.awaiting = stored(Awaiting.CHECKIN, checkin.id)
    log.info("checkin started person=%d checkin=%d source=%s", person.id, checkin.id, source)
    return [question(rt, asker.language, checkin)]


async def begin_from_prompt(
    rt: Runtime,
    session: AsyncSession,
    person: Person,
    *,
    prompt_key: str,
    source: str,
    prompted_at: datetime,
    score: int,
    now: datetime,
) -> list[Reply]:
    """A score tapped on a prompt: begin its check-in, or say it was already answered."""
    # A late tap on an old prompt still counts, once; a double tap finds the check-in made.
    if await by_prompt(session, prompt_key) is not None:
        return [Reply(rt.text(person.language, "delivery.checkin.already"))]
    return await begin(
        rt,
        session,
        person,
        prompt_key=prompt_key,
        source=source,
        prompted_at=prompted_at,
        score=score,
        now=now,
    )


async def may_answer(session: AsyncSession, person: Person, checkin: CheckIn) -> bool:
    """The patient answers their own check-in; a caregiver, only one they began for them."""
    if checkin.patient_id == person.id:
        return checkin.reporter_id in (None, person.id)
    if checkin.reporter_id != person.id:
        return False
    return await active_link(session, checkin.patient_id, person.id) is not None


async def answer_tap(
    rt: Runtime,
    session: AsyncSession,
    person: Person,
    checkin_key: str,
    value: str,
    now: datetime,
) -> list[Reply]:
    """A button inside a check-in: only its patient or reporting caregiver; [] if refused/stale."""
    checkin_id = parse_id(checkin_key)
    checkin = await session.get(CheckIn, checkin_id) if checkin_id is not None else None
    if checkin is None or not await may_answer(session, person, checkin):
        refuse(session, person.telegram_user_id, "checkin_button", now, checkin=checkin_id)
        return []
    return await answer(rt, session, checkin, value, now) or []


async def answer(
    rt: Runtime, session: AsyncSession, checkin: CheckIn, value: str, now: datetime
) -> list[Reply] | None:
    """Apply one answer ("worst:7", "rescue:no", "flag:mscc:yes", "note:skip"); None if stale."""
    person, _ = await parties(session, checkin)
    answers: dict[str, Any] = dict(checkin.answers)
    step = answers.get("step")
    if step in (None, "done") or not value.startswith(f"{step}:"):
        return None
    given = value.removeprefix(f"{step}:")
    if step in SCALE_STEPS:
        score = parse_number(given, maximum=10)
        if score is None:
            return None
        answers[step] = score
    elif step == "rescue":
        if given not in ("yes", "no", "na"):
            return None
        answers["rescue"] = given
    elif step.startswith("flag:"):
        if given not in ("yes", "no"):
            return None
        flag = step.removeprefix("flag:")
        if given == "yes":
            answers["flags"] = [*answers.get("flags", []), flag]
            red = {f.id: f for f in rt.escalation.red_flags}.get(flag)
            if red is not None and red.tier >= 3:
                # An emergency sign ends the screen at once: advice first, nothing awaited.
                checkin.answers = answers
                return await finish(rt, session, checkin, now)
            if flag == BACK_PAIN_FLAG and "rescue" not in answers["plan"]:
                answers["plan"] = _open_full_screen(rt, person)
    elif step == "note" and given != "skip":
        return None
    checkin.answers = answers
    return await _advance(rt, session, checkin, now)


def _open_full_screen(rt: Runtime, person: Person) -> list[str]:
    assert person.patient is not None
    flags = [f.id for f in screen_for(frozenset(person.patient.tags or ()), rt.escalation)]
    rest = [f"flag:{f}" for f in flags if f != BACK_PAIN_FLAG]
    return [f"flag:{BACK_PAIN_FLAG}", *rest, "note"]


async def _advance(
    rt: Runtime, session: AsyncSession, checkin: CheckIn, now: datetime
) -> list[Reply]:
    answers = dict(checkin.answers)
    plan: list[str] = answers["plan"]
    index = plan.index(answers["step"]) + 1
    if index >= len(plan):
        return await finish(rt, session, checkin, now)
    answers["step"] = plan[index]
    checkin.answers = answers
    _, asker = await parties(session, checkin)
    replies = [question(rt, asker.language, checkin)]
    if plan[index].startswith("flag:") and not plan[index - 1].startswith("flag:"):
        # The safety questions come as a group; a word of why makes them less alarming.
        replies.insert(0, Reply(rt.text(asker.language, "checkin.screen_intro")))
    return replies


async def typed_score(
    rt: Runtime, session: AsyncSession, person: Person, score: int, now: datetime
) -> list[Reply]:
    """A score typed outside a check-in: it answers the open prompt, or starts a new check-in."""
    prompt = await open_prompt(session, person, now, OPEN_PROMPT_WINDOW)
    if prompt is not None:
        key = outbox_keys.prompt_of(prompt.unique_key)
        prompted_at = prompt.sent_at or prompt.not_before
        source = prompt.kind
    else:
        key, prompted_at, source = outbox_keys.typed_prompt(person.id, now), now, "typed"
    return await begin(
        rt,
        session,
        person,
        prompt_key=key,
        source=source,
        prompted_at=prompted_at,
        score=score,
        now=now,
    )


async def typed(
    rt: Runtime, session: AsyncSession, checkin: CheckIn, text: str, now: datetime
) -> list[Reply]:
    """Free text during a check-in: a number for a 0–10 question, or the patient's note."""
    step = checkin.answers.get("step")
    if step == "note":
        checkin.note = text.strip()[:2000]
        return await finish(rt, session, checkin, now)
    if step in SCALE_STEPS:
        score = parse_score(text)
        if score is not None:
            result = await answer(rt, session, checkin, f"{step}:{score}", now)
            if result is not None:
                return result
    # Buttons answer the other steps; say so kindly and ask again.
    _, asker = await parties(session, checkin)
    locale = asker.language
    return [Reply(rt.text(locale, "checkin.score_retry")), question(rt, locale, checkin)]
