"""The end of a pain check-in: assess it, advise, alert, copy caregivers, plan a follow-up."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.escalation import Answers, assess, is_worsened
from reminderbot.runtime import Runtime
from reminderbot.services import alerts, copies
from reminderbot.services.checkin_records import parties, past_checkins, schedule_followup
from reminderbot.services.replies import Reply
from reminderbot.store.models import CheckIn

log = logging.getLogger(__name__)


async def finish(
    rt: Runtime, session: AsyncSession, checkin: CheckIn, now: datetime
) -> list[Reply]:
    """Assess, store the tier, give advice (emergency first), alert, plan a sooner follow-up."""
    rules = rt.escalation
    person, asker = await parties(session, checkin)
    proxy = asker.id != person.id
    answers = dict(checkin.answers)
    history = (
        [h for h in await past_checkins(session, person.id, now) if h.at < checkin.answered_at]
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
        cause = alerts.PainCause(
            checkin=checkin,
            assessment=assessment,
            trend=[*trend, int(checkin.score or 0)],
            told_keys=assessment.advice_keys,
            caregiver_name=(asker.display_name or "—") if proxy else None,
        )
        await alerts.raise_alert(session, rt, patient=person, cause=cause, now=now)
    await copies.after_checkin(
        rt,
        session,
        patient=person,
        checkin=checkin,
        advice_keys=assessment.advice_keys,
        reporter=asker if proxy else None,
        now=now,
    )
    if assessment.follow_up:
        schedule_followup(person, now, rules.followup_hours)
    replies.append(Reply(rt.text(locale, "checkin.thanks")))
    log.info(
        "checkin finished person=%d checkin=%d tier=%d", person.id, checkin.id, assessment.tier
    )
    return replies
