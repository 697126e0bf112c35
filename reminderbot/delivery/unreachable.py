"""A chat that Telegram says is gone: stop sending to it and tell the coordinators."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from reminderbot.content import Catalog
from reminderbot.delivery import outbox_keys
from reminderbot.delivery.errors import SendFailure
from reminderbot.delivery.outbox import about_patient, enqueue
from reminderbot.store.audience import coordinators
from reminderbot.store.models import OutboxDelivery, PatientStatus, Person
from reminderbot.store.people import add_audit, cancel_pending_deliveries

log = logging.getLogger(__name__)


async def handle_unreachable(
    session: AsyncSession,
    row: OutboxDelivery,
    failure: SendFailure,
    *,
    catalog: Catalog,
    coordinator_ids: Iterable[int],
    common: dict[str, Any],
    now: datetime,
) -> None:
    """Mark the recipient unreachable, cancel what waits for them, and notify coordinators."""
    if row.recipient_id is None:
        return
    person = await session.get(Person, row.recipient_id, options=[selectinload(Person.patient)])
    if person is None:
        return
    await cancel_pending_deliveries(session, person.id)
    patient = person.patient
    if patient is None or patient.status in (PatientStatus.UNREACHABLE, PatientStatus.STOPPED):
        return
    patient.status = PatientStatus.UNREACHABLE
    patient.status_changed_at = now
    add_audit(
        session,
        at=now,
        action="status:unreachable",
        actor_telegram_id=None,
        subject_person_id=person.id,
        details={"delivery": row.id},
    )
    notices = []
    for coordinator in await coordinators(session, coordinator_ids):
        text = catalog.text(
            coordinator.language,
            "delivery.unreachable_notice",
            patient_name=person.display_name or "—",
            patient_id=person.id,
            reason=failure.reason.split(": ", 1)[-1][:120],
            **common,
        )
        notices.append(
            about_patient(
                person.id,
                chat_id=coordinator.chat_id,
                recipient_id=coordinator.person_id,
                unique_key=outbox_keys.unreachable(person.id, now, coordinator.chat_id),
                text=text,
                now=now,
            )
        )
    await enqueue(session, notices, now)
    log.warning("patient unreachable person=%d coordinators_notified=%d", person.id, len(notices))
