"""Database gauges on /metrics: the oldest unacknowledged emergency, the answer ratio."""

from __future__ import annotations

from datetime import timedelta

import aiohttp

from reminderbot.ops.server import OpsServer
from reminderbot.store.models import ScheduleKind
from tests.e2e.conftest import COORDINATOR_ID, Harness
from tests.ops.helpers import scrape, value

OLDEST = "reminderbot_emergency_alert_unacknowledged_oldest_seconds"


async def _emergency(harness: Harness) -> None:
    """Ada reports leg weakness in a check-in: an emergency (tier 3) alert."""
    ada = harness.user()
    await harness.onboard(ada)
    await harness.say(ada, "/pain")
    await harness.tap(ada, "6")
    question = harness.t("checkin.red_flag.mscc")
    while True:
        await ada.wait_for(lambda u: bool(u.last_message and u.last_message.buttons), timeout=10)
        assert ada.last_message is not None
        if ada.last_message.text == question:
            break
        labels = [label for row in ada.last_message.buttons for label in row]
        await harness.tap(ada, "4" if "10" in labels else "No")
    await harness.tap(ada, "Yes")


async def test_oldest_unacknowledged_emergency_grows_then_resets(
    harness: Harness, ops: OpsServer
) -> None:
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    async with aiohttp.ClientSession() as http:
        before = await scrape(http, ops.port)
        assert value(before, OLDEST) == 0
        assert value(before, "reminderbot_alerts_open", tier="3") == 0

        await _emergency(harness)
        await harness.deliver()
        await nurse.next_message()
        harness.clock.advance(timedelta(minutes=4))
        early = await scrape(http, ops.port)
        harness.clock.advance(timedelta(minutes=11))
        await harness.deliver()  # the watcher repeats it to the nurse: still not acknowledged
        later = await scrape(http, ops.port)
        assert value(early, "reminderbot_alerts_open", tier="3") == 1
        assert 240 <= value(early, OLDEST) < 250
        assert 900 <= value(later, OLDEST) < 910

        nurse.mark_read()
        await nurse.tap("Acknowledge")
        done = await nurse.next_message()
        assert done.text.startswith("Thank you — you acknowledged")
        after = await scrape(http, ops.port)
    assert value(after, OLDEST) == 0
    assert value(after, "reminderbot_alerts_open", tier="3") == 0


async def test_checkin_answer_ratio_counts_prompts_answered(
    harness: Harness, ops: OpsServer
) -> None:
    ada, bob = harness.user(), harness.user(user_id=1002, first_name="Bob")
    for user in (ada, bob):
        await harness.onboard(user)
    person = await harness.person(ada)
    assert person is not None and person.patient is not None
    checkin = next(s for s in person.patient.schedules if s.kind == ScheduleKind.CHECKIN)
    assert checkin.next_fire_at is not None
    ada.mark_read()
    harness.clock.set(checkin.next_fire_at)
    await harness.deliver()  # both get the prompt; only Ada answers
    prompt = await ada.next_message()
    assert prompt.text.startswith("How is your pain right now?")
    await harness.tap(ada, "3")
    async with aiohttp.ClientSession() as http:
        too_soon = await scrape(http, ops.port)
        harness.clock.advance(timedelta(hours=2))
        later = await scrape(http, ops.port)
    # An hour is left to answer before a prompt counts.
    assert value(too_soon, "reminderbot_checkin_prompts_recent") == 0
    assert value(later, "reminderbot_checkin_prompts_recent") == 2
    assert value(later, "reminderbot_checkin_answer_ratio") == 0.5
