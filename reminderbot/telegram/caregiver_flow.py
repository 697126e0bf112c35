"""Caregivers in chat: /caregiver, invite links opened with /start, options, revoke, proxy check-in.

Callback data only names what was tapped; every tap is checked against the tapping user's own
links, and a tap on someone else's link is refused and audited.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload
from telegram import User

from reminderbot.content.describe import format_local_date
from reminderbot.delivery import callbacks
from reminderbot.delivery.outbox import Message, about_patient, enqueue
from reminderbot.runtime import Runtime
from reminderbot.services import caregivers, checkins
from reminderbot.services.caregivers import InviteStatus, ReceiveOption
from reminderbot.store.models import CaregiverLink, PatientStatus, Person, Role
from reminderbot.store.people import add_audit
from reminderbot.telegram import flows
from reminderbot.telegram.replies import Reply, keyboard

log = logging.getLogger(__name__)

ACCEPT = "cga"
DECLINE = "cgd"
OPTION = "cgo"
REVOKE = "cgr"
LEAVE = "cgl"
CANCEL_INVITES = "cgx"
PROXY_FOR = "cgp"
PROXY_SCORE = "cps"
ACTIONS = frozenset(
    {ACCEPT, DECLINE, OPTION, REVOKE, LEAVE, CANCEL_INVITES, PROXY_FOR, PROXY_SCORE}
)


def _name(person: Person | None) -> str:
    return (person.display_name if person else None) or "—"


def _receives(rt: Runtime, locale: str, link: CaregiverLink) -> str:
    return rt.text(locale, f"caregiver.receives.{caregivers.receive_option(link).value}")


def _refuse(session: AsyncSession, user: User, action: str, key: str, now: datetime) -> list[Reply]:
    add_audit(
        session,
        at=now,
        action=f"refused:{action}",
        actor_telegram_id=user.id,
        details={"key": key},
    )
    log.warning("refused caregiver button user=%d action=%s", user.id, action)
    return []


def _notice(person: Person, key: str, text: str, now: datetime, patient_id: int) -> Message:
    return about_patient(
        patient_id,
        chat_id=person.chat_id,
        recipient_id=person.id,
        unique_key=key,
        text=text,
        now=now,
    )


# --- /caregiver ---------------------------------------------------------------------------------


async def command(
    rt: Runtime,
    session: AsyncSession,
    user: User,
    person: Person | None,
    bot_username: str,
    now: datetime,
) -> list[Reply]:
    """/caregiver: a patient gets a new invite link and their caregivers; a caregiver, theirs."""
    locale = rt.locale_for(user.language_code, person)
    following = await caregivers.patients_of(session, person.id) if person else []
    replies: list[Reply] = []
    if person is not None and person.patient is not None:
        if flows.is_onboarding(person):
            return flows.current_step(rt, person)
        if person.patient.status == PatientStatus.STOPPED:
            replies.append(Reply(rt.text(locale, "settings.not_subscribed")))
        else:
            replies.extend(await _patient_side(rt, session, person, bot_username, now))
    if following:
        assert person is not None
        replies.append(_caregiver_side(rt, person, following))
    if not replies:
        replies.append(Reply(rt.text(locale, "caregiver.not_patient")))
    return replies


async def _patient_side(
    rt: Runtime, session: AsyncSession, patient: Person, bot_username: str, now: datetime
) -> list[Reply]:
    locale = patient.language
    zone = ZoneInfo(patient.timezone)
    ttl = rt.settings.invite_ttl
    token = caregivers.create_invite(session, patient, now, ttl)
    add_audit(
        session,
        at=now,
        action="invite:create",
        actor_telegram_id=patient.telegram_user_id,
        subject_person_id=patient.id,
    )
    expires = format_local_date(rt.catalog, locale, (now + ttl).astimezone(zone).date())
    link = f"https://t.me/{bot_username}?start={token}"
    replies = [Reply(rt.text(locale, "caregiver.invite.created", link=link, expires=expires))]
    current = await caregivers.caregivers_of(session, patient.id)
    lines = [rt.text(locale, "caregiver.list.header")]
    lines += [
        rt.text(
            locale,
            "caregiver.list.item",
            name=_name(view.other),
            receives=_receives(rt, locale, view.link),
        )
        for view in current
    ]
    if not current:
        lines = [rt.text(locale, "caregiver.list.none")]
    rows = [
        [
            (
                rt.text(locale, "caregiver.revoke_button", name=_name(view.other)),
                callbacks.build(REVOKE, str(view.link.id)),
            )
        ]
        for view in current
    ]
    # The invite just made counts too; mention the number only when there are earlier ones, but
    # always offer to cancel, in case a link went to the wrong person.
    waiting = len(await caregivers.open_invites(session, patient.id, now))
    if waiting > 1:
        lines.append(rt.text(locale, "caregiver.list.open_invites", count=waiting))
    if waiting:
        rows.append(
            [
                (
                    rt.text(locale, "caregiver.cancel_invites_button"),
                    callbacks.build(CANCEL_INVITES, str(patient.id)),
                )
            ]
        )
    replies.append(Reply("\n".join(lines), keyboard(*rows)))
    return replies


def _caregiver_side(rt: Runtime, person: Person, following: list[caregivers.LinkView]) -> Reply:
    locale = person.language
    lines = [rt.text(locale, "caregiver.following.header")]
    rows: list[list[tuple[str, str]]] = []
    for view in following:
        name = _name(view.other)
        lines.append(
            rt.text(
                locale,
                "caregiver.following.item",
                name=name,
                receives=_receives(rt, locale, view.link),
            )
        )
        rows.append(
            [
                (
                    rt.text(locale, "caregiver.options_button", name=name),
                    callbacks.build(OPTION, str(view.link.id), "ask"),
                ),
                (
                    rt.text(locale, "caregiver.leave_button", name=name),
                    callbacks.build(LEAVE, str(view.link.id)),
                ),
            ]
        )
    return Reply("\n".join(lines), keyboard(*rows))


# --- opening an invite link ---------------------------------------------------------------------


async def open_invite(
    rt: Runtime,
    session: AsyncSession,
    user: User,
    person: Person | None,
    token: str,
    now: datetime,
) -> list[Reply]:
    """`/start <token>`: show whose caregiver they would become, or why the link cannot work."""
    locale = rt.locale_for(user.language_code, person)
    check = await caregivers.check_invite(session, token, user.id, now)
    if check.status != InviteStatus.VALID:
        add_audit(
            session,
            at=now,
            action=f"refused:invite_{check.status.value}",
            actor_telegram_id=user.id,
            subject_person_id=check.patient.id if check.patient else None,
        )
        log.info("invite refused user=%d status=%s", user.id, check.status.value)
        name = _name(check.patient)
        return [Reply(rt.text(locale, f"caregiver.invite.{check.status.value}", patient_name=name))]
    # Nothing about the invitee is stored until they accept.
    return [
        Reply(
            rt.text(locale, "caregiver.invite.offer", patient_name=_name(check.patient)),
            keyboard(
                [
                    (
                        rt.text(locale, "caregiver.invite.accept_button"),
                        callbacks.build(ACCEPT, token),
                    )
                ],
                [
                    (
                        rt.text(locale, "caregiver.invite.decline_button"),
                        callbacks.build(DECLINE, "-"),
                    )
                ],
            ),
        )
    ]


async def _accept(
    rt: Runtime,
    session: AsyncSession,
    user: User,
    person: Person | None,
    chat_id: int,
    token: str,
    now: datetime,
) -> list[Reply]:
    locale = rt.locale_for(user.language_code, person)
    check = await caregivers.check_invite(session, token, user.id, now)
    if check.status != InviteStatus.VALID or check.invite is None or check.patient is None:
        add_audit(
            session,
            at=now,
            action=f"refused:invite_{check.status.value}",
            actor_telegram_id=user.id,
        )
        return [
            Reply(
                rt.text(
                    locale,
                    f"caregiver.invite.{check.status.value}",
                    patient_name=_name(check.patient),
                )
            )
        ]
    patient = check.patient
    if person is None:
        person = Person(
            telegram_user_id=user.id,
            chat_id=chat_id,
            display_name=(user.first_name or "")[:128] or None,
            language=locale,
            # Caregivers usually live near the patient; /settings is for patients only.
            timezone=patient.timezone,
            role=Role.CAREGIVER,
            created_at=now,
            updated_at=now,
        )
        session.add(person)
        await session.flush()
    elif person.role == Role.PATIENT and person.patient is None:
        person.role = Role.CAREGIVER
    link = await caregivers.use_invite(session, check.invite, person, now)
    if link is None:
        return [Reply(rt.text(locale, "caregiver.invite.used", patient_name=_name(patient)))]
    add_audit(
        session,
        at=now,
        action="caregiver:linked",
        actor_telegram_id=user.id,
        subject_person_id=patient.id,
        details={"link": link.id},
    )
    text = rt.text(patient.language, "caregiver.notice.accepted", caregiver_name=_name(person))
    await enqueue(session, [_notice(patient, f"cg:accepted:{link.id}", text, now, patient.id)], now)
    log.info("caregiver linked link=%d patient=%d caregiver=%d", link.id, patient.id, person.id)
    return [_ask_option(rt, person.language, link, patient, "caregiver.accepted")]


def _ask_option(rt: Runtime, locale: str, link: CaregiverLink, patient: Person, key: str) -> Reply:
    rows = [
        [
            (
                rt.text(locale, f"caregiver.option.{option.value}"),
                callbacks.build(OPTION, str(link.id), option.value),
            )
        ]
        for option in ReceiveOption
    ]
    return Reply(rt.text(locale, key, patient_name=_name(patient)), keyboard(*rows))


# --- buttons ------------------------------------------------------------------------------------


async def button(
    rt: Runtime,
    session: AsyncSession,
    user: User,
    person: Person | None,
    chat_id: int,
    data: callbacks.ButtonData,
    now: datetime,
) -> list[Reply]:
    """A caregiver button; [] when stale or not the tapping user's to press (then audited)."""
    if data.action == ACCEPT:
        return await _accept(rt, session, user, person, chat_id, data.key, now)
    if data.action == DECLINE:
        locale = rt.locale_for(user.language_code, person)
        return [Reply(rt.text(locale, "caregiver.invite.declined"))]
    if person is None or not data.key.isdigit():
        return _refuse(session, user, data.action, data.key, now)
    if data.action == CANCEL_INVITES:
        if int(data.key) != person.id:
            return _refuse(session, user, data.action, data.key, now)
        count = await caregivers.cancel_open_invites(session, person.id, now)
        add_audit(
            session,
            at=now,
            action="invite:cancel",
            actor_telegram_id=user.id,
            subject_person_id=person.id,
            details={"count": count},
        )
        return [Reply(rt.text(person.language, "caregiver.invites_cancelled", count=count))]
    if data.action in (PROXY_FOR, PROXY_SCORE):
        return await _proxy_button(rt, session, user, person, data, now)
    link = await session.get(CaregiverLink, int(data.key))
    if link is None or link.revoked_at is not None:
        return []
    if data.action == REVOKE:
        if link.patient_id != person.id:
            return _refuse(session, user, data.action, data.key, now)
        return await _end(rt, session, user, link, by_patient=True, now=now)
    if link.caregiver_id != person.id:
        return _refuse(session, user, data.action, data.key, now)
    if data.action == LEAVE:
        return await _end(rt, session, user, link, by_patient=False, now=now)
    if data.action == OPTION:
        patient = await session.get(Person, link.patient_id)
        assert patient is not None
        if data.value == "ask":
            return [_ask_option(rt, person.language, link, patient, "caregiver.option_ask")]
        try:
            option = ReceiveOption(data.value)
        except ValueError:
            return []
        caregivers.set_receive_option(link, option)
        return [
            Reply(
                rt.text(
                    person.language,
                    "caregiver.option_saved",
                    receives=_receives(rt, person.language, link),
                    patient_name=_name(patient),
                )
            )
        ]
    return []


async def _end(
    rt: Runtime,
    session: AsyncSession,
    user: User,
    link: CaregiverLink,
    *,
    by_patient: bool,
    now: datetime,
) -> list[Reply]:
    patient = await session.get(Person, link.patient_id)
    carer = await session.get(Person, link.caregiver_id)
    assert patient is not None and carer is not None
    cancelled = await caregivers.end_link(session, link, now)
    add_audit(
        session,
        at=now,
        action="caregiver:revoked" if by_patient else "caregiver:left",
        actor_telegram_id=user.id,
        subject_person_id=patient.id,
        details={"link": link.id, "cancelled": cancelled},
    )
    log.info(
        "caregiver link ended link=%d by_patient=%s cancelled=%d", link.id, by_patient, cancelled
    )
    if by_patient:
        text = rt.text(carer.language, "caregiver.notice.revoked", patient_name=_name(patient))
        notice = _notice(carer, f"cg:revoked:{link.id}", text, now, patient.id)
        reply = rt.text(patient.language, "caregiver.revoked_you", caregiver_name=_name(carer))
    else:
        text = rt.text(patient.language, "caregiver.notice.left", caregiver_name=_name(carer))
        notice = _notice(patient, f"cg:left:{link.id}", text, now, patient.id)
        reply = rt.text(carer.language, "caregiver.left_you", patient_name=_name(patient))
    await enqueue(session, [notice], now)
    return [Reply(reply)]


# --- a caregiver answering a check-in for the patient -------------------------------------------


async def proxy_pain(rt: Runtime, session: AsyncSession, person: Person) -> list[Reply] | None:
    """/pain from a caregiver who is not a patient: pick the patient, then the score.

    None when the person follows nobody (the caller answers as for a stranger).
    """
    following = [
        v
        for v in await caregivers.patients_of(session, person.id)
        if v.other.patient is None or v.other.patient.status != PatientStatus.STOPPED
    ]
    if not following:
        return None
    if len(following) == 1:
        return [_proxy_scale(rt, person.language, following[0].other)]
    rows = [
        [(_name(view.other), callbacks.build(PROXY_FOR, str(view.other.id)))] for view in following
    ]
    return [Reply(rt.text(person.language, "caregiver.proxy.choose"), keyboard(*rows))]


def _proxy_scale(rt: Runtime, locale: str, patient: Person) -> Reply:
    buttons = [(str(n), callbacks.build(PROXY_SCORE, str(patient.id), str(n))) for n in range(11)]
    return Reply(
        rt.text(locale, "caregiver.proxy.intro", patient_name=_name(patient)),
        keyboard(buttons[:6], buttons[6:]),
    )


async def _proxy_button(
    rt: Runtime,
    session: AsyncSession,
    user: User,
    person: Person,
    data: callbacks.ButtonData,
    now: datetime,
) -> list[Reply]:
    if await caregivers.active_link(session, int(data.key), person.id) is None:
        return _refuse(session, user, data.action, data.key, now)
    patient = await session.get(Person, int(data.key), options=[selectinload(Person.patient)])
    if patient is None or patient.patient is None:
        return []
    if data.action == PROXY_FOR:
        return [_proxy_scale(rt, person.language, patient)]
    if not data.value.isdigit() or int(data.value) > 10:
        return []
    add_audit(
        session,
        at=now,
        action="checkin:proxy",
        actor_telegram_id=user.id,
        subject_person_id=patient.id,
    )
    return await checkins.begin(
        rt,
        session,
        patient,
        prompt_key=f"proxy:{patient.id}:{person.id}:{int(now.timestamp())}",
        source="proxy",
        prompted_at=now,
        score=int(data.value),
        now=now,
        reporter=person,
    )
