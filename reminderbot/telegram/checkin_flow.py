"""The pain check-in conversation: score, adapted follow-ups, red-flag screen, advice, alerts.

State lives in the check-in row (`answers`), so a restart or another worker carries on.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from reminderbot.care.escalation import Answers, assess, is_worsened, needs_screen, screen_for
from reminderbot.care.scores import parse_score
from reminderbot.delivery import callbacks, payloads
from reminderbot.runtime import Runtime
from reminderbot.services import alerts, checkins, copies
from reminderbot.store.models import CheckIn, Person
from reminderbot.telegram.replies import Reply, keyboard

log = logging.getLogger(__name__)

STEP = "cq"  # callback action for answers inside a check-in
AWAIT_PREFIX = "checkin:"
SCALE_STEPS = ("worst", "sleep", "walking")
BACK_PAIN_FLAG = "new_back_pain"
# An unanswered prompt this recent still takes a typed score.
OPEN_PROMPT_WINDOW = timedelta(hours=24)


def prompt_reply(rt: Runtime, person: Person, key: str) -> Reply:
    """The 'How is your pain right now?' question with its eleven buttons (for /pain)."""
    body = payloads.checkin_payload(rt.catalog, person.language, key, **_common(rt))
    # No snooze here: the patient asked for this check-in a moment ago.
    rows = tuple(tuple((label, data) for label, data in row) for row in body["buttons"][:2])
    return Reply(body["text"], rows)


def _common(rt: Runtime) -> dict[str, Any]:
    return {
        "emergency_number": rt.settings.emergency_number,
        "care_team_contact": rt.settings.care_team_contact,
    }


def _scale(rt: Runtime, locale: str, checkin_id: int, step: str, key: str) -> Reply:
    buttons = [(str(n), callbacks.build(STEP, str(checkin_id), f"{step}:{n}")) for n in range(11)]
    return Reply(rt.text(locale, key), keyboard(buttons[:6], buttons[6:]))


def _yes_no(
    rt: Runtime, locale: str, checkin_id: int, step: str, key: str, extra: bool = False
) -> Reply:
    row = [
        (
            rt.text(locale, "checkin.yes_button"),
            callbacks.build(STEP, str(checkin_id), f"{step}:yes"),
        ),
        (
            rt.text(locale, "checkin.no_button"),
            callbacks.build(STEP, str(checkin_id), f"{step}:no"),
        ),
    ]
    rows = [row]
    if extra:
        rows.append(
            [
                (
                    rt.text(locale, "checkin.not_taken_button"),
                    callbacks.build(STEP, str(checkin_id), f"{step}:na"),
                )
            ]
        )
    return Reply(rt.text(locale, key), keyboard(*rows))


def _question(rt: Runtime, locale: str, checkin: CheckIn) -> Reply:
    """The question for the check-in's current step."""
    step = checkin.answers["step"]
    if step in SCALE_STEPS:
        return _scale(rt, locale, checkin.id, step, f"checkin.ask_{step}")
    if step == "rescue":
        return _yes_no(rt, locale, checkin.id, "rescue", "checkin.ask_rescue", extra=True)
    if step.startswith("flag:"):
        flag = step.removeprefix("flag:")
        return _yes_no(rt, locale, checkin.id, step, f"checkin.red_flag.{flag}")
    skip = callbacks.build(STEP, str(checkin.id), "note:skip")
    return Reply(
        rt.text(locale, "checkin.ask_note"),
        keyboard([(rt.text(locale, "checkin.skip_button"), skip)]),
    )


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
    history = await checkins.past_checkins(session, person.id, now)
    checkin = checkins.start(
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
    asker.awaiting = f"{AWAIT_PREFIX}{checkin.id}"
    log.info("checkin started person=%d checkin=%d source=%s", person.id, checkin.id, source)
    return [_question(rt, asker.language, checkin)]


async def parties(session: AsyncSession, checkin: CheckIn) -> tuple[Person, Person]:
    """(patient, the person answering): the same person unless a caregiver reports for them."""
    patient = await session.get(Person, checkin.patient_id, options=[selectinload(Person.patient)])
    assert patient is not None
    if patient.patient is not None and "schedules" in inspect(patient.patient).unloaded:
        # Finishing may plan a follow-up, which appends to the schedules.
        await session.refresh(patient.patient, ["schedules"])
    if checkin.reporter_id is None or checkin.reporter_id == patient.id:
        return patient, patient
    reporter = await session.get(Person, checkin.reporter_id)
    return patient, reporter or patient


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
        if not given.isdigit() or int(given) > 10:
            return None
        answers[step] = int(given)
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
                answers["plan"] = _open_full_screen(rt, person, answers["plan"])
    elif step == "note" and given != "skip":
        return None
    checkin.answers = answers
    return await _advance(rt, session, checkin, now)


def _open_full_screen(rt: Runtime, person: Person, plan: list[str]) -> list[str]:
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
    replies = [_question(rt, asker.language, checkin)]
    if plan[index].startswith("flag:") and not plan[index - 1].startswith("flag:"):
        # The safety questions come as a group; a word of why makes them less alarming.
        replies.insert(0, Reply(rt.text(asker.language, "checkin.screen_intro")))
    return replies


async def typed_score(
    rt: Runtime, session: AsyncSession, person: Person, score: int, now: datetime
) -> list[Reply]:
    """A score typed outside a check-in: it answers the open prompt, or starts a new check-in."""
    prompt = await checkins.open_prompt(session, person, now, OPEN_PROMPT_WINDOW)
    if prompt is not None:
        key = checkins.base_key(prompt.unique_key)
        prompted_at = prompt.sent_at or prompt.not_before
        source = prompt.kind
    else:
        key, prompted_at, source = f"typed:{person.id}:{int(now.timestamp())}", now, "typed"
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
    return [Reply(rt.text(locale, "checkin.score_retry")), _question(rt, locale, checkin)]


async def finish(
    rt: Runtime, session: AsyncSession, checkin: CheckIn, now: datetime
) -> list[Reply]:
    """Assess, store the tier, give advice (emergency first), alert, plan a sooner follow-up."""
    rules = rt.escalation
    person, asker = await parties(session, checkin)
    proxy = asker.id != person.id
    answers = dict(checkin.answers)
    history = (
        [
            h
            for h in await checkins.past_checkins(session, person.id, now)
            if h.at < checkin.answered_at
        ]
        if checkin.answered_at
        else []
    )
    rescue = {"yes": True, "no": False}.get(answers.get("rescue", "na"))
    assessment = assess(
        Answers(
            score=int(checkin.score or 0),
            worst_24h=answers.get("worst"),
            sleep=answers.get("sleep"),
            walking=answers.get("walking"),
            rescue_helped=rescue,
            red_flags=frozenset(answers.get("flags", [])),
        ),
        history,
        now,
        rules,
    )
    answers["step"] = "done"
    answers["worsened"] = assessment.worsened or is_worsened(
        int(checkin.score or 0), history, now, rules
    )
    answers["reasons"] = list(assessment.reasons)
    checkin.answers = answers
    checkin.tier = assessment.tier
    asker.awaiting = None
    locale = asker.language
    replies = [Reply(rt.text(locale, key)) for key in assessment.advice_keys]
    if assessment.tier >= 1:
        trend = [h.score for h in history if h.at >= now - timedelta(days=7)]
        await alerts.raise_alert(
            session,
            rt.alert_context,
            patient=person,
            checkin=checkin,
            assessment=assessment,
            trend=[*trend, int(checkin.score or 0)],
            told_keys=assessment.advice_keys,
            caregiver_name=(asker.display_name or "—") if proxy else None,
            now=now,
        )
    await copies.after_checkin(
        rt.alert_context,
        session,
        patient=person,
        checkin=checkin,
        advice_keys=assessment.advice_keys,
        reporter=asker if proxy else None,
        now=now,
    )
    if assessment.follow_up:
        checkins.schedule_followup(person, now, rules.followup_hours)
    replies.append(Reply(rt.text(locale, "checkin.thanks")))
    log.info(
        "checkin finished person=%d checkin=%d tier=%d", person.id, checkin.id, assessment.tier
    )
    return replies
