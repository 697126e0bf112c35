"""Nothing is stored before consent; stale buttons; long and odd input always gets an answer."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import Harness

ODD_INPUTS = [
    "x" * 4000,
    "🙂🦴💊" * 300,
    "مرحبا، أشعر بألم في ظهري",  # right-to-left text
    "שלום\u200f עולם",
    "\u200b\u200d\ufeff",
    "{name} {0} %s {{}}",
    "<b>bold</b> *md* _it_ `code`",
    "/start@reminder_test_bot extra words",
    "/unknowncommand",
]


async def test_nothing_stored_before_consent(harness: Harness) -> None:
    ada = harness.user()
    await harness.say(ada, "/start")
    for text in ("hello", "/settings", "/stop", "Europe/Berlin", "/pain"):
        reply = await harness.say(ada, text)
        assert reply.text, text
    assert all(count == 0 for count in (await harness.row_counts()).values())


async def test_consent_double_tap_records_once(harness: Harness) -> None:
    ada = harness.user()
    await harness.say(ada, "/start")
    # Both taps reach the bot before it has closed the keyboard, as a quick double tap does.
    await ada.tap("I agree")
    await ada.tap("I agree")
    await ada.wait_for(lambda u: len(u.callback_answers) == 2, timeout=10)
    assert (await harness.row_counts())["person"] == 1
    assert [a.text for a in ada.callback_answers] == [None, harness.t("common.stale_button")]
    questions = [m for m in ada.messages if m.text == harness.t("onboarding.language.ask")]
    assert len(questions) == 1


async def test_double_tap_on_keep_times_finishes_once(harness: Harness) -> None:
    ada = harness.user()
    await harness.consent(ada)
    await harness.tap(ada, "Europe/Berlin")
    await harness.until(ada, "I'll ask about your pain")
    answered = len(ada.callback_answers)
    await ada.tap("Keep these times")
    await ada.tap("Keep these times")
    await ada.wait_for(lambda u: len(u.callback_answers) == answered + 2, timeout=10)
    assert ada.callback_answers[-1].text == harness.t("common.stale_button")
    summaries = [m for m in ada.messages if m.text.startswith("You're all set")]
    assert len(summaries) == 1
    assert (await harness.row_counts())["schedule"] == 3


@pytest.mark.parametrize("stage", ["before_consent", "choosing_zone", "subscribed"])
async def test_long_and_odd_input_always_answered(harness: Harness, stage: str) -> None:
    ada = harness.user()
    if stage != "before_consent":
        await harness.consent(ada)
    if stage == "subscribed":
        await harness.tap(ada, "Europe/Berlin")
        await harness.until(ada, "I'll ask about your pain")
        await harness.tap(ada, "Keep these times")
    error_text = harness.t("common.error")
    for text in ODD_INPUTS:
        reply = await harness.say(ada, text)
        assert reply.text and reply.text != error_text, text
        assert len(reply.text) <= 4096
        assert text[:200] not in reply.text or len(text) < 40
    assert harness.sandbox.counters.get("400", 0) == 0
