"""Broadcasts: a coordinator picks an audience, types a text, sees a preview, then sends or cancels.

The draft is a database row (one per coordinator), not chat-library memory, so a restart or a
second webhook worker between the preview and the tap on Send does not lose it. The caller has
checked the coordinator role.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.delivery import buttons, callbacks, outbox_keys, payloads
from reminderbot.delivery.kinds import MessageKind
from reminderbot.delivery.outbox import Message, enqueue
from reminderbot.runtime import Runtime
from reminderbot.services.awaiting import Awaiting, stored
from reminderbot.services.coordinators import Coordinator
from reminderbot.services.replies import Reply, keyboard
from reminderbot.store.models import BroadcastDraft, PatientProfile, PatientStatus, Person
from reminderbot.store.people import add_audit

log = logging.getLogger(__name__)

BROADCAST_TO = buttons.BROADCAST_TO
BROADCAST_SEND = buttons.BROADCAST_SEND
BROADCAST_CANCEL = buttons.BROADCAST_CANCEL
ACTIONS = frozenset({BROADCAST_TO, BROADCAST_SEND, BROADCAST_CANCEL})
AWAIT_BROADCAST = Awaiting.BROADCAST
EVERYONE = "*"
BROADCAST_MAX = 3500


def start(rt: Runtime, who: Coordinator) -> list[Reply]:
    """Ask whom the broadcast is for: everyone, or one program's patients."""
    rows = [
        [
            (
                rt.text(who.locale, "coordinator.broadcast.everyone"),
                callbacks.build(BROADCAST_TO, EVERYONE),
            )
        ]
    ]
    rows += [
        [
            (
                rt.text(who.locale, "coordinator.broadcast.program", program=name),
                callbacks.build(BROADCAST_TO, name),
            )
        ]
        for name in sorted(rt.programs)
    ]
    return [Reply(rt.text(who.locale, "coordinator.broadcast.ask_audience"), keyboard(*rows))]


async def audience(session: AsyncSession, target: str) -> list[Person]:
    """Active patients a broadcast to `target` (everyone or a program's name) reaches."""
    stmt = (
        select(Person)
        .join(PatientProfile, PatientProfile.person_id == Person.id)
        .where(PatientProfile.status == PatientStatus.ACTIVE)
        .order_by(Person.id)
    )
    if target != EVERYONE:
        stmt = stmt.where(PatientProfile.program == target)
    return list((await session.scalars(stmt)).all())


def choose_audience(rt: Runtime, who: Coordinator, target: str) -> list[Reply]:
    """Remember the audience and ask for the text."""
    if target != EVERYONE and target not in rt.programs:
        return []
    who.person.awaiting = stored(Awaiting.BROADCAST, target)[:32]
    return [Reply(rt.text(who.locale, "coordinator.broadcast.ask_text", limit=BROADCAST_MAX))]


async def preview(
    rt: Runtime, session: AsyncSession, who: Coordinator, typed: str, now: datetime
) -> list[Reply]:
    """Store the draft and show it with how many patients it would reach, with Send and Cancel."""
    target = (who.person.awaiting or "").removeprefix(AWAIT_BROADCAST)
    text = typed.strip()
    if len(text) > BROADCAST_MAX:
        return [
            Reply(
                rt.text(
                    who.locale,
                    "coordinator.broadcast.too_long",
                    limit=BROADCAST_MAX,
                    length=len(text),
                )
            )
        ]
    who.person.awaiting = None
    count = len(await audience(session, target))
    # One open draft per coordinator: a new preview replaces the previous one.
    draft = await session.get(BroadcastDraft, who.person.id)
    if draft is None:
        session.add(
            BroadcastDraft(coordinator_id=who.person.id, audience=target, text=text, created_at=now)
        )
    else:
        draft.audience, draft.text, draft.created_at = target, text, now
    shown = (
        rt.text(who.locale, "coordinator.broadcast.everyone")
        if target == EVERYONE
        else rt.text(who.locale, "coordinator.broadcast.program", program=target)
    )
    return [
        Reply(
            rt.text(
                who.locale,
                "coordinator.broadcast.confirm",
                count=count,
                audience=shown,
                text=text,
            ),
            keyboard(
                [
                    (
                        rt.text(who.locale, "coordinator.broadcast.send_button", count=count),
                        callbacks.build(BROADCAST_SEND, target),
                    )
                ],
                [
                    (
                        rt.text(who.locale, "coordinator.broadcast.cancel_button"),
                        callbacks.build(BROADCAST_CANCEL, "-"),
                    )
                ],
            ),
        )
    ]


async def send(
    rt: Runtime, session: AsyncSession, who: Coordinator, target: str, now: datetime
) -> list[Reply]:
    """Queue the confirmed draft at routine priority, one outbox row per patient."""
    draft = await session.get(BroadcastDraft, who.person.id, with_for_update=True)
    if draft is None or draft.audience != target:
        return [Reply(rt.text(who.locale, "coordinator.broadcast.expired"))]
    text = draft.text
    # Spent at once: a second tap on Send finds no draft and queues nothing.
    await session.delete(draft)
    patients = await audience(session, target)
    messages = [
        Message(
            chat_id=p.chat_id,
            recipient_id=p.id,
            kind=MessageKind.BROADCAST,
            unique_key=outbox_keys.broadcast(who.person.id, now, p.id),
            payload=payloads.payload(text),
            not_before=now,
        )
        for p in patients
    ]
    await enqueue(session, messages, now)
    add_audit(
        session,
        at=now,
        action="broadcast:send",
        actor_telegram_id=who.person.telegram_user_id,
        details={"audience": target, "recipients": len(messages)},
    )
    log.info("broadcast queued by=%d recipients=%d", who.person.telegram_user_id, len(messages))
    return [Reply(rt.text(who.locale, "coordinator.broadcast.queued", count=len(messages)))]


async def cancel(rt: Runtime, session: AsyncSession, who: Coordinator) -> list[Reply]:
    """Drop the coordinator's draft, if any."""
    draft = await session.get(BroadcastDraft, who.person.id)
    if draft is not None:
        await session.delete(draft)
    return [Reply(rt.text(who.locale, "coordinator.broadcast.cancelled"))]
