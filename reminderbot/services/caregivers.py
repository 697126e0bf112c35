"""Caregivers: single-use invite tokens, links with receive options, revocation and leaving.

Tokens are random (secrets), shown once in the invite link and stored only as a SHA-256 hash,
so a database copy cannot be used to join as someone's caregiver.

The chat use cases (/caregiver, opening an invite link, the caregiver buttons, a caregiver's
/pain) are entry points here, each in its own transaction. Callback data only names what was
tapped; every tap is checked against the tapping user's own links, and a tap on someone else's
link is refused and audited.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from reminderbot.content.describe import format_local_date
from reminderbot.delivery import buttons, callbacks, outbox_keys
from reminderbot.delivery.outbox import Message, about_patient, enqueue
from reminderbot.runtime import Runtime
from reminderbot.services import checkins, guard
from reminderbot.services.replies import Asker, Reply, keyboard
from reminderbot.store.models import (
    Alert,
    CaregiverLink,
    DeliveryState,
    InviteToken,
    OutboxDelivery,
    PatientStatus,
    Person,
    Role,
)
from reminderbot.store.people import add_audit, find_person

log = logging.getLogger(__name__)

ACCEPT = buttons.INVITE_ACCEPT
DECLINE = buttons.INVITE_DECLINE
OPTION = buttons.CAREGIVER_OPTION
REVOKE = buttons.CAREGIVER_REVOKE
LEAVE = buttons.CAREGIVER_LEAVE
CANCEL_INVITES = buttons.CANCEL_INVITES
PROXY_FOR = buttons.PROXY_FOR
PROXY_SCORE = buttons.PROXY_SCORE
ACTIONS = buttons.codes(buttons.Family.CAREGIVER)

# 18 random bytes: 24 URL-safe characters, well inside Telegram's 64-character start parameter.
TOKEN_BYTES = 18
TOKEN_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
MAX_TOKEN_LENGTH = 64


class InviteStatus(enum.StrEnum):
    """What an invite token turned out to be when someone opened it."""

    VALID = "valid"
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    REVOKED = "revoked"
    OWN = "own"
    ALREADY_LINKED = "already_linked"


class ReceiveOption(enum.StrEnum):
    """What a caregiver chose to receive; alerts are always part of it."""

    ALERTS = "alerts"
    COPIES = "copies"
    WEEKLY = "weekly"
    ALL = "all"


@dataclass(frozen=True)
class InviteCheck:
    """The outcome of looking up a token: its status and, when found, the invite and patient."""

    status: InviteStatus
    invite: InviteToken | None = None
    patient: Person | None = None


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def looks_like_token(text: str) -> bool:
    """Whether a /start parameter could be an invite token at all (cheap check before the DB)."""
    return 16 <= len(text) <= MAX_TOKEN_LENGTH and set(text) <= TOKEN_ALPHABET


def create_invite(session: AsyncSession, patient: Person, now: datetime, ttl: timedelta) -> str:
    """Store a new single-use invite for `patient` and return the token (shown only once)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    session.add(
        InviteToken(
            token_hash=hash_token(token),
            patient_id=patient.id,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return token


async def check_invite(
    session: AsyncSession, token: str, invitee_telegram_id: int, now: datetime
) -> InviteCheck:
    """Look a token up and say whether this Telegram user may accept it now."""
    if not looks_like_token(token):
        return InviteCheck(InviteStatus.UNKNOWN)
    invite = await session.scalar(
        select(InviteToken).where(InviteToken.token_hash == hash_token(token))
    )
    if invite is None:
        return InviteCheck(InviteStatus.UNKNOWN)
    patient = await session.get(Person, invite.patient_id, options=[selectinload(Person.patient)])
    if patient is None or patient.patient is None:
        return InviteCheck(InviteStatus.REVOKED, invite)
    if invite.revoked_at is not None:
        return InviteCheck(InviteStatus.REVOKED, invite, patient)
    if invite.used_at is not None:
        return InviteCheck(InviteStatus.USED, invite, patient)
    if invite.expires_at <= now:
        return InviteCheck(InviteStatus.EXPIRED, invite, patient)
    if patient.telegram_user_id == invitee_telegram_id:
        return InviteCheck(InviteStatus.OWN, invite, patient)
    existing = await session.scalar(
        select(CaregiverLink)
        .join(Person, Person.id == CaregiverLink.caregiver_id)
        .where(
            CaregiverLink.patient_id == patient.id,
            Person.telegram_user_id == invitee_telegram_id,
            CaregiverLink.revoked_at.is_(None),
        )
    )
    if existing is not None:
        return InviteCheck(InviteStatus.ALREADY_LINKED, invite, patient)
    return InviteCheck(InviteStatus.VALID, invite, patient)


async def use_invite(
    session: AsyncSession, invite: InviteToken, caregiver: Person, now: datetime
) -> CaregiverLink | None:
    """Spend the invite and link the caregiver; None when another tap spent it first."""
    # A conditional UPDATE, so two people racing for one link cannot both get it.
    spent = await session.execute(
        update(InviteToken)
        .where(
            InviteToken.id == invite.id,
            InviteToken.used_at.is_(None),
            InviteToken.revoked_at.is_(None),
            InviteToken.expires_at > now,
        )
        .values(used_at=now, used_by_id=caregiver.id)
        .execution_options(synchronize_session=False)
    )
    if not getattr(spent, "rowcount", 0):
        return None
    link = CaregiverLink(
        patient_id=invite.patient_id,
        caregiver_id=caregiver.id,
        receives_alerts=True,
        receives_copies=False,
        receives_weekly=False,
        created_at=now,
    )
    session.add(link)
    await session.flush()
    return link


async def open_invites(session: AsyncSession, patient_id: int, now: datetime) -> list[InviteToken]:
    """Invites of a patient that could still be accepted, newest first."""
    stmt = (
        select(InviteToken)
        .where(
            InviteToken.patient_id == patient_id,
            InviteToken.used_at.is_(None),
            InviteToken.revoked_at.is_(None),
            InviteToken.expires_at > now,
        )
        .order_by(InviteToken.created_at.desc())
    )
    return list((await session.scalars(stmt)).all())


async def cancel_open_invites(session: AsyncSession, patient_id: int, now: datetime) -> int:
    """Revoke every invite of the patient that has not been used; returns how many."""
    result = await session.execute(
        update(InviteToken)
        .where(
            InviteToken.patient_id == patient_id,
            InviteToken.used_at.is_(None),
            InviteToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class LinkView:
    """One active caregiver link with the other side's person."""

    link: CaregiverLink
    other: Person


async def caregivers_of(session: AsyncSession, patient_id: int) -> list[LinkView]:
    """Active caregivers of a patient, oldest link first."""
    stmt = (
        select(CaregiverLink, Person)
        .join(Person, Person.id == CaregiverLink.caregiver_id)
        .where(CaregiverLink.patient_id == patient_id, CaregiverLink.revoked_at.is_(None))
        .order_by(CaregiverLink.created_at, CaregiverLink.id)
    )
    return [LinkView(link, person) for link, person in (await session.execute(stmt)).all()]


async def patients_of(session: AsyncSession, caregiver_id: int) -> list[LinkView]:
    """Patients a caregiver follows, oldest link first."""
    stmt = (
        select(CaregiverLink, Person)
        .join(Person, Person.id == CaregiverLink.patient_id)
        .where(CaregiverLink.caregiver_id == caregiver_id, CaregiverLink.revoked_at.is_(None))
        .order_by(CaregiverLink.created_at, CaregiverLink.id)
        .options(selectinload(Person.patient))
    )
    return [LinkView(link, person) for link, person in (await session.execute(stmt)).all()]


def set_receive_option(link: CaregiverLink, option: ReceiveOption) -> None:
    """Apply a caregiver's choice; alerts stay on whatever they choose."""
    link.receives_alerts = True
    link.receives_copies = option in (ReceiveOption.COPIES, ReceiveOption.ALL)
    link.receives_weekly = option in (ReceiveOption.WEEKLY, ReceiveOption.ALL)


def receive_option(link: CaregiverLink) -> ReceiveOption:
    """The option that matches a link's current flags."""
    if link.receives_copies and link.receives_weekly:
        return ReceiveOption.ALL
    if link.receives_copies:
        return ReceiveOption.COPIES
    if link.receives_weekly:
        return ReceiveOption.WEEKLY
    return ReceiveOption.ALERTS


async def end_link(session: AsyncSession, link: CaregiverLink, now: datetime) -> int:
    """Revoke (or leave) a link at once; cancels queued messages about the patient to them.

    Returns how many queued messages were cancelled. The dispatcher only starts a send on a row
    that is still pending, so nothing cancelled here goes out, even if a worker holds it.
    """
    link.revoked_at = now
    return await cancel_queued_about(session, link.caregiver_id, link.patient_id)


async def cancel_queued_about(session: AsyncSession, recipient_id: int, patient_id: int) -> int:
    """Cancel pending outbox rows to `recipient_id` that concern `patient_id`."""
    rows = (
        await session.execute(
            select(OutboxDelivery.id, OutboxDelivery.payload).where(
                OutboxDelivery.recipient_id == recipient_id,
                OutboxDelivery.state == DeliveryState.PENDING,
            )
        )
    ).all()
    if not rows:
        return 0
    alert_ids = {row.payload.get("alert_id") for row in rows} - {None}
    alert_patients: dict[int, int] = {}
    if alert_ids:
        found = await session.execute(
            select(Alert.id, Alert.patient_id).where(Alert.id.in_(alert_ids))
        )
        alert_patients = {alert_id: pid for alert_id, pid in found.all()}
    doomed = [
        row.id
        for row in rows
        if row.payload.get("patient_id") == patient_id
        or alert_patients.get(row.payload.get("alert_id", -1)) == patient_id
    ]
    return await _cancel(session, doomed)


async def _cancel(session: AsyncSession, ids: Sequence[int]) -> int:
    if not ids:
        return 0
    result = await session.execute(
        update(OutboxDelivery)
        .where(OutboxDelivery.id.in_(ids), OutboxDelivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.CANCELLED, last_error="caregiver link ended")
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- chat use cases -----------------------------------------------------------------------------


# The onboarding step to repeat when a patient mid-way through set-up sends /caregiver.
OnboardingStep = Callable[[Runtime, Person], list[Reply]]


def _name(person: Person | None) -> str:
    return (person.display_name if person else None) or "—"


def _receives(rt: Runtime, locale: str, link: CaregiverLink) -> str:
    return rt.text(locale, f"caregiver.receives.{receive_option(link).value}")


def _refuse(
    session: AsyncSession, asker: Asker, action: str, key: int | None, now: datetime
) -> list[Reply]:
    # Through the one guard: the audit row holds the parsed id only, never the raw data.
    guard.refuse(session, asker.telegram_id, action, now, key=key)
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


async def caregiver_command(
    rt: Runtime, asker: Asker, bot_username: str, onboarding_step: OnboardingStep
) -> list[Reply]:
    """/caregiver: a patient gets a new invite link and their caregivers; a caregiver, theirs."""
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        replies = await _command(rt, session, asker, person, bot_username, onboarding_step, now)
    log.info("caregiver command user=%d", asker.telegram_id)
    return replies


async def _command(
    rt: Runtime,
    session: AsyncSession,
    asker: Asker,
    person: Person | None,
    bot_username: str,
    onboarding_step: OnboardingStep,
    now: datetime,
) -> list[Reply]:
    locale = rt.locale_for(asker.language_code, person)
    following = await patients_of(session, person.id) if person else []
    replies: list[Reply] = []
    if person is not None and person.patient is not None:
        if person.patient.status == PatientStatus.ONBOARDING:
            return onboarding_step(rt, person)
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
    token = create_invite(session, patient, now, ttl)
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
    current = await caregivers_of(session, patient.id)
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
    waiting = len(await open_invites(session, patient.id, now))
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


def _caregiver_side(rt: Runtime, person: Person, following: list[LinkView]) -> Reply:
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


async def open_invite(rt: Runtime, asker: Asker, token: str) -> list[Reply]:
    """`/start <token>`: show whose caregiver they would become, or why the link cannot work."""
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        locale = rt.locale_for(asker.language_code, person)
        check = await check_invite(session, token, asker.telegram_id, now)
        if check.status != InviteStatus.VALID:
            add_audit(
                session,
                at=now,
                action=f"refused:invite_{check.status.value}",
                actor_telegram_id=asker.telegram_id,
                subject_person_id=check.patient.id if check.patient else None,
            )
            log.info("invite refused user=%d status=%s", asker.telegram_id, check.status.value)
            name = _name(check.patient)
            return [
                Reply(rt.text(locale, f"caregiver.invite.{check.status.value}", patient_name=name))
            ]
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
    asker: Asker,
    person: Person | None,
    chat_id: int,
    token: str,
    now: datetime,
) -> list[Reply]:
    locale = rt.locale_for(asker.language_code, person)
    check = await check_invite(session, token, asker.telegram_id, now)
    if check.status != InviteStatus.VALID or check.invite is None or check.patient is None:
        add_audit(
            session,
            at=now,
            action=f"refused:invite_{check.status.value}",
            actor_telegram_id=asker.telegram_id,
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
            telegram_user_id=asker.telegram_id,
            chat_id=chat_id,
            display_name=(asker.first_name or "")[:128] or None,
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
    link = await use_invite(session, check.invite, person, now)
    if link is None:
        return [Reply(rt.text(locale, "caregiver.invite.used", patient_name=_name(patient)))]
    add_audit(
        session,
        at=now,
        action="caregiver:linked",
        actor_telegram_id=asker.telegram_id,
        subject_person_id=patient.id,
        details={"link": link.id},
    )
    text = rt.text(patient.language, "caregiver.notice.accepted", caregiver_name=_name(person))
    notice = _notice(patient, outbox_keys.caregiver_accepted(link.id), text, now, patient.id)
    await enqueue(session, [notice], now)
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


async def button(
    rt: Runtime,
    asker: Asker,
    chat_id: int,
    data: callbacks.ButtonData,
) -> list[Reply]:
    """A caregiver button; [] when stale or not the tapping user's to press (then audited)."""
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        return await _button(rt, session, asker, person, chat_id, data, now)


async def _button(
    rt: Runtime,
    session: AsyncSession,
    asker: Asker,
    person: Person | None,
    chat_id: int,
    data: callbacks.ButtonData,
    now: datetime,
) -> list[Reply]:
    if data.action == ACCEPT:
        return await _accept(rt, session, asker, person, chat_id, data.key, now)
    if data.action == DECLINE:
        locale = rt.locale_for(asker.language_code, person)
        return [Reply(rt.text(locale, "caregiver.invite.declined"))]
    key = buttons.parse_id(data.key)
    if person is None or key is None:
        return _refuse(session, asker, data.action, key, now)
    if data.action == CANCEL_INVITES:
        if key != person.id:
            return _refuse(session, asker, data.action, key, now)
        count = await cancel_open_invites(session, person.id, now)
        add_audit(
            session,
            at=now,
            action="invite:cancel",
            actor_telegram_id=asker.telegram_id,
            subject_person_id=person.id,
            details={"count": count},
        )
        return [Reply(rt.text(person.language, "caregiver.invites_cancelled", count=count))]
    if data.action in (PROXY_FOR, PROXY_SCORE):
        return await _proxy_button(rt, session, asker, person, key, data, now)
    link = await session.get(CaregiverLink, key)
    # A link that ended grants nothing: a replayed Leave or receive-option button of a revoked
    # caregiver (or a second Revoke) is refused like someone else's, and audited.
    if link is None or link.revoked_at is not None:
        return _refuse(session, asker, data.action, key, now)
    if data.action == REVOKE:
        if link.patient_id != person.id:
            return _refuse(session, asker, data.action, key, now)
        return await _end(rt, session, asker, link, by_patient=True, now=now)
    if link.caregiver_id != person.id:
        return _refuse(session, asker, data.action, key, now)
    if data.action == LEAVE:
        return await _end(rt, session, asker, link, by_patient=False, now=now)
    if data.action == OPTION:
        return await _option(rt, session, person, link, data.value)
    return []


async def _option(
    rt: Runtime, session: AsyncSession, person: Person, link: CaregiverLink, value: str
) -> list[Reply]:
    patient = await session.get(Person, link.patient_id)
    assert patient is not None
    if value == "ask":
        return [_ask_option(rt, person.language, link, patient, "caregiver.option_ask")]
    try:
        option = ReceiveOption(value)
    except ValueError:
        return []
    set_receive_option(link, option)
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


async def _end(
    rt: Runtime,
    session: AsyncSession,
    asker: Asker,
    link: CaregiverLink,
    *,
    by_patient: bool,
    now: datetime,
) -> list[Reply]:
    patient = await session.get(Person, link.patient_id)
    carer = await session.get(Person, link.caregiver_id)
    assert patient is not None and carer is not None
    cancelled = await end_link(session, link, now)
    add_audit(
        session,
        at=now,
        action="caregiver:revoked" if by_patient else "caregiver:left",
        actor_telegram_id=asker.telegram_id,
        subject_person_id=patient.id,
        details={"link": link.id, "cancelled": cancelled},
    )
    log.info(
        "caregiver link ended link=%d by_patient=%s cancelled=%d", link.id, by_patient, cancelled
    )
    if by_patient:
        text = rt.text(carer.language, "caregiver.notice.revoked", patient_name=_name(patient))
        notice = _notice(carer, outbox_keys.caregiver_revoked(link.id), text, now, patient.id)
        reply = rt.text(patient.language, "caregiver.revoked_you", caregiver_name=_name(carer))
    else:
        text = rt.text(patient.language, "caregiver.notice.left", caregiver_name=_name(carer))
        notice = _notice(patient, outbox_keys.caregiver_left(link.id), text, now, patient.id)
        reply = rt.text(carer.language, "caregiver.left_you", patient_name=_name(patient))
    await enqueue(session, [notice], now)
    return [Reply(reply)]


async def proxy_pain(rt: Runtime, session: AsyncSession, person: Person) -> list[Reply] | None:
    """/pain from a caregiver who is not a patient: pick the patient, then the score.

    None when the person follows nobody (the caller answers as for a stranger). Runs in the
    caller's transaction: /pain decides between patient and caregiver with one person row.
    """
    following = [
        v
        for v in await patients_of(session, person.id)
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
    asker: Asker,
    person: Person,
    patient_id: int,
    data: callbacks.ButtonData,
    now: datetime,
) -> list[Reply]:
    if not await guard.has_right(
        rt, session, asker.telegram_id, person, buttons.BY_CODE[data.action].right, patient_id
    ):
        return _refuse(session, asker, data.action, patient_id, now)
    patient = await session.get(Person, patient_id, options=[selectinload(Person.patient)])
    if patient is None or patient.patient is None:
        return []
    if data.action == PROXY_FOR:
        return [_proxy_scale(rt, person.language, patient)]
    score = buttons.parse_number(data.value, maximum=10)
    if score is None:
        return []
    add_audit(
        session,
        at=now,
        action="checkin:proxy",
        actor_telegram_id=asker.telegram_id,
        subject_person_id=patient.id,
    )
    return await checkins.begin(
        rt,
        session,
        patient,
        prompt_key=outbox_keys.proxy_prompt(patient.id, now),
        source="proxy",
        prompted_at=now,
        score=score,
        now=now,
        reporter=person,
    )
