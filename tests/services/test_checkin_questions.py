"""The questions of a check-in as replies: the text for each step, its buttons, the /pain prompt."""

from __future__ import annotations

from datetime import timedelta

import pytest

from reminderbot.content import Catalog
from reminderbot.content.escalation_rules import load_escalation_rules
from reminderbot.delivery import callbacks
from reminderbot.runtime import Runtime
from reminderbot.services import checkin_questions
from reminderbot.services.checkin_questions import question
from reminderbot.services.replies import Reply
from reminderbot.store.models import CheckIn, Person
from reminderbot.store.people import find_person
from tests.services.conftest import World
from tests.services.runtime_for import runtime_for
from tests.services.subscription_helpers import ADA_TG, button_data

# Telegram refuses callback data longer than 64 bytes.
MAX_CALLBACK_BYTES = 64
# The largest id a 64-bit primary key can reach: the data must fit even then.
HUGE_ID = 2**63 - 1


@pytest.fixture
def rt(world: World, catalog: Catalog) -> Runtime:
    """The services' Runtime on the seeded database."""
    return runtime_for(world, catalog)


def _at(step: str, checkin_id: int = 41) -> CheckIn:
    return CheckIn(id=checkin_id, answers={"now": 8, "step": step})


def _labels(reply: Reply) -> list[list[str]]:
    return [[label for label, _ in row] for row in reply.buttons]


async def _ada(world: World) -> Person:
    async with world.sessions() as session:
        ada = await find_person(session, ADA_TG)
    assert ada is not None
    return ada


@pytest.mark.parametrize("step", checkin_questions.SCALE_STEPS)
def test_a_scale_question_offers_0_to_10_in_two_rows(rt: Runtime, step: str) -> None:
    reply = question(rt, "en", _at(step))
    assert reply.text == rt.text("en", f"checkin.ask_{step}")
    assert _labels(reply) == [[str(n) for n in range(6)], [str(n) for n in range(6, 11)]]
    assert button_data(reply) == [f"cq|41|{step}:{n}" for n in range(11)]
    parsed = [callbacks.parse(data) for data in button_data(reply)]
    assert {(p.action, p.key) for p in parsed if p is not None} == {("cq", "41")}


def test_the_rescue_question_has_yes_no_and_not_taken_in_the_askers_language(
    rt: Runtime,
) -> None:
    reply = question(rt, "zh-Hans", _at("rescue"))
    assert reply.text == rt.text("zh-Hans", "checkin.ask_rescue")
    assert _labels(reply) == [
        [rt.text("zh-Hans", "checkin.yes_button"), rt.text("zh-Hans", "checkin.no_button")],
        [rt.text("zh-Hans", "checkin.not_taken_button")],
    ]
    assert button_data(reply) == ["cq|41|rescue:yes", "cq|41|rescue:no", "cq|41|rescue:na"]


def test_a_red_flag_question_is_a_plain_yes_or_no(rt: Runtime) -> None:
    reply = question(rt, "en", _at("flag:mscc"))
    assert reply.text == rt.text("en", "checkin.red_flag.mscc")
    assert _labels(reply) == [
        [rt.text("en", "checkin.yes_button"), rt.text("en", "checkin.no_button")]
    ]
    assert button_data(reply) == ["cq|41|flag:mscc:yes", "cq|41|flag:mscc:no"]


def test_the_last_question_asks_for_a_note_that_may_be_skipped(rt: Runtime) -> None:
    reply = question(rt, "en", _at("note"))
    assert reply.text == rt.text("en", "checkin.ask_note")
    assert reply.buttons == (((rt.text("en", "checkin.skip_button"), "cq|41|note:skip"),),)


@pytest.mark.parametrize(
    "step",
    [*checkin_questions.SCALE_STEPS, "rescue", "note"]
    + [f"flag:{flag.id}" for flag in load_escalation_rules().red_flags],
)
def test_every_buttons_data_fits_telegrams_64_bytes_even_for_a_huge_id(
    rt: Runtime, step: str
) -> None:
    reply = question(rt, "en", _at(step, HUGE_ID))
    assert reply.buttons
    for data in button_data(reply):
        assert len(data.encode()) <= MAX_CALLBACK_BYTES, data
        assert callbacks.parse(data) is not None


# --- /pain --------------------------------------------------------------------------------------


async def test_pain_prompt_is_the_scheduled_prompt_without_its_snooze(
    rt: Runtime, world: World
) -> None:
    ada = await _ada(world)
    reply = checkin_questions.pain_prompt(rt, ada, rt.clock.now(), 77)
    assert reply.text == rt.text("en", "delivery.checkin.prompt")
    assert _labels(reply) == [[str(n) for n in range(6)], [str(n) for n in range(6, 11)]]
    assert not any(data.startswith(callbacks.SNOOZE_HOUR) for data in button_data(reply))
    for data in button_data(reply):
        assert len(data.encode()) <= MAX_CALLBACK_BYTES


async def test_each_pain_command_is_its_own_prompt(rt: Runtime, world: World) -> None:
    ada = await _ada(world)
    now = rt.clock.now()

    def key(reply: Reply) -> str:
        parsed = callbacks.parse(button_data(reply)[0])
        assert parsed is not None and parsed.action == callbacks.CHECKIN
        return parsed.key

    first = key(checkin_questions.pain_prompt(rt, ada, now, 77))
    assert first == f"pain:{ada.id}:{int(now.timestamp())}:77"
    # Two /pain within the same second differ by their message id; later ones by the time.
    assert key(checkin_questions.pain_prompt(rt, ada, now, 78)) != first
    assert key(checkin_questions.pain_prompt(rt, ada, now + timedelta(seconds=1), 77)) != first


async def test_the_prompt_speaks_the_patients_language(rt: Runtime, world: World) -> None:
    ada = await _ada(world)
    ada.language = "zh-Hans"
    reply = checkin_questions.prompt_reply(rt, ada, "s1@1")
    assert reply.text == rt.text("zh-Hans", "delivery.checkin.prompt")
    assert button_data(reply) == [f"ci|s1@1|{n}" for n in range(11)]
