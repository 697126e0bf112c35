"""A person's data rights end to end: /mydata exports everything stored about them, /delete
erases it (after a confirmation only they can give) and tells the people linked to them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select

from reminderbot.care.escalation import Assessment
from reminderbot.sandbox import SimulatedUser
from reminderbot.services import alerts
from reminderbot.store.models import (
    Alert,
    AuditEvent,
    Base,
    BroadcastDraft,
    CalciumResult,
    CaregiverLink,
    CheckIn,
    InviteToken,
    OutboxDelivery,
    PatientProfile,
    Person,
    Role,
    Schedule,
)
from tests.e2e.conftest import COORDINATOR_ID, Harness

PATIENT_ID = 7_654_321
OTHER_ID = 7_000_002
CAREGIVER_ID = 7_000_003
# A name found nowhere in the catalog, with a non-ASCII letter to check the file's encoding.
NAME = "Zoë"
OTHER_NAME = "Bruno"
TOKEN_HASH = "f" * 64


@dataclass
class World:
    """Zoë (patient, also following Bruno), Bruno (another patient), Cara (caregiver of both)."""

    zoe: SimulatedUser
    bruno: SimulatedUser
    cara: SimulatedUser
    nurse: SimulatedUser
    zoe_id: int
    bruno_id: int
    cara_id: int
    proxy_checkin_id: int
    reported_for_bruno_id: int


def _person(telegram_id: int, name: str, now: datetime) -> Person:
    return Person(
        telegram_user_id=telegram_id,
        chat_id=telegram_id,
        display_name=name,
        language="en",
        timezone="Europe/Berlin",
        role=Role.CAREGIVER,
        created_at=now,
        updated_at=now,
    )


def _checkin(patient_id: int, reporter_id: int, score: int, at: datetime) -> CheckIn:
    return CheckIn(
        patient_id=patient_id,
        reporter_id=reporter_id,
        source="proxy" if reporter_id != patient_id else "test",
        prompted_at=at,
        answered_at=at,
        score=score,
        tier=0,
        answers={"now": score, "step": "done"},
    )


async def _world(harness: Harness) -> World:
    """Two onboarded patients, links both ways, proxy check-ins, an invite, two alerts."""
    zoe = harness.user(user_id=PATIENT_ID, first_name=NAME)
    bruno = harness.user(user_id=OTHER_ID, first_name=OTHER_NAME)
    cara = harness.user(user_id=CAREGIVER_ID, first_name="Cara")
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(zoe)
    await harness.onboard(bruno)
    zoe_person, bruno_person = await harness.person(zoe), await harness.person(bruno)
    assert zoe_person is not None and bruno_person is not None
    now = harness.clock.now()
    async with harness.rt.sessions.begin() as session:
        carer = _person(CAREGIVER_ID, "Cara", now)
        session.add(carer)
        await session.flush()
        session.add_all(
            [
                CaregiverLink(
                    patient_id=zoe_person.id,
                    caregiver_id=carer.id,
                    receives_weekly=True,
                    created_at=now,
                ),
                CaregiverLink(patient_id=bruno_person.id, caregiver_id=carer.id, created_at=now),
                # Zoë also follows Bruno: the link the other way round.
                CaregiverLink(
                    patient_id=bruno_person.id, caregiver_id=zoe_person.id, created_at=now
                ),
                InviteToken(
                    token_hash=TOKEN_HASH,
                    patient_id=zoe_person.id,
                    created_at=now,
                    expires_at=now + timedelta(days=2),
                ),
                # A broadcast she drafted (as a coordinator too) and never sent.
                BroadcastDraft(
                    coordinator_id=zoe_person.id, audience="*", text="Clinic closed", created_at=now
                ),
            ]
        )
        proxy = _checkin(zoe_person.id, carer.id, 8, now - timedelta(hours=1))
        for_bruno = _checkin(bruno_person.id, zoe_person.id, 4, now - timedelta(days=1))
        own = _checkin(zoe_person.id, zoe_person.id, 2, now - timedelta(days=2))
        session.add_all([proxy, for_bruno, own])
        await session.flush()
        # Cara's report of severe pain raises an alert, as the check-in flow would: it goes out
        # to the coordinator and to Cara, naming Zoë.
        patient = await session.get(Person, zoe_person.id)
        assert patient is not None
        await alerts.raise_alert(
            session,
            harness.rt,
            patient=patient,
            cause=alerts.PainCause(
                checkin=proxy,
                assessment=Assessment(
                    tier=2,
                    reasons=("pain_severe",),
                    worsened=False,
                    advice_keys=("advice.tier.t2",),
                    follow_up=False,
                    usual=2.0,
                ),
                trend=[2, 8],
                told_keys=["advice.tier.t2"],
                caregiver_name="Cara",
            ),
            now=now,
        )
        ids = (carer.id, proxy.id, for_bruno.id)
    # Through the bot: a high calcium result, stored with an alert of its own.
    await harness.say(zoe, "/calcium")
    advice = await harness.say(zoe, "3.0 mmol/L")  # issue 11: advice first, then "recorded"
    assert advice.text.startswith("This calcium result is high.")
    assert (await zoe.next_message()).text.startswith("Recorded: total calcium 3 mmol/L")
    await harness.deliver()
    await harness.until(cara, "🟠")
    await harness.until(nurse, "🟠")
    return World(zoe, bruno, cara, nurse, zoe_person.id, bruno_person.id, *ids)


async def _monday(harness: Harness) -> None:
    """Jump to Monday morning in Berlin: missed prompts, silence notices and a weekly summary."""
    harness.clock.set(datetime(2026, 3, 30, 7, 30, tzinfo=UTC))
    await harness.deliver()


def _about(person_id: int, telegram_id: int) -> dict[str, list[ColumnElement[bool]]]:
    """For every table, what makes a row about this person (written independently of the
    code under test, so the test checks the erasure rather than repeating it)."""
    return {
        "person": [Person.id == person_id, Person.telegram_user_id == telegram_id],
        "patient_profile": [PatientProfile.person_id == person_id],
        "schedule": [Schedule.patient_id == person_id],
        "checkin": [CheckIn.patient_id == person_id, CheckIn.reporter_id == person_id],
        "alert": [
            Alert.patient_id == person_id,
            Alert.acknowledged_by_id == person_id,
            Alert.resolved_by_id == person_id,
        ],
        "calcium_result": [CalciumResult.patient_id == person_id],
        "caregiver_link": [
            CaregiverLink.patient_id == person_id,
            CaregiverLink.caregiver_id == person_id,
        ],
        "invite_token": [InviteToken.patient_id == person_id, InviteToken.used_by_id == person_id],
        "broadcast_draft": [BroadcastDraft.coordinator_id == person_id],
        "audit_event": [
            AuditEvent.subject_person_id == person_id,
            AuditEvent.actor_telegram_id == telegram_id,
        ],
    }


async def _counts(
    harness: Harness,
    person_id: int,
    telegram_id: int,
    name: str,
    *,
    allowed: frozenset[str] = frozenset(),
) -> dict[str, int]:
    """Rows about a person in every table; outbox rows also when their text names them."""
    conditions = _about(person_id, telegram_id)
    counts: dict[str, int] = {}
    async with harness.rt.sessions() as session:
        for table, about in conditions.items():
            model = next(m.class_ for m in Base.registry.mappers if m.local_table.name == table)
            counts[table] = int(
                await session.scalar(select(func.count()).select_from(model).where(or_(*about)))
                or 0
            )
        rows = (await session.scalars(select(OutboxDelivery))).all()
    counts["outbox_delivery"] = sum(
        1
        for r in rows
        if r.recipient_id == person_id
        or r.chat_id == telegram_id
        or (
            name in json.dumps(r.payload, ensure_ascii=False)
            and r.payload.get("text") not in allowed
        )
    )
    assert set(counts) == {t.name for t in Base.metadata.sorted_tables}, "a table is not checked"
    return counts


async def _everything(harness: Harness) -> list[str]:
    """Every row of every table, as text."""
    async with harness.rt.sessions() as session:
        return [
            repr(tuple(row))
            for table in Base.metadata.sorted_tables
            for row in (await session.execute(select(table))).all()
        ]


async def _audit(harness: Harness, action: str) -> list[AuditEvent]:
    async with harness.rt.sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list((await session.scalars(stmt)).all())


async def _ask_delete(harness: Harness, user: SimulatedUser) -> None:
    ask = await harness.say(user, "/delete")
    assert ask.text == harness.t("data.delete.ask")
    assert ask.buttons == [
        [harness.t("data.delete.confirm_button")],
        [harness.t("data.delete.keep_button")],
    ]


# -- /mydata ---------------------------------------------------------------------------------


async def _export(harness: Harness, user: SimulatedUser) -> tuple[str, dict[str, Any], bytes]:
    user.mark_read()
    await user.send("/mydata")
    document = await user.next_message(timeout=20)
    assert document.kind == "document", document.text
    assert document.text == harness.t("data.export.caption")
    raw = document.file_bytes
    assert raw is not None and document.file_name is not None
    return document.file_name, json.loads(raw.decode("utf-8")), raw


async def test_mydata_exports_everything_about_the_patient(harness: Harness) -> None:
    world = await _world(harness)
    await _monday(harness)
    name, data, raw = await _export(harness, world.zoe)
    assert name == "reminderbot-mydata-2026-03-30.json"
    # UTF-8, not \u escapes; pretty-printed.
    assert NAME.encode() in raw and b"\\u00eb" not in raw and b'\n  "person": {' in raw

    pid = world.zoe_id
    async with harness.rt.sessions() as session:

        async def ids(model: Any, *where: Any) -> list[int]:
            stmt = select(model.id).where(*where).order_by(model.id)
            return list((await session.scalars(stmt)).all())

        schedules = await ids(Schedule, Schedule.patient_id == pid)
        checkins = await ids(CheckIn, CheckIn.patient_id == pid)
        alerts = await ids(Alert, Alert.patient_id == pid)
        results = (
            await session.scalars(select(CalciumResult).where(CalciumResult.patient_id == pid))
        ).all()
        invites = await ids(InviteToken, InviteToken.patient_id == pid)
        outbox = await ids(OutboxDelivery, OutboxDelivery.recipient_id == pid)
        audit = await ids(
            AuditEvent,
            or_(AuditEvent.subject_person_id == pid, AuditEvent.actor_telegram_id == PATIENT_ID),
            AuditEvent.action != "data:export",  # recorded once the file was made
        )
        profile = await session.get(PatientProfile, pid)
        assert profile is not None

    person = data["person"]
    assert (person["id"], person["telegram_user_id"], person["display_name"]) == (
        pid,
        PATIENT_ID,
        NAME,
    )
    assert person["timezone"] == "Europe/Berlin" and person["role"] == "patient"
    assert data["patient_profile"]["status"] == "active"
    assert data["patient_profile"]["consent_at"] == profile.consent_at.isoformat()
    assert data["patient_profile"]["consent_at"].endswith("+00:00")
    assert [s["id"] for s in data["schedules"]] == schedules and schedules
    assert [c["id"] for c in data["checkins"]] == checkins and len(checkins) == 2
    proxy = next(c for c in data["checkins"] if c["id"] == world.proxy_checkin_id)
    assert proxy["reporter_id"] == world.cara_id and proxy["score"] == 8
    assert [c["id"] for c in data["checkins_you_reported_for_others"]] == [
        world.reported_for_bruno_id
    ]
    assert [a["id"] for a in data["alerts"]] == alerts and len(alerts) == 2
    assert [a["reasons"] for a in data["alerts"]] == [["pain_severe"], ["calcium:high_g2"]]
    assert [(r["value"], r["unit"], r["measured_on"]) for r in data["calcium_results"]] == [
        (r.value, r.unit, r.measured_on.isoformat()) for r in results
    ]
    assert [(c["caregiver_id"], c["caregiver_name"]) for c in data["caregivers_following_you"]] == [
        (world.cara_id, "Cara")
    ]
    assert [(p["patient_id"], p["patient_name"]) for p in data["patients_you_follow"]] == [
        (world.bruno_id, OTHER_NAME)
    ]
    assert [i["id"] for i in data["invites_you_created"]] == invites and invites
    assert "token_hash" not in data["invites_you_created"][0]
    drafts = [(d["audience"], d["text"]) for d in data["broadcast_drafts"]]
    assert drafts == [("*", "Clinic closed")]
    assert TOKEN_HASH.encode() not in raw
    assert [m["id"] for m in data["messages_to_you"]] == outbox and outbox
    assert {m["state"] for m in data["messages_to_you"]} >= {"missed"}
    assert [e["id"] for e in data["audit_events"]] == audit
    assert {"consent", "status:active"} <= {e["action"] for e in data["audit_events"]}

    (export,) = await _audit(harness, "data:export")
    assert (export.actor_telegram_id, export.subject_person_id) == (PATIENT_ID, pid)


async def test_mydata_for_caregiver_coordinator_and_stranger(harness: Harness) -> None:
    world = await _world(harness)
    _, cara, _ = await _export(harness, world.cara)
    assert cara["patient_profile"] is None and cara["person"]["role"] == "caregiver"
    assert sorted(p["patient_name"] for p in cara["patients_you_follow"]) == [OTHER_NAME, NAME]
    assert [c["id"] for c in cara["checkins_you_reported_for_others"]] == [world.proxy_checkin_id]
    assert any(m["text"].startswith("🟠") for m in cara["messages_to_you"])

    # A coordinator known only from the deployment's settings has no person row, but the
    # alerts sent to their chat are still theirs.
    _, nurse, _ = await _export(harness, world.nurse)
    assert nurse["coordinator_by_deployment_setting"] is True and "person" not in nurse
    # The pain alert and the high calcium result's alert.
    assert [m["kind"] for m in nurse["messages_to_you"]] == ["alert", "alert"]

    stranger = harness.user(user_id=5555, first_name="Eve")
    reply = await harness.say(stranger, "/mydata")
    assert reply.text == harness.t("data.export.nothing")
    assert [e.actor_telegram_id for e in await _audit(harness, "data:export")] == [
        CAREGIVER_ID,
        COORDINATOR_ID,
    ]


async def test_menu_lists_the_data_commands(harness: Harness) -> None:
    commands = {c.command: c.description for c in await harness.app.bot.get_my_commands()}
    assert commands["mydata"] == harness.t("common.commands.mydata")
    assert commands["delete"] == harness.t("common.commands.delete")


# -- /delete ---------------------------------------------------------------------------------


async def test_delete_erases_everything_about_the_patient_and_tells_the_linked(
    harness: Harness,
) -> None:
    world = await _world(harness)
    await _monday(harness)
    patient_left = harness.t("data.unlinked.patient_left", name=NAME)
    caregiver_left = harness.t("data.unlinked.caregiver_left", name=NAME)
    notices = frozenset({patient_left, caregiver_left})
    before = await _counts(harness, world.zoe_id, PATIENT_ID, NAME)
    assert all(before.values()), before
    bruno_before = await _counts(harness, world.bruno_id, OTHER_ID, OTHER_NAME)
    # As Bruno's caregiver she was told about his silence: those messages were hers.
    async with harness.rt.sessions() as session:
        to_her = (
            await session.scalars(
                select(OutboxDelivery).where(OutboxDelivery.recipient_id == world.zoe_id)
            )
        ).all()
    about_bruno_to_her = sum(1 for r in to_her if OTHER_NAME in r.payload.get("text", ""))
    assert about_bruno_to_her
    assert any(r.startswith("📊") for r in [m.text for m in world.cara.messages])

    await _ask_delete(harness, world.zoe)
    done = await harness.tap(world.zoe, harness.t("data.delete.confirm_button"))
    assert done.text == harness.t("data.delete.done")

    after = await _counts(harness, world.zoe_id, PATIENT_ID, NAME, allowed=notices)
    assert after == dict.fromkeys(after, 0), after
    # Nothing anywhere still names her, except the two notices that the link ended.
    leftovers = [row for row in await _everything(harness) if NAME in row]
    assert len(leftovers) == 2 and all(
        patient_left in row or caregiver_left in row for row in leftovers
    )

    # Bruno's data is untouched: his check-in that Zoë reported stays his, without her.
    bruno_after = await _counts(harness, world.bruno_id, OTHER_ID, OTHER_NAME)
    assert bruno_after == {
        **bruno_before,
        # Plus the notice that she left, minus what she had been sent about him.
        "outbox_delivery": bruno_before["outbox_delivery"] + 1 - about_bruno_to_her,
        "caregiver_link": bruno_before["caregiver_link"] - 1,  # her following him
    }
    async with harness.rt.sessions() as session:
        reported = await session.get(CheckIn, world.reported_for_bruno_id)
        assert reported is not None and reported.reporter_id is None
        cara_links = (
            await session.scalars(
                select(CaregiverLink).where(CaregiverLink.caregiver_id == world.cara_id)
            )
        ).all()
        assert [link.patient_id for link in cara_links] == [world.bruno_id]

    # The audit trail keeps what happened and when, with counts only for the erasure.
    (deleted,) = await _audit(harness, "data:deleted")
    assert deleted.subject_person_id is None and deleted.actor_telegram_id is None
    assert deleted.details["person"] == 1 and deleted.details["checkin"] == 2
    assert deleted.details["caregiver_link"] == 2 and deleted.details["alert"] == 2
    assert [e.subject_person_id for e in await _audit(harness, "consent")] == [None, None]
    assert [e.actor_telegram_id for e in await _audit(harness, "consent")] == [None, OTHER_ID]

    # Cara (her caregiver) and Bruno (whom she followed) are told, without any health data.
    await harness.deliver()
    assert (await harness.until(world.cara, patient_left)).text == patient_left
    assert (await harness.until(world.bruno, caregiver_left)).text == caregiver_left

    # She can start again; the old confirmation button does not touch her new self.
    await harness.onboard(world.zoe)
    again = await harness.person(world.zoe)
    assert again is not None and again.id != world.zoe_id
    answered = len(world.zoe.callback_answers)
    await world.zoe.forge_tap(f"data:erase:{world.zoe_id}")
    await world.zoe.wait_for(lambda u: len(u.callback_answers) > answered, timeout=10)
    assert world.zoe.callback_answers[-1].text == harness.t("data.delete.not_yours")
    assert await harness.person(world.zoe) is not None


async def test_keep_my_data_changes_nothing(harness: Harness) -> None:
    world = await _world(harness)
    rows = await _everything(harness)
    await _ask_delete(harness, world.zoe)
    kept = await harness.tap(world.zoe, harness.t("data.delete.keep_button"))
    assert kept.text == harness.t("data.delete.kept")
    assert await _everything(harness) == rows
    # The question's buttons are gone, so it cannot be answered later by mistake.
    await world.zoe.wait_for(lambda u: u.messages[-2].inline_keyboard is None, timeout=10)


async def test_forged_confirmation_is_refused_and_audited(harness: Harness) -> None:
    world = await _world(harness)
    before = await _counts(harness, world.zoe_id, PATIENT_ID, NAME)
    forged = f"data:erase:{world.zoe_id}"
    # Bruno asks about his own data, then replays the button with Zoë's id instead of his.
    await _ask_delete(harness, world.bruno)
    stranger = harness.user(user_id=5555, first_name="Eve")
    await harness.say(stranger, "/help")
    for user in (world.bruno, stranger):
        answered = len(user.callback_answers)
        await user.forge_tap(forged)
        await user.wait_for(lambda u, n=answered: len(u.callback_answers) > n, timeout=10)
        answer = user.callback_answers[-1]
        assert answer.text == harness.t("data.delete.not_yours") and answer.show_alert
    # Nothing of hers changed; the two refusals are recorded as events about her.
    after = await _counts(harness, world.zoe_id, PATIENT_ID, NAME)
    assert after == {**before, "audit_event": before["audit_event"] + 2}
    assert await harness.person(world.bruno) is not None
    refused = await _audit(harness, "refused:data_button")
    assert [(e.actor_telegram_id, e.subject_person_id) for e in refused] == [
        (OTHER_ID, world.zoe_id),
        (5555, world.zoe_id),
    ]
    assert not await _audit(harness, "data:deleted")


async def test_delete_for_someone_never_stored(harness: Harness) -> None:
    stranger = harness.user(user_id=5555, first_name="Eve")
    reply = await harness.say(stranger, "/delete")
    assert reply.text == harness.t("data.delete.nothing") and reply.buttons == []
    # Replaying a button meant for someone with no person row erases and records nothing.
    await stranger.forge_tap("data:erase:0")
    assert (await stranger.next_message()).text == harness.t("data.delete.nothing")
    assert not await _audit(harness, "data:deleted")


async def test_coordinator_known_only_from_settings_can_erase_their_messages(
    harness: Harness,
) -> None:
    world = await _world(harness)
    zoe_before = await _counts(harness, world.zoe_id, PATIENT_ID, NAME)
    await _ask_delete(harness, world.nurse)
    done = await harness.tap(world.nurse, harness.t("data.delete.confirm_button"))
    assert done.text == harness.t("data.delete.done")
    async with harness.rt.sessions() as session:
        left = await session.scalar(
            select(func.count())
            .select_from(OutboxDelivery)
            .where(OutboxDelivery.chat_id == COORDINATOR_ID)
        )
    assert left == 0
    (deleted,) = await _audit(harness, "data:deleted")
    assert deleted.details["outbox_delivery"] == 2  # the pain and calcium alerts about Zoë
    # Zoë's own data stays; only the copies addressed to the coordinator went.
    zoe_after = await _counts(harness, world.zoe_id, PATIENT_ID, NAME)
    assert zoe_after == {**zoe_before, "outbox_delivery": zoe_before["outbox_delivery"] - 2}
