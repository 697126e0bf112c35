"""/settings changes, pause and resume, /stop and silence, /start again."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from reminderbot.store.models import DeliveryState, OutboxDelivery, PatientStatus, ScheduleKind
from reminderbot.store.people import due_schedules
from tests.e2e.conftest import EMERGENCY, Harness


async def _due_for(harness: Harness, person_id: int, at: datetime) -> list[int]:
    async with harness.rt.sessions() as session:
        return [s.id for s in await due_schedules(session, at) if s.patient_id == person_id]


async def test_settings_change_time_zone_times_and_quiet_hours(harness: Harness) -> None:
    ada = harness.user()
    await harness.onboard(ada)

    overview = await harness.say(ada, "/settings")
    assert "Time zone: Europe/Berlin" in overview.text
    assert "Quiet hours: none" in overview.text
    assert "Reminders: on" in overview.text

    await harness.tap(ada, "Time zone")
    changed = await harness.say(ada, "Asia/Shanghai")
    assert changed.text.startswith("Time zone changed to Asia/Shanghai.")
    person = await harness.person(ada)
    assert person is not None and person.patient is not None
    checkin = next(s for s in person.patient.schedules if s.kind == ScheduleKind.CHECKIN)
    # 18:00 in Shanghai (UTC+8) on 27 March is 10:00 UTC — the clock's own instant, so the
    # next one is the following day.
    assert checkin.next_fire_at == datetime(2026, 3, 28, 10, 0, tzinfo=UTC)

    await harness.say(ada, "/settings")
    await harness.tap(ada, "Times")
    await harness.say(ada, "20:15")
    updated = await harness.say(ada, "7am")
    assert updated.text == (
        "Done. Pain check-in at 20:15, tips and reminders at 07:00 (Asia/Shanghai time)."
    )

    await harness.say(ada, "/settings")
    await harness.tap(ada, "Quiet hours")
    bad = await harness.say(ada, "whenever")
    assert bad.text.startswith(harness.t("settings.quiet.invalid"))
    quiet = await harness.say(ada, "22:00-07:00")
    assert quiet.text.startswith("Quiet hours set to 22:00–07:00.")
    person = await harness.person(ada)
    assert person is not None and person.patient is not None
    assert (person.patient.quiet_start, person.patient.quiet_end) == (time(22), time(7))

    overview = await harness.say(ada, "/settings")
    assert "Quiet hours: 22:00–07:00" in overview.text
    await harness.tap(ada, "Quiet hours")
    cleared = await harness.tap(ada, "No quiet hours")
    assert cleared.text == harness.t("settings.quiet.cleared")
    person = await harness.person(ada)
    assert person is not None and person.patient is not None
    assert person.patient.quiet_start is None


async def test_pause_and_resume(harness: Harness) -> None:
    ada = harness.user()
    await harness.onboard(ada)
    person = await harness.person(ada)
    assert person is not None
    a_day_later = harness.clock.now() + timedelta(days=1)
    assert await _due_for(harness, person.id, a_day_later)

    await harness.say(ada, "/settings")
    paused = await harness.tap(ada, "Pause reminders")
    assert paused.text.startswith("Reminders paused.")
    assert EMERGENCY in paused.text
    assert await _due_for(harness, person.id, a_day_later) == []

    overview = await harness.say(ada, "/settings")
    assert "Reminders: paused" in overview.text
    harness.clock.advance(timedelta(days=3))
    resumed = await harness.tap(ada, "Resume reminders")
    assert resumed.text == harness.t("settings.resumed")
    person = await harness.person(ada)
    assert person is not None and person.patient is not None
    assert person.patient.status == PatientStatus.ACTIVE
    # Nothing missed while paused is due at once: every schedule restarts in the future.
    assert all(s.next_fire_at > harness.clock.now() for s in person.patient.schedules)


async def test_stop_silences_everything_and_start_comes_back(harness: Harness) -> None:
    ada = harness.user()
    await harness.onboard(ada)
    person = await harness.person(ada)
    assert person is not None
    async with harness.rt.sessions.begin() as session:
        session.add(
            OutboxDelivery(
                recipient_id=person.id,
                chat_id=ada.chat_id,
                kind="tip",
                priority=50,
                unique_key="test:queued-tip",
                payload={"text_key": "tip"},
                not_before=harness.clock.now(),
            )
        )

    stopped = await harness.say(ada, "/stop")
    assert stopped.text.startswith("You're unsubscribed.")
    person = await harness.person(ada)
    assert person is not None and person.patient is not None
    assert person.patient.status == PatientStatus.STOPPED
    async with harness.rt.sessions() as session:
        queued = await session.scalar(select(OutboxDelivery))
    assert queued is not None and queued.state == DeliveryState.CANCELLED
    harness.clock.advance(timedelta(days=7))
    assert await _due_for(harness, person.id, harness.clock.now()) == []

    again = await harness.say(ada, "/stop")
    assert again.text == harness.t("settings.stop.already")
    not_subscribed = await harness.say(ada, "/settings")
    assert not_subscribed.text == harness.t("settings.not_subscribed")

    back = await harness.say(ada, "/start")
    assert back.text.startswith("Welcome back, Ada! Your reminders are on again.")
    assert "Pain check-in: every day at 18:00" in back.text
    person = await harness.person(ada)
    assert person is not None and person.patient is not None
    assert person.patient.status == PatientStatus.ACTIVE
    assert all(s.next_fire_at > harness.clock.now() for s in person.patient.schedules)
    assert (await harness.row_counts())["person"] == 1


async def test_start_when_subscribed_shows_schedule(harness: Harness) -> None:
    ada = harness.user()
    await harness.onboard(ada)
    reply = await harness.say(ada, "/start")
    assert reply.text.startswith("You're subscribed. Here is your schedule (Europe/Berlin time)")
