"""Onboarding: /start, consent, time zone (with a wrong one retried), times, summary."""

from __future__ import annotations

from datetime import UTC, datetime

from reminderbot.store.models import PatientStatus, ScheduleKind
from reminderbot.telegram.app import COMMANDS
from tests.e2e.conftest import CARE_TEAM, EMERGENCY, Harness


async def test_full_onboarding_from_start_to_summary(harness: Harness) -> None:
    ada = harness.user(language_code="en")
    welcome = await harness.say(ada, "/start")
    assert welcome.text.startswith("Hello Ada!")
    assert EMERGENCY in welcome.text
    assert "not a diagnosis" in welcome.text
    assert any("agree" in label.lower() for row in welcome.buttons for label in row)
    assert await harness.person(ada) is None

    agreed = await harness.tap(ada, "I agree")
    assert agreed.text == harness.t("onboarding.consent.agreed")
    person = await harness.person(ada)
    assert person is not None and person.patient is not None
    assert person.patient.status == PatientStatus.ONBOARDING
    assert person.patient.consent_at == harness.clock.now()
    assert person.timezone == "Europe/London"  # the deployment default until chosen
    # The consent keyboard is closed so it cannot be tapped twice.
    assert ada.messages[0].buttons == []

    ask_language = await ada.next_message()
    assert ask_language.text == harness.t("onboarding.language.ask")
    # Telegram gave no language: English is preselected; every locale is offered.
    assert ask_language.buttons == [["✓ English"], ["简体中文"]]
    ask_zone = await harness.tap(ada, "✓ English")
    assert ask_zone.text == harness.t("onboarding.timezone.ask")
    assert ask_zone.buttons[0][0] == "Europe/London"

    zone_set = await harness.tap(ada, "Europe/Berlin")
    assert zone_set.text == "Time zone set to Europe/Berlin. Your local time now is 11:00."
    times = await ada.next_message()
    assert "18:00" in times.text and "09:00" in times.text

    summary = await harness.tap(ada, "Keep these times")
    assert summary.text.startswith(
        "You're all set, Ada! Here is what you'll receive (Europe/Berlin"
    )
    assert "• Pain check-in: every day at 18:00 — next Fri 27 Mar, 18:00" in summary.text
    assert "• Self-care tip: Mon, Wed, Fri at 09:00 — next Mon 30 Mar, 09:00" in summary.text
    assert "• Blood calcium test reminder: every 28 days at 09:00 — next Fri 24 Apr" in summary.text

    person = await harness.person(ada)
    assert person is not None and person.patient is not None
    assert person.patient.status == PatientStatus.ACTIVE
    by_kind = {s.kind: s for s in person.patient.schedules}
    assert set(by_kind) == {ScheduleKind.CHECKIN, ScheduleKind.TIP, ScheduleKind.CALCIUM}
    # 18:00 in Berlin on 27 March (CET, UTC+1) is 17:00 UTC.
    assert by_kind[ScheduleKind.CHECKIN].next_fire_at == datetime(2026, 3, 27, 17, 0, tzinfo=UTC)
    # Monday 30 March is after the spring-forward change: 09:00 CEST is 07:00 UTC.
    assert by_kind[ScheduleKind.TIP].next_fire_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)


async def test_commands_are_registered(harness: Harness) -> None:
    await harness.sandbox.wait_for(lambda s: s.commands, timeout=5)
    names = [c["command"] for c in harness.sandbox.commands]
    assert names == list(COMMANDS)
    assert {"start", "pain", "trend", "calcium", "caregiver", "help", "settings", "stop"} <= set(
        names
    )


async def test_wrong_time_zone_gets_kind_retry(harness: Harness) -> None:
    ada = harness.user()
    await harness.consent(ada)

    retry = await harness.say(ada, "Mars/Olympus Mons")
    assert retry.text.startswith("Sorry, I don't recognise “Mars/Olympus Mons” as a time zone.")
    assert retry.buttons, "the retry offers the buttons again"
    person = await harness.person(ada)
    assert person is not None and person.timezone == "Europe/London"
    assert person.awaiting == "timezone"

    accepted = await harness.say(ada, "new york")
    assert accepted.text.startswith("Time zone set to America/New_York.")
    person = await harness.person(ada)
    assert person is not None and person.timezone == "America/New_York"


async def test_changing_times_during_onboarding(harness: Harness) -> None:
    ada = harness.user()
    await harness.consent(ada)
    await harness.tap(ada, "Europe/Berlin")
    await harness.until(ada, "I'll ask about your pain")

    ask_checkin = await harness.tap(ada, "Change times")
    assert ask_checkin.text == harness.t("onboarding.times.ask_checkin")
    invalid = await harness.say(ada, "25:00")
    assert invalid.text == harness.t("onboarding.times.invalid")
    ask_morning = await harness.say(ada, "7 pm")
    assert ask_morning.text == harness.t("onboarding.times.ask_morning")
    summary = await harness.say(ada, "8:30")
    assert "Pain check-in: every day at 19:00" in summary.text
    assert "Self-care tip: Mon, Wed, Fri at 08:30" in summary.text
    assert "Blood calcium test reminder: every 28 days at 08:30" in summary.text


async def test_start_mid_onboarding_continues_where_it_stopped(harness: Harness) -> None:
    ada = harness.user()
    await harness.consent(ada)

    again = await harness.say(ada, "/start")
    assert again.text == harness.t("onboarding.summary.continue")
    prompt = await ada.next_message()
    assert prompt.text == harness.t("onboarding.timezone.ask")
    persons = (await harness.row_counts())["person"]
    assert persons == 1


async def test_declining_stores_nothing(harness: Harness) -> None:
    ada = harness.user()
    await harness.say(ada, "/start")
    declined = await harness.tap(ada, "Not now")
    assert declined.text == harness.t("onboarding.consent.declined")
    assert all(count == 0 for count in (await harness.row_counts()).values())


async def test_help_names_the_deployment_contacts(harness: Harness) -> None:
    ada = harness.user()
    reply = await harness.say(ada, "/help")
    assert "/settings" in reply.text and "/stop" in reply.text
    assert EMERGENCY in reply.text and CARE_TEAM in reply.text
