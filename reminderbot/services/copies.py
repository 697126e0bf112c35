"""What caregivers and patients hear after a check-in besides alerts: copies and proxy notices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.delivery import outbox_keys
from reminderbot.delivery.kinds import MessageKind
from reminderbot.delivery.outbox import Message, about_patient, enqueue
from reminderbot.runtime import Runtime
from reminderbot.store.audience import caregivers
from reminderbot.store.models import CheckIn, Person


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
        for recipient in await caregivers(session, patient.id, copies_only=True):
            if reporter is not None and recipient.person_id == reporter.id:
                continue
            text = rt.text(
                recipient.language,
                "caregiver.copy.checkin",
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
