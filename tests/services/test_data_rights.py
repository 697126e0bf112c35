"""Data rights in chat: /mydata gives a JSON file, /delete asks, only the owner's tap erases."""

from __future__ import annotations

import json

from sqlalchemy import select

from reminderbot.runtime import Runtime
from reminderbot.services import data_rights
from reminderbot.services.replies import Asker
from reminderbot.store.models import BroadcastDraft, Person
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.staff_helpers import NURSE, STRANGER, audits, button

ZOE = Asker(5001, "Zoë", "en")


async def test_mydata_is_a_json_file_and_the_export_is_audited(world: World, rt: Runtime) -> None:
    (reply,) = await data_rights.my_data(rt, ZOE)
    assert reply.document is not None
    name, body = reply.document
    assert name == "reminderbot-mydata-2026-03-27.json"
    data = json.loads(body)
    assert data["person"]["id"] == world.ids.zoe
    assert reply.text == rt.text("en", "data.export.caption")
    (event,) = await audits(world, "data:export")
    assert (event.actor_telegram_id, event.subject_person_id) == (ZOE.telegram_id, world.ids.zoe)


async def test_mydata_includes_a_coordinators_broadcast_draft(world: World, rt: Runtime) -> None:
    async with world.sessions.begin() as session:
        session.add(
            BroadcastDraft(
                coordinator_id=world.ids.coordinator,
                audience="*",
                text="Closed Monday",
                created_at=world.clock.now(),
            )
        )
    (reply,) = await data_rights.my_data(rt, NURSE)
    assert reply.document is not None
    data = json.loads(reply.document[1])
    assert [d["text"] for d in data["broadcast_drafts"]] == ["Closed Monday"]


async def test_nothing_stored_means_nothing_to_export_or_erase(world: World, rt: Runtime) -> None:
    (reply,) = await data_rights.my_data(rt, STRANGER)
    assert reply.text == rt.text("en", "data.export.nothing") and reply.document is None
    (asked,) = await data_rights.ask_delete(rt, STRANGER)
    assert asked.text == rt.text("en", "data.delete.nothing")


async def test_only_the_owner_can_confirm_and_keep_changes_nothing(
    world: World, rt: Runtime
) -> None:
    (asked,) = await data_rights.ask_delete(rt, ZOE)
    erase = button(asked, rt.text("en", "data.delete.confirm_button"))
    keep = button(asked, rt.text("en", "data.delete.keep_button"))
    assert erase == f"data:erase:{world.ids.zoe}"

    refused = await data_rights.confirm_delete(rt, NURSE, erase)
    assert refused.reply is None
    assert refused.refusal == rt.text("en", "data.delete.not_yours")
    (event,) = await audits(world, "refused:data_button")
    assert event.subject_person_id == world.ids.zoe

    kept = await data_rights.confirm_delete(rt, ZOE, keep)
    assert kept.reply is not None and kept.reply.text == rt.text("en", "data.delete.kept")
    async with world.sessions() as session:
        assert await find_person(session, ZOE.telegram_id) is not None


async def test_confirmed_erasure_removes_the_person_and_their_draft(
    world: World, rt: Runtime
) -> None:
    async with world.sessions.begin() as session:
        session.add(
            BroadcastDraft(
                coordinator_id=world.ids.coordinator,
                audience="*",
                text="Closed Monday",
                created_at=world.clock.now(),
            )
        )
    (asked,) = await data_rights.ask_delete(rt, NURSE)
    erase = button(asked, rt.text("en", "data.delete.confirm_button"))
    done = await data_rights.confirm_delete(rt, NURSE, erase)
    assert done.reply is not None and done.reply.text == rt.text("en", "data.delete.done")
    async with world.sessions() as session:
        assert await session.get(Person, world.ids.coordinator) is None
        assert (await session.scalars(select(BroadcastDraft))).all() == []
    (deleted,) = await audits(world, "data:deleted")
    assert deleted.details["broadcast_draft"] == 1 and deleted.details["person"] == 1
