"""What caregivers and patients hear after a check-in besides alerts: copies and proxy notices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.care.escalation import EscalationRules, screen_for
from reminderbot.delivery import outbox_keys
from reminderbot.delivery.kinds import MessageKind
from reminderbot.delivery.outbox import Message, about_patient, enqueue
from reminderbot.runtime import Runtime
from reminderbot.store.audience import caregivers
from reminderbot.store.models import CheckIn, PatientProfile, Person

# The caregiver's copy of a calm check-in, by whether the warning-sign questions were asked.
COPY_SCREENED = "caregiver.copy.checkin_screened"
COPY_NOT_SCREENED = "caregiver.copy.checkin"


def screen_was_asked(checkin: CheckIn, tags: frozenset[str], rules: EscalationRules) -> bool:
    """Whether every warning-sign question that applies to the patient was part of the check-in."""
    due = {flag.id for flag in screen_for(tags, rules)}
    steps = checkin.answers.get("plan") or []
    asked = {step.removeprefix("flag:") for step in steps if step.startswith("flag:")}
    return bool(due) and due <= asked


async def after_checkin(
    rt: Runtime,
    session: AsyncSession,
    *,
    patient: Person,
    checkin: CheckIn,
    advice_keys: Sequence[str],
    reporter: Person | None,
    now: datetime,
) -> None:
    """Queue the copies a finished check-in owes.

    A check-in without an alert goes, as a short copy, to caregivers who chose copies (an
    alert reaches them anyway). A caregiver's proxy report is shown to the patient too, with
    the advice it produced, so nobody reports for a patient behind their back.
    """
    score = int(checkin.score or 0)
    messages: list[Message] = []
    if not checkin.tier:
        # docs/clinical-reference.md §2: "no warning sign" is only true of the signs asked about.
        # A calm check-in reaches here after every step of its plan (a Yes raises the tier), so
        # the plan's warning-sign questions were all answered No; a low, usual score may have
        # asked only one of them, or none.
        profile = await session.get(PatientProfile, patient.id)
        tags = frozenset(profile.tags or ()) if profile is not None else frozenset()
        screened = screen_was_asked(checkin, tags, rt.escalation)
        copy_key = COPY_SCREENED if screened else COPY_NOT_SCREENED
        for recipient in await caregivers(session, patient.id, copies_only=True):
            if reporter is not None and recipient.person_id == reporter.id:
                continue
            text = rt.text(
                recipient.language,
                copy_key,
                patient_name=patient.display_name or "—",
                score=score,
            )
            messages.append(
                about_patient(
                    patient.id,
                    chat_id=recipient.chat_id,
                    recipient_id=recipient.person_id,
                    kind=MessageKind.REMINDER,
                    unique_key=outbox_keys.checkin_copy(checkin.id, recipient.chat_id),
                    text=text,
                    now=now,
                )
            )
    if reporter is not None:
        locale = patient.language
        parts = [
            rt.text(
                locale,
                "caregiver.proxy.patient_notice",
                caregiver_name=reporter.display_name or "—",
                score=score,
            ),
            *(rt.text(locale, key) for key in advice_keys),
        ]
        messages.append(
            about_patient(
                patient.id,
                chat_id=patient.chat_id,
                recipient_id=patient.id,
                unique_key=outbox_keys.proxy_notice(checkin.id),
                text="\n\n".join(parts),
                now=now,
            )
        )
    await enqueue(session, messages, now)
