"""Coordinators end to end: alert work list, resolve with a note, broadcast, ask now, refusals."""

from __future__ import annotations

from sqlalchemy import select
from telegram import Update

from reminderbot.bootstrap import open_runtime
from reminderbot.sandbox.driver import SimulatedUser
from reminderbot.sandbox.state import SentMessage
from reminderbot.store.models import (
    Alert,
    AlertState,
    AuditEvent,
    BroadcastDraft,
    CheckIn,
    OutboxDelivery,
)
from reminderbot.telegram.app import build_application, polling
from tests.e2e.conftest import COORDINATOR_ID, TOKEN, Harness
from tests.e2e.test_checkins import _answer_rest

COORDINATOR_COMMANDS = (
    "/alerts",
    "/broadcast",
    "/checkin 1",
    "/patients",
    "/patient 1",
    "/schedule 1",
)


async def _severe(harness: Harness, patient: SimulatedUser, score: int = 9) -> None:
    patient.mark_read()
    await harness.say(patient, "/pain")
    await harness.tap(patient, str(score))
    await _answer_rest(harness, patient, scale=score)


async def _work_list(nurse: SimulatedUser, count: int) -> list[SentMessage]:
    """Send /alerts and wait for the header and every card."""
    nurse.mark_read()
    await nurse.send("/alerts")
    await nurse.wait_for(lambda u: len(u.unread) >= count, timeout=10)
    messages = nurse.unread[:count]
    nurse.mark_read()
    return messages


async def _alerts(harness: Harness) -> list[Alert]:
    async with harness.rt.sessions() as session:
        return list((await session.scalars(select(Alert).order_by(Alert.id))).all())


async def _audit(harness: Harness, action: str) -> list[AuditEvent]:
    async with harness.rt.sessions() as session:
        stmt = select(AuditEvent).where(AuditEvent.action == action)
        return list((await session.scalars(stmt)).all())


async def test_alert_work_list_acknowledge_and_resolve_with_note(harness: Harness) -> None:
    ada, zoe = harness.user(), harness.user(user_id=1002, first_name="Zoe")
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(ada)
    await harness.onboard(zoe)
    empty = await harness.say(nurse, "/alerts")
    assert empty.text == harness.t("coordinator.alerts.none")

    await _severe(harness, ada)
    await _severe(harness, zoe, score=8)
    first, second = await _alerts(harness)

    header, card_ada, card_zoe = await _work_list(nurse, 3)
    assert header.text == harness.t("coordinator.alerts.header", count=2)
    assert f"Alert #{first.id} · Ada" in card_ada.text
    assert f"Alert #{second.id} · Zoe" in card_zoe.text
    assert card_ada.buttons == [["✅ Acknowledge", "✔️ Resolve"]]

    nurse.mark_read()
    await nurse.tap("✅ Acknowledge", message_id=card_ada.message_id)
    thanks = await nurse.next_message()
    assert (await _alerts(harness))[0].state == AlertState.ACKNOWLEDGED
    listing, card, _ = await _work_list(nurse, 3)
    assert listing.text == harness.t("coordinator.alerts.header", count=2)
    assert "Acknowledged by Nora" in card.text and card.buttons == [["✔️ Resolve"]]

    nurse.mark_read()
    await nurse.tap("✔️ Resolve", message_id=thanks.message_id)
    ask = await nurse.next_message()
    assert f"alert #{first.id}" in ask.text
    done = await harness.say(nurse, "Called Ada, dose adjusted, review tomorrow")
    assert done.text == harness.t(
        "coordinator.alerts.resolved", alert_id=first.id, patient_name="Ada"
    )
    resolved, still_open = await _alerts(harness)
    assert resolved.state == AlertState.RESOLVED
    assert resolved.resolution_note == "Called Ada, dose adjusted, review tomorrow"
    assert resolved.resolved_at == harness.clock.now()
    assert still_open.state == AlertState.OPEN
    events = await _audit(harness, "alert:resolve")
    assert [e.subject_person_id for e in events] == [resolved.patient_id]
    assert "Called" not in str(events[0].details), "the audit log carries no free text"

    # Resolve without a note; then the list is empty again.
    nurse.mark_read()
    await nurse.tap("✔️ Resolve", message_id=card_zoe.message_id)
    await nurse.next_message()
    await harness.tap(nurse, harness.t("coordinator.alerts.no_note_button"))
    assert all(a.state == AlertState.RESOLVED for a in await _alerts(harness))
    assert (await _alerts(harness))[1].resolution_note is None
    again = await harness.say(nurse, "/alerts")
    assert again.text == harness.t("coordinator.alerts.none")
    assert await _audit(harness, "view:alerts")


async def test_patients_cannot_use_coordinator_commands_or_buttons(harness: Harness) -> None:
    ada = harness.user()
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(ada)
    for command in COORDINATOR_COMMANDS:
        reply = await harness.say(ada, command)
        assert reply.text == harness.t("coordinator.not_allowed"), command
    for action in ("alerts", "broadcast", "checkin", "patients", "patient", "schedule"):
        assert await _audit(harness, f"refused:{action}"), action

    # A replayed Resolve button from the coordinator's work list is refused too.
    await _severe(harness, ada)
    (alert,) = await _alerts(harness)
    await nurse.send("/alerts")
    await nurse.wait_for(lambda u: len(u.unread) >= 2, timeout=10)
    ada.mark_read()
    await ada.forge_tap(f"alr|{alert.id}|")
    refused = await ada.next_message()
    assert refused.text == harness.t("coordinator.not_allowed")
    await ada.forge_tap("bcs|*|")
    assert (await ada.next_message()).text == harness.t("coordinator.not_allowed")
    assert (await _alerts(harness))[0].state == AlertState.OPEN
    assert await _audit(harness, "refused:alr")
    assert await _audit(harness, "refused:bcs")


async def test_broadcast_needs_confirmation_and_goes_at_routine_priority(
    harness: Harness,
) -> None:
    ada, zoe = harness.user(), harness.user(user_id=1002, first_name="Zoe")
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(ada)
    await harness.onboard(zoe)

    await harness.say(nurse, "/broadcast")
    await harness.tap(nurse, harness.t("coordinator.broadcast.everyone"))
    preview = await harness.say(nurse, "The clinic is closed on Monday. Call 020 7946 0000.")
    assert "2 patients" in preview.text and "closed on Monday" in preview.text
    cancelled = await harness.tap(nurse, harness.t("coordinator.broadcast.cancel_button"))
    assert cancelled.text == harness.t("coordinator.broadcast.cancelled")
    ada.mark_read()
    await harness.deliver()
    assert ada.unread == [], "a cancelled draft sends nothing"

    await harness.say(nurse, "/broadcast")
    await harness.tap(nurse, harness.t("coordinator.broadcast.everyone"))
    await harness.say(nurse, "The clinic is closed on Monday.")
    queued = await harness.tap(nurse, "📣 Send to 2 patients")
    assert queued.text == harness.t("coordinator.broadcast.queued", count=2)
    async with harness.rt.sessions() as session:
        rows = (
            await session.scalars(select(OutboxDelivery).where(OutboxDelivery.kind == "broadcast"))
        ).all()
    assert len(rows) == 2
    assert {r.priority for r in rows} == {50}, "broadcasts wait behind alerts and reminders"
    await harness.deliver()
    for user in (ada, zoe):
        await harness.until(user, "The clinic is closed on Monday.")
    (event,) = await _audit(harness, "broadcast:send")
    assert event.details == {"audience": "*", "recipients": 2}

    # Too long a text gets a kind retry and keeps the draft step.
    await harness.say(nurse, "/broadcast")
    await harness.tap(nurse, harness.t("coordinator.broadcast.everyone"))
    too_long = await harness.say(nurse, "x" * 3600)
    assert "3600 characters" in too_long.text


async def test_broadcast_draft_survives_a_restart_between_preview_and_send(
    harness: Harness,
) -> None:
    ada = harness.user()
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(ada)
    await harness.say(nurse, "/broadcast")
    await harness.tap(nurse, harness.t("coordinator.broadcast.everyone"))
    preview = await harness.say(nurse, "The clinic is closed on Monday.")
    assert "closed on Monday" in preview.text
    send = harness.t("coordinator.broadcast.send_button", count=1)

    # The bot restarts: the first Application stops, a new one (with its own runtime and an
    # empty per-user memory) takes over the same database.
    first = harness.app
    assert first.updater is not None
    await first.updater.stop()
    await first.stop()
    try:
        async with (
            open_runtime(harness.rt.settings, harness.clock) as rt,
            polling(build_application(rt, TOKEN), rt, poll_timeout=5),
        ):
            queued = await harness.tap(nurse, send)
            assert queued.text == harness.t("coordinator.broadcast.queued", count=1)
    finally:
        await first.start()
        await first.updater.start_polling(
            poll_interval=0.0, timeout=5, allowed_updates=Update.ALL_TYPES
        )
    async with harness.rt.sessions() as session:
        rows = (
            await session.scalars(select(OutboxDelivery).where(OutboxDelivery.kind == "broadcast"))
        ).all()
        assert (await session.scalars(select(BroadcastDraft))).all() == [], "the draft is spent"
    assert [r.payload["text"] for r in rows] == ["The clinic is closed on Monday."]
    await harness.deliver()
    await harness.until(ada, "The clinic is closed on Monday.")

    # Tapping Send again (a double tap, or another worker) finds no draft and sends nothing.
    nurse.mark_read()
    await nurse.forge_tap("bcs|*|")
    again = await nurse.next_message()
    assert again.text == harness.t("coordinator.broadcast.expired")


async def test_checkin_now_reaches_the_patient_and_counts(harness: Harness) -> None:
    ada = harness.user()
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(ada)
    person = await harness.person(ada)
    assert person is not None
    usage = await harness.say(nurse, "/checkin")
    assert usage.text == harness.t("coordinator.checkin.usage")
    unknown = await harness.say(nurse, "/checkin 999")
    assert unknown.text == harness.t("coordinator.unknown_patient", patient_id="999")
    sent = await harness.say(nurse, f"/checkin {person.id}")
    assert sent.text == harness.t("coordinator.checkin.sent", patient_name="Ada")
    ada.mark_read()
    await harness.deliver()
    prompt = await ada.next_message()
    assert prompt.text.startswith("How is your pain")
    await harness.tap(ada, "3")
    await _answer_rest(harness, ada)
    async with harness.rt.sessions() as session:
        (checkin,) = (await session.scalars(select(CheckIn))).all()
    assert checkin.score == 3 and checkin.source == "followup"
    assert await _audit(harness, "checkin:ask_now")


async def test_abnormal_calcium_result_reaches_the_care_team(harness: Harness) -> None:
    ada = harness.user()
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(ada)
    await harness.say(ada, "/calcium")
    await harness.say(ada, "3.0 mmol/L")
    nurse.mark_read()
    await harness.deliver()
    alert = await nurse.next_message()
    assert alert.text.startswith(harness.t("alert.urgency.t2"))
    assert "Blood calcium result: 3 mmol/L (calcium 3.00 mmol/L" in alert.text
    assert "This calcium result is high." in alert.text, "says what the patient was told"
    assert any("Acknowledge" in label for row in alert.buttons for label in row)
    _, card = await _work_list(nurse, 2)
    assert "blood calcium outside the safe range" in card.text


async def test_roster_pages_most_worrying_first_and_patient_details(harness: Harness) -> None:
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    users = [harness.user(user_id=1001 + i, first_name=f"P{i:02d}") for i in range(11)]
    for user in users:
        await harness.onboard(user)
    await _severe(harness, users[7])
    worried = await harness.person(users[7])
    assert worried is not None

    first = await harness.say(nurse, "/patients")
    lines = first.text.splitlines()
    assert lines[0].startswith("Patients, most worrying first — page 1 of 2 (11 in all)")
    assert lines[1].startswith(f"#{worried.id} P07 — active · last 9/10 (tier 2)")
    assert "open alert (tier 2)" in lines[1]
    assert len(lines) == 11 and first.buttons == [["Next ▶"]]
    second = await harness.tap(nurse, "Next ▶")
    assert len(second.text.splitlines()) == 2 and second.buttons == [["◀ Previous"]]
    assert await _audit(harness, "view:roster")

    nurse.mark_read()
    await nurse.send(f"/patient {worried.id}")
    await nurse.wait_for(lambda u: len(u.unread) >= 2, timeout=15)
    details, chart = nurse.unread[:2]
    assert details.text.startswith(f"P07 (#{worried.id}) — active")
    assert "Pain check-in: every day at 18:00" in details.text
    assert "Follow-up check-in:" in details.text, "the sooner check-in after a severe score"
    assert "pain 9/10, tier 2" in details.text
    assert chart.kind == "photo"
    (viewed,) = await _audit(harness, "view:patient")
    assert viewed.subject_person_id == worried.id and viewed.actor_telegram_id == COORDINATOR_ID

    missing = await harness.say(nurse, "/patient 9999")
    assert missing.text == harness.t("admin.patient.unknown", patient_id=9999)
    bad = await harness.say(nurse, "/patient abc")
    assert bad.text.startswith("“abc” is not a patient number")


async def test_schedule_changes_with_validation_and_program_assignment(harness: Harness) -> None:
    ada = harness.user()
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    await harness.onboard(ada)
    person = await harness.person(ada)
    assert person is not None and person.patient is not None
    checkin = next(s for s in person.patient.schedules if s.kind.value == "checkin")

    shown = await harness.say(nurse, f"/schedule {person.id}")
    assert f"#{checkin.id} Pain check-in: every day at 18:00" in shown.text
    await harness.tap(nurse, f"Change #{checkin.id} (Pain check-in)")
    await harness.tap(nurse, "Times")
    wrong = await harness.say(nurse, "25:00")
    assert wrong.text.startswith("“25:00” is not a time.")
    again = await nurse.next_message()
    assert again.text == harness.t("coordinator.schedule.ask.times")
    changed = await harness.say(nurse, "19:30")
    assert changed.text.startswith(f"Schedule #{checkin.id} changed.")
    assert "19:30" in changed.text
    person = await harness.person(ada)
    assert person is not None and person.patient is not None
    after = next(s for s in person.patient.schedules if s.id == checkin.id)
    assert after.local_times == ["19:30"]
    assert await _audit(harness, "view:schedule")

    await harness.say(nurse, f"/schedule {person.id}")
    await harness.tap(nurse, harness.t("coordinator.schedule.program_button"))
    done = await harness.tap(nurse, "default")
    assert done.text == harness.t("coordinator.schedule.program_done", program="default")
