"""Caregiver links in chat: invite, open, accept, options, revoke, refusals, proxy /pain."""

from __future__ import annotations

import re

from sqlalchemy import select

from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import caregivers, onboarding
from reminderbot.services.replies import Asker, Reply
from reminderbot.store.audience import active_link
from reminderbot.store.models import CaregiverLink, CheckIn, InviteToken, Person, Role
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.staff_helpers import CARER, STRANGER, audits, button, outbox

ADA = Asker(5002, "Ada", "en")
NEWCOMER = Asker(6001, "Nina", "en")
BOT = "reminder_test_bot"


async def _command(rt: Runtime, asker: Asker) -> list[Reply]:
    return await caregivers.caregiver_command(rt, asker, BOT, onboarding.current_step)


async def _tap(rt: Runtime, asker: Asker, data: str) -> list[Reply]:
    parsed = callbacks.parse(data)
    assert parsed is not None
    return await caregivers.button(rt, asker, asker.telegram_id, parsed)


async def _ada_link(world: World) -> CaregiverLink:
    async with world.sessions() as session:
        link = await session.scalar(
            select(CaregiverLink).where(
                CaregiverLink.patient_id == world.ids.ada, CaregiverLink.revoked_at.is_(None)
            )
        )
    assert link is not None
    return link


async def test_patient_gets_an_invite_link_and_their_caregivers(world: World, rt: Runtime) -> None:
    created, listing = await _command(rt, ADA)
    assert f"https://t.me/{BOT}?start=" in created.text
    assert "Charles" in listing.text
    link = await _ada_link(world)
    revoke = button(listing, rt.text("en", "caregiver.revoke_button", name="Charles"))
    assert revoke == callbacks.build(caregivers.REVOKE, str(link.id))
    async with world.sessions() as session:
        invites = (await session.scalars(select(InviteToken))).all()
    assert [i.patient_id for i in invites] == [world.ids.ada]
    assert [e.subject_person_id for e in await audits(world, "invite:create")] == [world.ids.ada]


async def test_opening_and_accepting_an_invite_links_and_tells_the_patient(
    world: World, rt: Runtime
) -> None:
    created, _ = await _command(rt, ADA)
    match = re.search(r"start=([A-Za-z0-9_-]+)", created.text)
    assert match is not None
    token = match.group(1)
    (offer,) = await caregivers.open_invite(rt, NEWCOMER, token)
    assert "Ada Lovelace" in offer.text
    async with world.sessions() as session:
        assert await find_person(session, NEWCOMER.telegram_id) is None, "nothing stored yet"

    accept = button(offer, rt.text("en", "caregiver.invite.accept_button"))
    (accepted,) = await _tap(rt, NEWCOMER, accept)
    assert "Ada Lovelace" in accepted.text
    async with world.sessions() as session:
        nina = await find_person(session, NEWCOMER.telegram_id)
        assert nina is not None and nina.role == Role.CAREGIVER
        assert nina.timezone == "Asia/Shanghai", "a caregiver starts in the patient's zone"
        assert await active_link(session, world.ids.ada, nina.id) is not None
    notices = [r for r in await outbox(world) if r.unique_key.startswith("cg:accepted:")]
    assert [(r.recipient_id, r.payload["patient_id"]) for r in notices] == [
        (world.ids.ada, world.ids.ada)
    ]
    assert [e.subject_person_id for e in await audits(world, "caregiver:linked")] == [world.ids.ada]
    # The link is single use.
    (used,) = await _tap(rt, STRANGER, accept)
    assert used.text == rt.text("en", "caregiver.invite.used", patient_name="Ada Lovelace")
    assert await audits(world, "refused:invite_used")


async def test_someone_elses_link_buttons_are_refused_and_audited(
    world: World, rt: Runtime
) -> None:
    link = await _ada_link(world)
    assert await _tap(rt, CARER, callbacks.build(caregivers.REVOKE, str(link.id))) == []
    assert await _tap(rt, ADA, callbacks.build(caregivers.LEAVE, str(link.id))) == []
    assert (
        await _tap(rt, CARER, callbacks.build(caregivers.CANCEL_INVITES, str(world.ids.ada))) == []
    )
    assert [e.actor_telegram_id for e in await audits(world, "refused:cgr")] == [CARER.telegram_id]
    assert [e.actor_telegram_id for e in await audits(world, "refused:cgl")] == [ADA.telegram_id]
    assert await audits(world, "refused:cgx")
    assert (await _ada_link(world)).revoked_at is None


async def test_patient_revokes_and_the_caregiver_is_told(world: World, rt: Runtime) -> None:
    link = await _ada_link(world)
    (done,) = await _tap(rt, ADA, callbacks.build(caregivers.REVOKE, str(link.id)))
    assert done.text == rt.text("en", "caregiver.revoked_you", caregiver_name="Charles")
    async with world.sessions() as session:
        ended = await session.get(CaregiverLink, link.id)
    assert ended is not None and ended.revoked_at == world.clock.now()
    notices = [r for r in await outbox(world) if r.unique_key == f"cg:revoked:{link.id}"]
    assert [r.recipient_id for r in notices] == [world.ids.caregiver]
    (event,) = await audits(world, "caregiver:revoked")
    assert event.details["link"] == link.id
    # A stale tap on the ended link does nothing.
    assert await _tap(rt, ADA, callbacks.build(caregivers.REVOKE, str(link.id))) == []


async def test_caregiver_chooses_what_to_receive(world: World, rt: Runtime) -> None:
    link = await _ada_link(world)
    data = callbacks.build(caregivers.OPTION, str(link.id), caregivers.ReceiveOption.ALL.value)
    (saved,) = await _tap(rt, CARER, data)
    assert "Ada Lovelace" in saved.text
    changed = await _ada_link(world)
    assert changed.receives_copies and changed.receives_weekly and changed.receives_alerts


async def test_caregiver_pain_reports_for_the_one_patient_they_follow(
    world: World, rt: Runtime
) -> None:
    async with world.sessions.begin() as session:
        carer = await find_person(session, CARER.telegram_id)
        assert carer is not None
        replies = await caregivers.proxy_pain(rt, session, carer)
        stranger = Person(
            telegram_user_id=STRANGER.telegram_id,
            chat_id=STRANGER.telegram_id,
            language="en",
            timezone="UTC",
            role=Role.CAREGIVER,
            created_at=world.clock.now(),
            updated_at=world.clock.now(),
        )
        session.add(stranger)
        await session.flush()
        assert await caregivers.proxy_pain(rt, session, stranger) is None
    assert replies is not None
    (scale,) = replies
    assert "Ada Lovelace" in scale.text
    (question,) = await _tap(rt, CARER, button(scale, "8"))
    assert question.buttons, "the first follow-up question"
    async with world.sessions() as session:
        checkin = await session.scalar(select(CheckIn).where(CheckIn.source == "proxy"))
    assert checkin is not None
    assert (checkin.patient_id, checkin.reporter_id, checkin.score) == (
        world.ids.ada,
        world.ids.caregiver,
        8,
    )
    assert [e.subject_person_id for e in await audits(world, "checkin:proxy")] == [world.ids.ada]
