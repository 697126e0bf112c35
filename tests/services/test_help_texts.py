"""Fixed answers: /help (with the coordinators' part for coordinators) in the right language."""

from __future__ import annotations

from reminderbot.runtime import Runtime
from reminderbot.services import help_texts
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.seed import COORDINATOR_TG
from tests.services.subscription_helpers import STRANGER_TG, ZOE_TG, asker


async def test_help_for_a_patient_and_for_someone_unknown(rt: Runtime, world: World) -> None:
    zoe = await help_texts.help_replies(rt, asker(ZOE_TG, language_code="zh"))
    # A stored person's language wins over the app's.
    assert [r.text for r in zoe] == [rt.text("en", "common.help")]
    stranger = await help_texts.help_replies(rt, asker(STRANGER_TG, language_code="zh"))
    assert [r.text for r in stranger] == [rt.text("zh-Hans", "common.help")]


async def test_help_for_a_coordinator_adds_their_commands(rt: Runtime, world: World) -> None:
    replies = await help_texts.help_replies(rt, asker(COORDINATOR_TG))
    assert [r.text for r in replies] == [
        rt.text("en", "common.help"),
        rt.text("en", "coordinator.help"),
    ]


async def test_catalog_reply_speaks_the_stored_language(rt: Runtime, world: World) -> None:
    async with world.sessions.begin() as session:
        zoe = await find_person(session, ZOE_TG)
        assert zoe is not None
        zoe.language = "zh-Hans"
    replies = await help_texts.catalog_reply(
        rt, asker(ZOE_TG, language_code="en"), "common.not_text"
    )
    assert [r.text for r in replies] == [rt.text("zh-Hans", "common.not_text")]
