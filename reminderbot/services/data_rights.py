"""A person's data rights: export everything stored about them, or erase it for good."""

from __future__ import annotations

import enum
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from reminderbot.content.renderer import Renderer
from reminderbot.delivery import buttons, outbox_keys
from reminderbot.delivery.kinds import MessageKind
from reminderbot.delivery.outbox import Message, enqueue
from reminderbot.runtime import Runtime
from reminderbot.services.replies import Asker, Reply, keyboard
from reminderbot.store.models import (
    Alert,
    AuditEvent,
    BroadcastDraft,
    CalciumResult,
    CaregiverLink,
    CheckIn,
    InviteToken,
    OutboxDelivery,
    PatientProfile,
    Person,
    Schedule,
)
from reminderbot.store.people import add_audit, find_person

log = logging.getLogger(__name__)

EXPORT_FORMAT = "reminderbot-mydata"
EXPORT_VERSION = 1
# Kind of the "your link has ended" messages: a notice goes before routine traffic and is
# never lost, like the other messages about a care relationship.
UNLINK_KIND = MessageKind.NOTICE


@dataclass(frozen=True)
class Subject:
    """Whose data: the asking Telegram user, and their stored person when there is one.

    A coordinator granted only by configuration has no person row, yet messages to their
    chat and audit events under their Telegram id are still theirs.
    """

    telegram_user_id: int
    chat_id: int
    person_id: int | None


# -- export ----------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A column value as JSON: instants in ISO-8601 UTC, dates and wall times in ISO-8601."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _row(obj: object, *, without: Sequence[str] = ()) -> dict[str, Any]:
    """Every column of a model row; listing columns from the mapper keeps new ones included."""
    mapper = sa_inspect(obj).mapper
    return {
        attr.key: _plain(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in without
    }


async def _all(session: AsyncSession, stmt: Select[Any]) -> list[Any]:
    return list((await session.scalars(stmt)).all())


def _message_row(row: OutboxDelivery) -> dict[str, Any]:
    # The text was written to this person, so it is theirs; the buttons' callback data and the
    # lease bookkeeping are the dispatcher's internals, not information about them.
    return {
        "id": row.id,
        "kind": row.kind,
        "state": _plain(row.state),
        "created_at": _plain(row.created_at),
        "not_before": _plain(row.not_before),
        "sent_at": _plain(row.sent_at),
        "text": (row.payload or {}).get("text"),
    }


async def _links(session: AsyncSession, person_id: int) -> dict[str, list[dict[str, Any]]]:
    """Caregiver links both ways, each with the other side's display name.

    The name of the other side is shown because each link was made by the two people
    themselves (the patient invited the caregiver, the caregiver accepted): it tells the
    asker nothing they did not choose to share with each other.
    """
    other = aliased(Person)
    followers = await session.execute(
        select(CaregiverLink, other.display_name)
        .join(other, other.id == CaregiverLink.caregiver_id)
        .where(CaregiverLink.patient_id == person_id)
        .order_by(CaregiverLink.id)
    )
    following = await session.execute(
        select(CaregiverLink, other.display_name)
        .join(other, other.id == CaregiverLink.patient_id)
        .where(CaregiverLink.caregiver_id == person_id)
        .order_by(CaregiverLink.id)
    )
    return {
        "caregivers_following_you": [
            {**_row(link), "caregiver_name": name} for link, name in followers.all()
        ],
        "patients_you_follow": [
            {**_row(link), "patient_name": name} for link, name in following.all()
        ],
    }


async def _person_part(session: AsyncSession, pid: int) -> dict[str, Any]:
    """Everything keyed by the person id: profile, care data, links and invites."""
    person = await session.get(Person, pid)
    profile = await session.get(PatientProfile, pid)
    handled = await _all(
        session,
        select(Alert)
        .where(or_(Alert.acknowledged_by_id == pid, Alert.resolved_by_id == pid))
        .order_by(Alert.id),
    )
    used = await _all(session, select(InviteToken).where(InviteToken.used_by_id == pid))
    return {
        "person": _row(person) if person is not None else None,
        "patient_profile": _row(profile) if profile is not None else None,
        "schedules": [
            _row(s)
            for s in await _all(
                session, select(Schedule).where(Schedule.patient_id == pid).order_by(Schedule.id)
            )
        ],
        "checkins": [
            _row(c)
            for c in await _all(
                session, select(CheckIn).where(CheckIn.patient_id == pid).order_by(CheckIn.id)
            )
        ],
        # Check-ins this person answered on someone's behalf: they typed these answers.
        "checkins_you_reported_for_others": [
            _row(c)
            for c in await _all(
                session,
                select(CheckIn)
                .where(CheckIn.reporter_id == pid, CheckIn.patient_id != pid)
                .order_by(CheckIn.id),
            )
        ],
        "alerts": [
            _row(a)
            for a in await _all(
                session, select(Alert).where(Alert.patient_id == pid).order_by(Alert.id)
            )
        ],
        # Alerts about others only say what this person did with them, not the patient's data.
        "alerts_you_handled": [
            {
                "alert_id": a.id,
                "acknowledged_at": _plain(a.acknowledged_at)
                if a.acknowledged_by_id == pid
                else None,
                "resolved_at": _plain(a.resolved_at) if a.resolved_by_id == pid else None,
                "resolution_note": a.resolution_note if a.resolved_by_id == pid else None,
            }
            for a in handled
            if a.patient_id != pid
        ],
        "calcium_results": [
            _row(r)
            for r in await _all(
                session,
                select(CalciumResult)
                .where(CalciumResult.patient_id == pid)
                .order_by(CalciumResult.id),
            )
        ],
        **await _links(session, pid),
        # Only a hash of each token is stored, and even that stays out: it is a credential.
        "invites_you_created": [
            _row(t, without=("token_hash",))
            for t in await _all(
                session,
                select(InviteToken).where(InviteToken.patient_id == pid).order_by(InviteToken.id),
            )
        ],
        "invites_you_accepted": [
            {"id": t.id, "used_at": _plain(t.used_at)} for t in used if t.patient_id != pid
        ],
        # A coordinator's unsent broadcast: their own words, waiting for Send or Cancel.
        "broadcast_drafts": [
            _row(d)
            for d in await _all(
                session, select(BroadcastDraft).where(BroadcastDraft.coordinator_id == pid)
            )
        ],
    }


async def collect_export(
    session: AsyncSession, subject: Subject, now: datetime, *, coordinator_by_setting: bool
) -> dict[str, Any] | None:
    """Everything stored about the subject as plain JSON data, or None when nothing is."""
    pid = subject.person_id
    to_them = [OutboxDelivery.chat_id == subject.chat_id]
    about_them = [AuditEvent.actor_telegram_id == subject.telegram_user_id]
    if pid is not None:
        to_them.append(OutboxDelivery.recipient_id == pid)
        about_them.append(AuditEvent.subject_person_id == pid)
    messages = await _all(
        session, select(OutboxDelivery).where(or_(*to_them)).order_by(OutboxDelivery.id)
    )
    audit = await _all(session, select(AuditEvent).where(or_(*about_them)).order_by(AuditEvent.id))
    if pid is None and not messages and not audit:
        return None
    data: dict[str, Any] = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "exported_at": _plain(now),
        "telegram_user_id": subject.telegram_user_id,
        "coordinator_by_deployment_setting": coordinator_by_setting,
    }
    if pid is not None:
        data.update(await _person_part(session, pid))
    data["messages_to_you"] = [_message_row(m) for m in messages]
    data["audit_events"] = [_row(a) for a in audit]
    return data


async def anything_stored(session: AsyncSession, subject: Subject) -> bool:
    """Say whether any row is about the subject (without a person row: messages or audit)."""
    if subject.person_id is not None:
        return True
    found = await session.scalar(
        select(OutboxDelivery.id).where(OutboxDelivery.chat_id == subject.chat_id).limit(1)
    ) or await session.scalar(
        select(AuditEvent.id)
        .where(AuditEvent.actor_telegram_id == subject.telegram_user_id)
        .limit(1)
    )
    return found is not None


def export_bytes(data: dict[str, Any]) -> bytes:
    """The export as pretty-printed UTF-8 JSON, names in their own script."""
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def export_row_count(data: dict[str, Any]) -> int:
    """How many stored rows an export holds (for the audit trail: a count, never content)."""
    singles = sum(1 for k in ("person", "patient_profile") if data.get(k) is not None)
    return singles + sum(len(v) for v in data.values() if isinstance(v, list))


def record_export(
    session: AsyncSession, subject: Subject, data: dict[str, Any], now: datetime
) -> None:
    """Audit that the subject downloaded their data."""
    add_audit(
        session,
        at=now,
        action="data:export",
        actor_telegram_id=subject.telegram_user_id,
        subject_person_id=subject.person_id,
        details={"rows": export_row_count(data)},
    )


# -- erasure ---------------------------------------------------------------------------------


@dataclass
class Erasure:
    """What an erasure removed, per table, and who was told that a link ended."""

    counts: dict[str, int] = field(default_factory=dict)
    told: int = 0


@dataclass(frozen=True)
class _Counterpart:
    """The other side of an active caregiver link, to be told that it ended."""

    link_id: int
    chat_id: int
    person_id: int
    language: str
    key: str


async def _rowcount(session: AsyncSession, stmt: Any) -> int:
    result = await session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _about_them(
    pid: int, alert_ids: Sequence[int], schedule_ids: Sequence[int], patient_link_ids: Sequence[int]
) -> list[Any]:
    """Conditions matching outbox rows about this person that were written to others.

    The outbox has no "about whom" column. Newer messages carry the patient's id (or their
    alert's id) in the payload; older kinds are recognised by their unique keys' prefixes
    (delivery/outbox_keys: alerts, acknowledgements, silence notices, weekly summaries,
    unreachable notices). Each id is followed by a separator, so #1 never matches #12.
    """
    key = OutboxDelivery.unique_key
    prefixes = [outbox_keys.unreachable_prefix(pid)]
    prefixes += [outbox_keys.alert_prefix(a) for a in alert_ids]
    prefixes += [outbox_keys.acknowledged_prefix(a) for a in alert_ids]
    # A silence notice is keyed by the newest unanswered prompt, an occurrence of a schedule.
    prefixes += [outbox_keys.silence_prefix(s) for s in schedule_ids]
    prefixes += [outbox_keys.weekly_prefix(link) for link in patient_link_ids]
    return [
        OutboxDelivery.payload["patient_id"].as_integer() == pid,
        OutboxDelivery.payload["alert_id"].as_integer().in_(alert_ids),
        *(key.startswith(p, autoescape=True) for p in prefixes),
    ]


async def _counterparts(session: AsyncSession, pid: int) -> list[_Counterpart]:
    """People on the other side of this person's active caregiver links."""
    other = aliased(Person)
    rows = await session.execute(
        select(CaregiverLink.id, CaregiverLink.patient_id, other)
        .join(
            other,
            or_(
                (CaregiverLink.patient_id == pid) & (other.id == CaregiverLink.caregiver_id),
                (CaregiverLink.caregiver_id == pid) & (other.id == CaregiverLink.patient_id),
            ),
        )
        .where(CaregiverLink.revoked_at.is_(None), other.id != pid)
        .order_by(CaregiverLink.id)
    )
    result = []
    for link_id, patient_id, person in rows.all():
        # Caregivers hear that the patient left; a patient hears that a caregiver left, so
        # nobody goes on believing someone still receives their alerts.
        key = "data.unlinked.patient_left" if patient_id == pid else "data.unlinked.caregiver_left"
        result.append(_Counterpart(link_id, person.chat_id, person.id, person.language, key))
    return result


async def _ids(session: AsyncSession, stmt: Select[Any]) -> list[int]:
    return [int(i) for i in (await session.scalars(stmt)).all()]


async def erase(
    session: AsyncSession, ctx: Renderer, subject: Subject, now: datetime
) -> Erasure:
    """Erase every row about the subject in the caller's transaction; tell linked people.

    Audit events are kept as a trail of what happened and when, stripped of anything that
    points back to the person. One "data:deleted" event with counts only is added.
    """
    report = Erasure()
    counts = report.counts
    pid = subject.person_id
    notices: list[Message] = []
    to_them = OutboxDelivery.chat_id == subject.chat_id
    if pid is not None:
        name = await session.scalar(select(Person.display_name).where(Person.id == pid))
        counterparts = await _counterparts(session, pid)
        alert_ids = await _ids(session, select(Alert.id).where(Alert.patient_id == pid))
        schedule_ids = await _ids(session, select(Schedule.id).where(Schedule.patient_id == pid))
        link_ids = await _ids(
            session, select(CaregiverLink.id).where(CaregiverLink.patient_id == pid)
        )
        # Schedules first: on PostgreSQL this waits for a tick that holds them and keeps the
        # next tick off them, so no new message for this person appears behind our back.
        counts["schedule"] = await _rowcount(
            session, delete(Schedule).where(Schedule.patient_id == pid)
        )
        counts["outbox_delivery"] = await _rowcount(
            session,
            delete(OutboxDelivery).where(
                or_(
                    OutboxDelivery.recipient_id == pid,
                    to_them,
                    *_about_them(pid, alert_ids, schedule_ids, link_ids),
                )
            ),
        )
        counts.update(await _erase_person_rows(session, pid))
        notices = [_unlink_notice(ctx, c, name, pid, now) for c in counterparts]
    else:
        counts["outbox_delivery"] = await _rowcount(session, delete(OutboxDelivery).where(to_them))
    counts["audit_event_anonymised"] = await _anonymise_audit(session, subject)
    add_audit(session, at=now, action="data:deleted", actor_telegram_id=None, details=counts)
    await enqueue(session, notices, now)
    report.told = len(notices)
    log.info(
        "data erased person=%s rows=%d told=%d",
        pid,
        sum(v for k, v in counts.items() if k != "audit_event_anonymised"),
        report.told,
    )
    return report


async def _erase_person_rows(session: AsyncSession, pid: int) -> dict[str, int]:
    """Delete the person's remaining rows, children first, and unhook others' rows from them.

    The foreign keys would cascade or null most of this on their own; doing it explicitly
    gives honest counts and does not depend on SQLite's foreign-key pragma being on.
    """
    counts: dict[str, int] = {}
    counts["alert"] = await _rowcount(session, delete(Alert).where(Alert.patient_id == pid))
    # Others' alerts, check-ins and invites stay theirs; only the pointer to this person goes.
    await _rowcount(
        session,
        update(Alert).where(Alert.acknowledged_by_id == pid).values(acknowledged_by_id=None),
    )
    await _rowcount(
        session, update(Alert).where(Alert.resolved_by_id == pid).values(resolved_by_id=None)
    )
    counts["checkin"] = await _rowcount(session, delete(CheckIn).where(CheckIn.patient_id == pid))
    await _rowcount(
        session, update(CheckIn).where(CheckIn.reporter_id == pid).values(reporter_id=None)
    )
    counts["calcium_result"] = await _rowcount(
        session, delete(CalciumResult).where(CalciumResult.patient_id == pid)
    )
    counts["invite_token"] = await _rowcount(
        session, delete(InviteToken).where(InviteToken.patient_id == pid)
    )
    await _rowcount(
        session, update(InviteToken).where(InviteToken.used_by_id == pid).values(used_by_id=None)
    )
    counts["caregiver_link"] = await _rowcount(
        session,
        delete(CaregiverLink).where(
            or_(CaregiverLink.patient_id == pid, CaregiverLink.caregiver_id == pid)
        ),
    )
    counts["broadcast_draft"] = await _rowcount(
        session, delete(BroadcastDraft).where(BroadcastDraft.coordinator_id == pid)
    )
    counts["patient_profile"] = await _rowcount(
        session, delete(PatientProfile).where(PatientProfile.person_id == pid)
    )
    # A message queued for them by another worker since the outbox step goes with the person
    # (outbox_delivery.recipient_id cascades).
    counts["person"] = await _rowcount(session, delete(Person).where(Person.id == pid))
    return counts


async def _anonymise_audit(session: AsyncSession, subject: Subject) -> int:
    """Keep each audit event's action and time, but nothing that leads back to the person."""
    changed = 0
    if subject.person_id is not None:
        # Events about them: details may name their alerts or check-ins, so they go too.
        changed += await _rowcount(
            session,
            update(AuditEvent)
            .where(AuditEvent.subject_person_id == subject.person_id)
            .values(
                subject_person_id=None,
                details={},
                actor_telegram_id=func.nullif(
                    AuditEvent.actor_telegram_id, subject.telegram_user_id
                ),
            ),
        )
    # Events they caused about someone else stay that someone's trail, without their id.
    changed += await _rowcount(
        session,
        update(AuditEvent)
        .where(AuditEvent.actor_telegram_id == subject.telegram_user_id)
        .values(actor_telegram_id=None),
    )
    return changed


def _unlink_notice(
    ctx: Renderer, who: _Counterpart, name: str | None, pid: int, now: datetime
) -> Message:
    """Tell one linked person that the link ended; the leaver's name only, no health data."""
    # The name is one the recipient already knows from the link; it says which link ended.
    text = ctx.text(who.language, who.key, name=name or "—")
    return Message(
        chat_id=who.chat_id,
        recipient_id=who.person_id,
        kind=UNLINK_KIND,
        unique_key=outbox_keys.unlinked(pid, who.link_id, now),
        payload={"text": text, "buttons": []},
        not_before=now,
    )


# -- chat entry points -----------------------------------------------------------------------

# Callback data is "data:<choice>:<person id>". The id says which person the question was
# asked of (0: someone with no person row, such as a coordinator known only from the
# settings); it is compared with the tapping user's own person, never taken as a right.
PREFIX = buttons.DATA_RIGHTS_PREFIX
ERASE = "erase"
KEEP = "keep"


@dataclass(frozen=True)
class ButtonAnswer:
    """The answer to a confirmation tap: a reply, or a refusal shown on the tapped button."""

    reply: Reply | None
    refusal: str | None = None


def _subject(asker: Asker, person: Person | None) -> Subject:
    # In a private chat the chat id is the user id; a stored person may say otherwise.
    return Subject(
        telegram_user_id=asker.telegram_id,
        chat_id=person.chat_id if person is not None else asker.telegram_id,
        person_id=person.id if person is not None else None,
    )


def _locale(rt: Runtime, asker: Asker, person: Person | None) -> str:
    return person.language if person is not None else rt.catalog.resolve_locale(asker.language_code)


def _parse(data: str) -> tuple[str, int] | None:
    parts = data.removeprefix(PREFIX).split(":")
    owner = buttons.parse_number(parts[-1], maximum=buttons.MAX_ID)
    if len(parts) != 2 or parts[0] not in (ERASE, KEEP) or owner is None:
        return None
    return parts[0], owner


async def my_data(rt: Runtime, asker: Asker) -> list[Reply]:
    """/mydata: a JSON file of everything stored about the asker (the export is audited)."""
    now = rt.clock.now()
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        subject = _subject(asker, person)
        by_setting = asker.telegram_id in set(rt.settings.coordinator_ids)
        data = await collect_export(session, subject, now, coordinator_by_setting=by_setting)
        if data is not None:
            record_export(session, subject, data, now)
        locale = _locale(rt, asker, person)
        zone = ZoneInfo(person.timezone if person else rt.settings.default_timezone)
    if data is None:
        return [Reply(rt.text(locale, "data.export.nothing"))]
    body = export_bytes(data)
    name = f"reminderbot-mydata-{now.astimezone(zone).date().isoformat()}.json"
    log.info("data export user=%d bytes=%d", asker.telegram_id, len(body))
    return [Reply(rt.text(locale, "data.export.caption"), document=(name, body))]


async def ask_delete(rt: Runtime, asker: Asker) -> list[Reply]:
    """/delete: explain what erasing means and ask to confirm with a button."""
    async with rt.sessions() as session:
        person = await find_person(session, asker.telegram_id)
        stored = await anything_stored(session, _subject(asker, person))
    locale = _locale(rt, asker, person)
    if not stored:
        return [Reply(rt.text(locale, "data.delete.nothing"))]
    owner = person.id if person is not None else 0
    erase_label = rt.text(locale, "data.delete.confirm_button")
    keep_label = rt.text(locale, "data.delete.keep_button")
    return [
        Reply(
            rt.text(locale, "data.delete.ask"),
            keyboard(
                [(erase_label, f"{PREFIX}{ERASE}:{owner}")],
                [(keep_label, f"{PREFIX}{KEEP}:{owner}")],
            ),
        )
    ]


async def confirm_delete(rt: Runtime, asker: Asker, data: str) -> ButtonAnswer:
    """The confirmation buttons: only the person the question was asked of may answer."""
    parsed = _parse(data)
    now = rt.clock.now()
    told: int | None = None
    async with rt.sessions.begin() as session:
        person = await find_person(session, asker.telegram_id)
        locale = _locale(rt, asker, person)
        subject = _subject(asker, person)
        owner = person.id if person is not None else 0
        if parsed is None or parsed[1] != owner:
            target = await session.get(Person, parsed[1]) if parsed and parsed[1] else None
            add_audit(
                session,
                at=now,
                action="refused:data_button",
                actor_telegram_id=asker.telegram_id,
                # The target is the subject only while it exists; its id alone otherwise.
                subject_person_id=target.id if target is not None else None,
                details={} if target is not None else {"data": data[:64]},
            )
            reply = None
        elif parsed[0] == KEEP:
            reply = Reply(rt.text(locale, "data.delete.kept"))
        elif not await anything_stored(session, subject):
            # Someone never stored replaying a button: there is nothing to erase or audit.
            reply = Reply(rt.text(locale, "data.delete.nothing"))
        else:
            erasure = await erase(session, rt.renderer, subject, now)
            told = erasure.told
            reply = Reply(rt.text(locale, "data.delete.done"))
    log.info("data button user=%d refused=%s told=%s", asker.telegram_id, reply is None, told)
    if reply is None:
        return ButtonAnswer(None, rt.text(locale, "data.delete.not_yours"))
    return ButtonAnswer(reply)
