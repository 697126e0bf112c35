"""Caregivers end to end: invites, consent, options, revoke and leave, proxy check-ins, refusals."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from reminderbot.sandbox.driver import SimulatedUser
from reminderbot.store.models import (
    Alert,
    AuditEvent,
    CaregiverLink,
    CheckIn,
    DeliveryState,
    InviteToken,
    OutboxDelivery,
)
from tests.e2e.conftest import COORDINATOR_ID, Harness
from tests.e2e.test_checkins import _answer_rest

LINK = re.compile(r"https://t\.me/reminder_test_bot\?start=([A-Za-z0-9_-]+)")


async def _invite(harness: Harness, patient: SimulatedUser) -> str:
    """The patient sends /caregiver; returns the token from the invite link."""
    patient.mark_read()
    await patient.send("/caregiver")
    await patient.wait_for(lambda u: len(u.unread) >= 2, timeout=10)
    match = LINK.search(patient.unread[0].text)
    assert match, patient.unread[0].text
    return match.group(1)


async def _join(harness: Harness, carer: SimulatedUser, token: str, option: str) -> None:
    offer = await harness.say(carer, f"/start {token}")
    assert "has invited you to be their caregiver" in offer.text
    await harness.tap(carer, harness.t("caregiver.invite.accept_button"))
    await harness.tap(carer, harness.t(f"caregiver.option.{option}"))


async def _links(harness: Harness) -> list[CaregiverLink]:
    async with harness.rt.sessions() as session:
        return list((await session.scalars(select(CaregiverLink))).all())


async def _audit(harness: Harness, action: str) -> list[AuditEvent]:
    async with harness.rt.sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == action)
        return list((await session.scalars(stmt)).all())


async def test_invite_accept_choose_options_and_patient_is_told(harness: Harness) -> None:
    ada, cara = harness.user(), harness.user(user_id=4242, first_name="Cara")
    await harness.onboard(ada)
    token = await _invite(harness, ada)
    assert len(token) >= 22
    async with harness.rt.sessions() as session:
        stored = (await session.scalars(select(InviteToken))).one()
    assert token not in stored.token_hash, "only a hash of the token is stored"
    assert stored.expires_at - harness.clock.now() == timedelta(days=7)

    before = await harness.row_counts()
    offer = await harness.say(cara, f"/start {token}")
    assert "Ada" in offer.text and "pain gets worse" in offer.text
    assert await harness.row_counts() == before, "nothing is stored before the invitee accepts"

    options = await harness.tap(cara, harness.t("caregiver.invite.accept_button"))
    assert options.text == harness.t("caregiver.accepted", patient_name="Ada")
    saved = await harness.tap(cara, harness.t("caregiver.option.all"))
    assert "copies" in saved.text and "weekly summary" in saved.text
    (link,) = await _links(harness)
    assert (link.receives_alerts, link.receives_copies, link.receives_weekly) == (True, True, True)
    carer = await harness.person(cara)
    assert carer is not None and carer.patient is None and carer.timezone == "Europe/Berlin"

    ada.mark_read()
    await harness.deliver()
    told = await ada.next_message()
    assert told.text == harness.t("caregiver.notice.accepted", caregiver_name="Cara")

    await _invite(harness, ada)
    roster = ada.unread[1]
    assert "Cara — receives alerts, copies of check-in results and a weekly summary" in roster.text
    assert ["Remove Cara"] in roster.buttons

    # Options change later through /caregiver; alerts stay on whatever is chosen.
    await harness.say(cara, "/caregiver")
    await harness.tap(cara, "Change what I get about Ada")
    await harness.tap(cara, harness.t("caregiver.option.alerts"))
    (link,) = await _links(harness)
    assert (link.receives_alerts, link.receives_copies, link.receives_weekly) == (
        True,
        False,
        False,
    )


async def test_reused_guessed_own_expired_and_cancelled_invites_are_refused(
    harness: Harness,
) -> None:
    ada, cara = harness.user(), harness.user(user_id=4242, first_name="Cara")
    bob = harness.user(user_id=4343, first_name="Bob")
    await harness.onboard(ada)
    token = await _invite(harness, ada)

    own = await harness.say(ada, f"/start {token}")
    assert own.text == harness.t("caregiver.invite.own")
    await _join(harness, cara, token, "alerts")
    reused = await harness.say(bob, f"/start {token}")
    assert reused.text == harness.t("caregiver.invite.used")
    guessed = await harness.say(bob, "/start " + "A" * 24)
    assert guessed.text == harness.t("caregiver.invite.unknown")
    again = await harness.say(cara, f"/start {token}")
    assert again.text == harness.t("caregiver.invite.used")

    expiring = await _invite(harness, ada)
    harness.clock.advance(timedelta(days=7, seconds=1))
    expired = await harness.say(bob, f"/start {expiring}")
    assert expired.text == harness.t("caregiver.invite.expired")

    cancelled = await _invite(harness, ada)
    await harness.tap(ada, harness.t("caregiver.cancel_invites_button"))
    refused = await harness.say(bob, f"/start {cancelled}")
    assert refused.text == harness.t("caregiver.invite.revoked")

    # An offer accepted after the link was cancelled is refused too (the button holds the token).
    fresh = await _invite(harness, ada)
    await harness.say(bob, f"/start {fresh}")
    await harness.tap(ada, harness.t("caregiver.cancel_invites_button"))
    late = await harness.tap(bob, harness.t("caregiver.invite.accept_button"))
    assert late.text == harness.t("caregiver.invite.revoked")

    assert len(await _links(harness)) == 1, "only Cara became a caregiver"
    assert (await harness.person(bob)) is None, "refused invitees leave nothing stored"
    for status in ("used", "unknown", "expired", "revoked", "own"):
        assert await _audit(harness, f"refused:invite_{status}"), status


async def test_declining_stores_nothing(harness: Harness) -> None:
    ada, cara = harness.user(), harness.user(user_id=4242, first_name="Cara")
    await harness.onboard(ada)
    token = await _invite(harness, ada)
    await harness.say(cara, f"/start {token}")
    before = await harness.row_counts()
    reply = await harness.tap(cara, harness.t("caregiver.invite.decline_button"))
    assert reply.text == harness.t("caregiver.invite.declined")
    assert await harness.row_counts() == before


async def _severe_checkin(harness: Harness, ada: SimulatedUser) -> None:
    ada.mark_read()
    await harness.say(ada, "/pain")
    await harness.tap(ada, "9")
    await _answer_rest(harness, ada, scale=9)


async def test_revocation_stops_alerts_already_queued(harness: Harness) -> None:
    ada, cara = harness.user(), harness.user(user_id=4242, first_name="Cara")
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(ada)
    await _join(harness, cara, await _invite(harness, ada), "alerts")
    await harness.deliver()  # Ada hears that Cara accepted.
    cara.mark_read()

    await _severe_checkin(harness, ada)
    (alert,) = await _alerts(harness)
    assert alert.tier >= 2
    # The alert to Cara is queued, not sent; Ada removes Cara before the dispatcher runs.
    await _invite(harness, ada)
    reply = await harness.tap(ada, "Remove Cara")
    assert reply.text == harness.t("caregiver.revoked_you", caregiver_name="Cara")

    await harness.deliver()
    await nurse.wait_for(lambda u: bool(u.unread), timeout=10)
    assert nurse.unread[0].text.startswith(harness.t("alert.urgency.t2")[:10])
    ended = await cara.next_message()
    assert ended.text == harness.t("caregiver.notice.revoked", patient_name="Ada")
    assert cara.unread == [], "Cara got the notice and no alert"
    async with harness.rt.sessions() as session:
        to_cara = (
            await session.scalars(
                select(OutboxDelivery).where(
                    OutboxDelivery.chat_id == 4242, OutboxDelivery.kind == "alert"
                )
            )
        ).all()
    assert [row.state for row in to_cara] == [DeliveryState.CANCELLED]

    # Later alerts do not reach her either.
    await _severe_checkin(harness, ada)
    await harness.deliver()
    await nurse.wait_for(lambda u: len(u.unread) >= 2, timeout=10)
    assert cara.unread == []


async def _alerts(harness: Harness) -> list[Alert]:
    async with harness.rt.sessions() as session:
        return list((await session.scalars(select(Alert).order_by(Alert.id))).all())


async def test_caregiver_leaves_and_patient_is_told(harness: Harness) -> None:
    ada, cara = harness.user(), harness.user(user_id=4242, first_name="Cara")
    await harness.onboard(ada)
    await _join(harness, cara, await _invite(harness, ada), "alerts")
    await harness.deliver()
    await _severe_checkin(harness, ada)
    await harness.say(cara, "/caregiver")
    reply = await harness.tap(cara, "Stop following Ada")
    assert reply.text == harness.t("caregiver.left_you", patient_name="Ada")
    ada.mark_read()
    cara.mark_read()
    await harness.deliver()
    told = await harness.until(ada, harness.t("caregiver.notice.left", caregiver_name="Cara"))
    assert told is not None
    assert cara.unread == [], "nothing more reaches a caregiver who left, not even queued alerts"
    (link,) = await _links(harness)
    assert link.revoked_at is not None
    assert await _audit(harness, "caregiver:left")


async def test_proxy_checkin_is_stored_as_proxy_and_shown_to_everyone(harness: Harness) -> None:
    ada, cara = harness.user(), harness.user(user_id=4242, first_name="Cara")
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(ada)
    await _join(harness, cara, await _invite(harness, ada), "alerts")
    await harness.deliver()
    ada.mark_read()

    intro = await harness.say(cara, "/pain")
    assert intro.text.startswith("You are answering for Ada.")
    await harness.tap(cara, "8")
    replies = await _answer_rest(harness, cara, scale=8)
    assert any(m.text == harness.t("advice.tier.t2") for m in replies), "advice goes to Cara"
    async with harness.rt.sessions() as session:
        (checkin,) = (await session.scalars(select(CheckIn))).all()
    carer = await harness.person(cara)
    patient = await harness.person(ada)
    assert carer is not None and patient is not None
    assert (checkin.patient_id, checkin.reporter_id, checkin.source) == (
        patient.id,
        carer.id,
        "proxy",
    )
    assert checkin.score == 8 and checkin.tier == 2
    assert carer.awaiting is None

    await harness.deliver()
    alert = await nurse.next_message()
    assert "reported by caregiver Cara" in alert.text
    notice = await harness.until(ada, "Cara answered a pain check-in for you: 8/10")
    assert harness.t("advice.tier.t2")[:40] in notice.text


async def test_copies_of_quiet_checkins_go_to_caregivers_who_chose_them(harness: Harness) -> None:
    ada, cara = harness.user(), harness.user(user_id=4242, first_name="Cara")
    bob = harness.user(user_id=4343, first_name="Bob")
    await harness.onboard(ada)
    await _join(harness, cara, await _invite(harness, ada), "copies")
    await _join(harness, bob, await _invite(harness, ada), "alerts")
    await harness.deliver()
    cara.mark_read()
    bob.mark_read()
    await harness.say(ada, "/pain")
    await harness.tap(ada, "2")
    await _answer_rest(harness, ada, scale=2)
    await harness.deliver()
    copy = await cara.next_message()
    assert copy.text == harness.t("caregiver.copy.checkin", patient_name="Ada", score=2)
    assert bob.unread == [], "alerts-only caregivers get no copies"


async def test_forged_caregiver_buttons_are_refused_and_audited(harness: Harness) -> None:
    ada, cara = harness.user(), harness.user(user_id=4242, first_name="Cara")
    eve = harness.user(user_id=6666, first_name="Eve")
    zoe = harness.user(user_id=1002, first_name="Zoe")
    await harness.onboard(ada)
    await harness.onboard(zoe)
    await _join(harness, cara, await _invite(harness, ada), "alerts")
    await _join(harness, eve, await _invite(harness, zoe), "alerts")
    ada_link, _ = sorted(await _links(harness), key=lambda link: link.id)
    ada_person = await harness.person(ada)
    assert ada_person is not None

    # Eve (Zoe's caregiver) replays Ada's "Remove" and Cara's "Leave" and option buttons,
    # and tries to report pain for Ada: all refused, all audited, nothing changed.
    for data in (
        f"cgr|{ada_link.id}|",
        f"cgl|{ada_link.id}|",
        f"cgo|{ada_link.id}|all",
        f"cps|{ada_person.id}|9",
        f"cgp|{ada_person.id}|",
        f"cgx|{ada_person.id}|",
    ):
        answered = len(eve.callback_answers)
        await eve.forge_tap(data)
        await eve.wait_for(lambda u, n=answered: len(u.callback_answers) > n, timeout=10)
    for action in ("cgr", "cgl", "cgo", "cps", "cgp", "cgx"):
        assert await _audit(harness, f"refused:{action}"), action
    links = await _links(harness)
    assert all(link.revoked_at is None for link in links)
    assert not any(link.receives_copies for link in links)
    async with harness.rt.sessions() as session:
        assert (await session.scalars(select(CheckIn))).all() == []

    # A caregiver cannot read another patient's trend either.
    refused = await harness.say(eve, f"/trend {ada_person.id}")
    assert "Ada" not in refused.text
    assert await _audit(harness, "refused:trend")


async def test_a_caregiver_can_also_subscribe_as_a_patient(harness: Harness) -> None:
    ada, cara = harness.user(), harness.user(user_id=4242, first_name="Cara")
    await harness.onboard(ada)
    await _join(harness, cara, await _invite(harness, ada), "alerts")
    help_text = await harness.say(cara, "/settings")
    assert help_text.text == harness.t("caregiver.not_a_patient_help")
    await harness.onboard(cara)
    carer = await harness.person(cara)
    assert carer is not None and carer.patient is not None
    assert len(carer.patient.schedules) == 3
    (link,) = await _links(harness)
    assert link.caregiver_id == carer.id and link.revoked_at is None, "still Ada's caregiver"


async def test_one_caregiver_for_two_patients_chooses_whom_to_answer_for(
    harness: Harness,
) -> None:
    ada, zoe = harness.user(), harness.user(user_id=1002, first_name="Zoe")
    cara = harness.user(user_id=4242, first_name="Cara")
    await harness.onboard(ada)
    await harness.onboard(zoe)
    await _join(harness, cara, await _invite(harness, ada), "alerts")
    await _join(harness, cara, await _invite(harness, zoe), "weekly")
    overview = await harness.say(cara, "/caregiver")
    assert "Ada — you receive alerts only" in overview.text
    assert "Zoe — you receive alerts and a weekly summary" in overview.text

    choose = await harness.say(cara, "/pain")
    assert choose.text == harness.t("caregiver.proxy.choose")
    assert choose.buttons == [["Ada"], ["Zoe"]]
    intro = await harness.tap(cara, "Zoe")
    assert intro.text.startswith("You are answering for Zoe.")
    await harness.tap(cara, "1")
    await _answer_rest(harness, cara, scale=1)
    zoe_person = await harness.person(zoe)
    async with harness.rt.sessions() as session:
        (checkin,) = (await session.scalars(select(CheckIn))).all()
    assert zoe_person is not None and checkin.patient_id == zoe_person.id
