"""Coordinators by setting and by role: listing both, granting, revoking, refusals."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from reminderbot.runtime import Runtime
from reminderbot.services import coordinator_desk, coordinators
from reminderbot.services.admin_common import CLI_ACTOR, AdminInputError, parse_telegram_id
from reminderbot.services.coordinators import Source
from reminderbot.services.replies import Asker
from reminderbot.store.audience import is_coordinator
from reminderbot.store.models import AuditEvent, OutboxDelivery, Person, Role
from tests.services.conftest import SETTING_COORDINATOR, World
from tests.services.seed import CAREGIVER_TG, COORDINATOR_TG

ZOE_TG = 5001
NURSE_ASKER = Asker(COORDINATOR_TG, "Kim", "en")
CARER_ASKER = Asker(CAREGIVER_TG, "Charles", "en")
SETTING_ONLY = 777


async def _grant(world: World, uid: int) -> coordinators.GrantResult:
    async with world.sessions.begin() as session:
        return await coordinators.grant(
            session,
            uid,
            configured_ids=(SETTING_ONLY, ZOE_TG),
            default_timezone="Europe/Berlin",
            actor=CLI_ACTOR,
            now=world.clock.now(),
        )


async def _revoke(world: World, uid: int) -> coordinators.RevokeResult:
    async with world.sessions.begin() as session:
        return await coordinators.revoke(
            session,
            uid,
            configured_ids=(SETTING_ONLY, ZOE_TG),
            actor=CLI_ACTOR,
            now=world.clock.now(),
        )


async def _person(world: World, uid: int) -> Person:
    async with world.sessions() as session:
        person = await session.scalar(select(Person).where(Person.telegram_user_id == uid))
    assert person is not None
    return person


async def test_list_says_where_rights_come_from(world: World) -> None:
    async with world.sessions() as session:
        entries = await coordinators.list_coordinators(session, (SETTING_ONLY, ZOE_TG))
    assert [(e.telegram_user_id, e.person_id, e.name, e.sources) for e in entries] == [
        (SETTING_ONLY, None, None, (Source.SETTING,)),
        (ZOE_TG, world.ids.zoe, "Zoë 王芳", (Source.SETTING,)),
        (COORDINATOR_TG, world.ids.coordinator, "Nurse Kim", (Source.ROLE,)),
    ]


async def test_grant_creates_someone_who_never_wrote(world: World) -> None:
    result = await _grant(world, 424242)
    assert (result.created, result.changed, result.also_by_setting) == (True, True, False)
    person = await _person(world, 424242)
    assert (person.chat_id, person.language, person.timezone, person.role) == (
        424242,
        "en",
        "Europe/Berlin",
        Role.COORDINATOR,
    )
    async with world.sessions() as session:
        assert await is_coordinator(session, 424242, ())
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "coordinator:grant")
        )
    assert event is not None
    assert (event.actor_telegram_id, event.subject_person_id) == (None, person.id)
    assert event.details == {
        "via": "cli",
        "telegram_id": 424242,
        "created": True,
        "previous_role": None,
    }
    again = await _grant(world, 424242)
    assert (again.created, again.changed) == (False, False)


async def test_revoke_gives_back_the_earlier_role(world: World) -> None:
    # A patient who is also listed in the setting, a caregiver, and a coordinator only.
    for uid in (ZOE_TG, CAREGIVER_TG):
        assert (await _grant(world, uid)).changed
    zoe = await _revoke(world, ZOE_TG)
    assert (zoe.new_role, zoe.still_by_setting) == (Role.PATIENT, True)
    assert (await _person(world, ZOE_TG)).role == Role.PATIENT
    caregiver = await _revoke(world, CAREGIVER_TG)
    assert (caregiver.new_role, caregiver.still_by_setting) == (Role.CAREGIVER, False)
    assert (await _person(world, CAREGIVER_TG)).role == Role.CAREGIVER
    kim = await _revoke(world, COORDINATOR_TG)
    assert kim.new_role is None
    async with world.sessions() as session:
        assert not await is_coordinator(session, COORDINATOR_TG, ())
        assert await is_coordinator(session, ZOE_TG, (ZOE_TG,))
        actions = (await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))).all()
    assert actions[-5:] == ["coordinator:grant"] * 2 + ["coordinator:revoke"] * 3


@pytest.mark.parametrize(
    ("uid", "key"),
    [
        (SETTING_ONLY, "admin.coordinator.only_by_setting"),
        (ZOE_TG, "admin.coordinator.only_by_setting"),
        (CAREGIVER_TG, "admin.coordinator.not_coordinator"),
        (99999, "admin.coordinator.not_coordinator"),
    ],
)
async def test_revoke_refusals_change_nothing(world: World, uid: int, key: str) -> None:
    with pytest.raises(AdminInputError) as raised:
        await _revoke(world, uid)
    assert raised.value.key == key
    async with world.sessions() as session:
        assert (
            await session.scalar(select(AuditEvent).where(AuditEvent.action.like("coord%"))) is None
        )


@pytest.mark.parametrize("typed", ["abc", "-5", "0", "12.5", "", str(2**52)])
def test_telegram_ids_are_positive_whole_numbers(typed: str) -> None:
    with pytest.raises(AdminInputError) as raised:
        parse_telegram_id(typed)
    assert raised.value.key == "admin.coordinator.bad_id"
    assert parse_telegram_id(" 123456789 ") == 123456789


# --- in chat: who counts as a coordinator, and asking a patient now ----------------------------


async def test_chat_commands_refuse_non_coordinators_and_audit_it(
    world: World, rt: Runtime
) -> None:
    (refused,) = await coordinator_desk.alerts(rt, CARER_ASKER, CAREGIVER_TG)
    assert refused.text == rt.text("en", "coordinator.not_allowed")
    (event,) = await _audits(world, "refused:alerts")
    assert event.actor_telegram_id == CAREGIVER_TG
    assert await _audits(world, "view:alerts") == []


async def test_a_coordinator_by_setting_gets_a_person_row_on_first_use(
    world: World, rt: Runtime
) -> None:
    asker = Asker(SETTING_COORDINATOR, "Sam", "en")
    await coordinator_desk.alerts(rt, asker, SETTING_COORDINATOR)
    person = await _person(world, SETTING_COORDINATOR)
    assert (person.role, person.display_name, person.chat_id) == (
        Role.COORDINATOR,
        "Sam",
        SETTING_COORDINATOR,
    )


async def test_ask_now_queues_a_followup_check_in_and_audits(world: World, rt: Runtime) -> None:
    (usage,) = await coordinator_desk.checkin(rt, NURSE_ASKER, COORDINATOR_TG, [])
    assert usage.text == rt.text("en", "coordinator.checkin.usage")
    (paused,) = await coordinator_desk.checkin(
        rt, NURSE_ASKER, COORDINATOR_TG, [str(world.ids.bob)]
    )
    assert paused.text == rt.text(
        "en",
        "coordinator.checkin.not_active",
        patient_name="Bob",
        status=rt.text("en", "coordinator.status.paused"),
    )
    (sent,) = await coordinator_desk.checkin(
        rt, NURSE_ASKER, COORDINATOR_TG, [f"#{world.ids.finn}"]
    )
    assert sent.text == rt.text("en", "coordinator.checkin.sent", patient_name="Finn")
    async with world.sessions() as session:
        rows = (
            await session.scalars(
                select(OutboxDelivery).where(OutboxDelivery.unique_key.like("ask:%"))
            )
        ).all()
    assert [(r.recipient_id, r.kind, r.payload["patient_id"]) for r in rows] == [
        (world.ids.finn, "followup", world.ids.finn)
    ]
    assert [e.subject_person_id for e in await _audits(world, "checkin:ask_now")] == [
        world.ids.finn
    ]


async def _audits(world: World, action: str) -> list[AuditEvent]:
    async with world.sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        return list((await session.scalars(stmt)).all())
