"""Pain check-ins and escalation end to end: tiers, red flags, alerts and acknowledgement,
free-text scores, late and double taps, silence, and the trend chart."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from reminderbot.sandbox import SentMessage, SimulatedUser
from reminderbot.store.models import (
    Alert,
    AlertState,
    CaregiverLink,
    CheckIn,
    Person,
    Role,
    ScheduleKind,
)
from tests.e2e.conftest import COORDINATOR_ID, EMERGENCY, Harness

CAREGIVER_ID = 4242


async def _setup(harness: Harness) -> tuple[SimulatedUser, SimulatedUser, SimulatedUser, int]:
    """An onboarded patient with a caregiver (linked in the database) and a coordinator."""
    ada = harness.user()
    nurse = harness.user(user_id=COORDINATOR_ID, first_name="Nora")
    carer = harness.user(user_id=CAREGIVER_ID, first_name="Cara")
    await harness.onboard(ada)
    person = await harness.person(ada)
    assert person is not None
    async with harness.rt.sessions.begin() as session:
        caregiver = Person(
            telegram_user_id=CAREGIVER_ID,
            chat_id=CAREGIVER_ID,
            display_name="Cara",
            language="en",
            timezone="Europe/Berlin",
            role=Role.CAREGIVER,
            created_at=harness.clock.now(),
            updated_at=harness.clock.now(),
        )
        session.add(caregiver)
        await session.flush()
        session.add(
            CaregiverLink(
                patient_id=person.id, caregiver_id=caregiver.id, created_at=harness.clock.now()
            )
        )
    return ada, nurse, carer, person.id


async def _history(harness: Harness, patient_id: int, scores: list[int]) -> None:
    """Earlier answered check-ins, one a day, ending yesterday."""
    now = harness.clock.now()
    async with harness.rt.sessions.begin() as session:
        for days_ago, score in zip(range(len(scores), 0, -1), scores, strict=True):
            at = now - timedelta(days=days_ago)
            session.add(
                CheckIn(
                    patient_id=patient_id,
                    source="test",
                    prompted_at=at,
                    answered_at=at,
                    score=score,
                    tier=0,
                    answers={"now": score, "step": "done"},
                )
            )


async def _answer_rest(harness: Harness, user: SimulatedUser, scale: int = 3) -> list[SentMessage]:
    """Answer every follow-up: `scale` on 0–10 questions, no rescue dose taken, "No" to the
    red flags, Skip the note."""
    while True:
        # Wait for the next question (it may follow a short introduction message).
        await user.wait_for(lambda u: bool(u.last_message and u.last_message.buttons), timeout=10)
        message = user.last_message
        assert message is not None
        labels = [label for row in message.buttons for label in row]
        if "10" in labels:
            await harness.tap(user, str(scale))
        elif "Skip" in labels or any(label.startswith("Skip") for label in labels):
            await user.tap("Skip")
            await user.wait_for(
                lambda u: any(m.text == harness.t("checkin.thanks") for m in u.unread), timeout=10
            )
            return user.unread
        elif harness.t("checkin.not_taken_button") in labels:
            await harness.tap(user, harness.t("checkin.not_taken_button"))
        elif "No" in labels:
            await harness.tap(user, "No")
        else:
            raise AssertionError(f"unexpected question: {message.text!r} {labels}")


async def _alerts(harness: Harness) -> list[Alert]:
    async with harness.rt.sessions() as session:
        return list((await session.scalars(select(Alert).order_by(Alert.id))).all())


async def test_low_score_gives_tip_advice_and_no_alert(harness: Harness) -> None:
    ada, nurse, carer, _ = await _setup(harness)
    ada.mark_read()
    await harness.say(ada, "/pain")
    await harness.tap(ada, "2")
    replies = await _answer_rest(harness, ada)
    assert any(m.text == harness.t("advice.tier.t0") for m in replies)
    await harness.deliver()
    assert await _alerts(harness) == []
    assert not nurse.messages and not carer.messages


async def test_moderate_score_on_a_rising_history_is_t1(harness: Harness) -> None:
    ada, nurse, carer, patient_id = await _setup(harness)
    await _history(harness, patient_id, [3, 4, 4])
    ada.mark_read()
    await harness.say(ada, "/pain")
    await harness.tap(ada, "5")
    replies = await _answer_rest(harness, ada, scale=3)
    assert any(m.text == harness.t("advice.tier.t1") for m in replies)
    (alert,) = await _alerts(harness)
    assert alert.tier == 1 and "pain_moderate" in alert.reasons
    await harness.deliver()
    # T1 goes to the coordinators' work list, not to their phones; caregivers who chose only
    # alerts are not disturbed either.
    assert not nurse.messages
    assert not carer.messages
    schedule = await _followup_schedule(harness, ada)
    assert schedule.next_fire_at == harness.clock.now() + timedelta(hours=4)


async def _followup_schedule(harness: Harness, user: SimulatedUser):  # type: ignore[no-untyped-def]
    person = await harness.person(user)
    assert person is not None and person.patient is not None
    return next(s for s in person.patient.schedules if s.kind == ScheduleKind.FOLLOWUP)


async def test_severe_score_alerts_caregiver_and_coordinator(harness: Harness) -> None:
    ada, nurse, carer, patient_id = await _setup(harness)
    await _history(harness, patient_id, [3, 3, 3])
    ada.mark_read()
    await harness.say(ada, "/pain")
    await harness.tap(ada, "8")
    replies = await _answer_rest(harness, ada, scale=8)
    texts = [m.text for m in replies]
    assert harness.t("advice.tier.t2") in texts
    assert harness.t("advice.worsening") in texts
    assert "bone scan" in harness.t("advice.worsening")
    await harness.deliver()
    alert_to_nurse = await nurse.next_message()
    alert_to_carer = await carer.next_message()
    for message in (alert_to_nurse, alert_to_carer):
        assert message.text.startswith(harness.t("alert.urgency.t2"))
        assert "Ada" in message.text and "8/10" in message.text and "3 → 3 → 3 → 8" in message.text
    assert any("Acknowledge" in label for row in alert_to_nurse.buttons for label in row)
    assert alert_to_carer.buttons == []


async def test_leg_weakness_is_an_emergency_until_acknowledged(harness: Harness) -> None:
    ada, nurse, carer, _ = await _setup(harness)
    ada.mark_read()
    await harness.say(ada, "/pain")
    await harness.tap(ada, "6")
    # Answer the follow-ups until the spinal-cord-compression question, then say Yes.
    mscc_question = harness.t("checkin.red_flag.mscc")
    while True:
        await ada.wait_for(lambda u: bool(u.last_message and u.last_message.buttons), timeout=10)
        assert ada.last_message is not None
        if ada.last_message.text == mscc_question:
            break
        labels = [label for row in ada.last_message.buttons for label in row]
        await harness.tap(ada, "4" if "10" in labels else "No")
    ada.mark_read()
    await ada.tap("Yes")
    first = await ada.next_message()
    assert EMERGENCY in first.text, "the first reply to an emergency sign names the number"
    assert first.text == harness.t("advice.red_flag.mscc")
    (alert,) = await _alerts(harness)
    assert alert.tier == 3 and "red_flag:mscc" in alert.reasons

    await harness.deliver()
    urgent = await nurse.next_message()
    assert urgent.text.startswith(harness.t("alert.urgency.t3"))
    await carer.next_message()
    harness.clock.advance(timedelta(minutes=15))
    await harness.deliver()
    repeat = await nurse.next_message()
    assert repeat.text.startswith("⏰ Still not acknowledged (15 min).")

    # A patient (or caregiver) replaying the coordinator's button is refused and audited.
    ack_data = next(d for row in urgent.inline_buttons for _, d in row if d)
    ada.mark_read()
    await ada.forge_tap(ack_data)
    refused = await ada.next_message()
    assert refused.text == harness.t("alert.not_allowed")
    assert (await _alerts(harness))[0].state == AlertState.OPEN
    nurse.mark_read()
    await nurse.tap("Acknowledge")
    done = await nurse.next_message()
    assert done.text.startswith("Thank you — you acknowledged the alert for Ada")
    (alert,) = await _alerts(harness)
    assert alert.state == AlertState.ACKNOWLEDGED
    await harness.deliver()
    seen = await carer.next_message()
    assert seen.text.startswith("✅ The alert for Ada") and "acknowledged by" in seen.text
    harness.clock.advance(timedelta(minutes=30))
    nurse.mark_read()
    await harness.deliver()
    assert not [m for m in nurse.unread if m.text.startswith("⏰")]


async def test_an_emergency_on_a_worse_day_gets_no_bone_scan_advice(harness: Harness) -> None:
    # docs/clinical-reference.md §2: suspected cord compression needs a whole-spine MRI within
    # 24 hours; a worse-than-usual score alone would bring the bone-scan advice.
    ada, _, _, patient_id = await _setup(harness)
    await _history(harness, patient_id, [3, 3, 3])
    ada.mark_read()
    await harness.say(ada, "/pain")
    await harness.tap(ada, "8")
    mscc_question = harness.t("checkin.red_flag.mscc")
    while True:
        await ada.wait_for(lambda u: bool(u.last_message and u.last_message.buttons), timeout=10)
        assert ada.last_message is not None
        if ada.last_message.text == mscc_question:
            break
        labels = [label for row in ada.last_message.buttons for label in row]
        await harness.tap(ada, "8" if "10" in labels else "No")
    ada.mark_read()
    await ada.tap("Yes")
    thanks = harness.t("checkin.thanks")
    await ada.wait_for(lambda u: any(m.text == thanks for m in u.unread), timeout=10)
    texts = [m.text for m in ada.unread]
    assert texts[0] == harness.t("advice.red_flag.mscc") and EMERGENCY in texts[0]
    assert harness.t("advice.tier.t3") in texts
    assert not [text for text in texts if "bone scan" in text], texts
    (alert,) = await _alerts(harness)
    assert alert.tier == 3 and "worsened" in alert.reasons


async def test_free_text_scores_and_retry(harness: Harness) -> None:
    ada, _, _, _ = await _setup(harness)
    first = await harness.say(ada, "seven")
    assert first.text == harness.t("checkin.ask_worst")
    retry = await harness.say(ada, "quite bad really")
    assert retry.text == harness.t("checkin.score_retry")
    assert (await ada.next_message()).text == harness.t("checkin.ask_worst")
    nxt = await harness.say(ada, "7/10")
    assert nxt.text == harness.t("checkin.ask_sleep")
    async with harness.rt.sessions() as session:
        (checkin,) = (await session.scalars(select(CheckIn))).all()
    assert checkin.score == 7 and checkin.answers["worst"] == 7


async def test_late_tap_counts_once_and_double_tap_never_twice(harness: Harness) -> None:
    ada, _, _, _ = await _setup(harness)
    ada.mark_read()
    schedule = next(
        s
        for s in (await harness.person(ada)).patient.schedules  # type: ignore[union-attr]
        if s.kind == ScheduleKind.CHECKIN
    )
    harness.clock.set(schedule.next_fire_at)  # type: ignore[arg-type]
    await harness.deliver()
    prompt = await ada.next_message()
    harness.clock.advance(timedelta(hours=20))
    answered = len(ada.callback_answers)
    await ada.tap("1", message_id=prompt.message_id)
    await ada.tap("2", message_id=prompt.message_id)
    already = harness.t("delivery.checkin.already")
    # The second tap's answer is the last thing the bot does for these taps.
    await ada.wait_for(
        lambda u: len(u.callback_answers) >= answered + 2
        and any(m.text == already for m in u.unread),
        timeout=10,
    )
    async with harness.rt.sessions() as session:
        rows = (await session.scalars(select(CheckIn))).all()
    assert [c.score for c in rows] == [1]


async def test_silence_nudges_then_tells_the_team(harness: Harness) -> None:
    ada, nurse, carer, _ = await _setup(harness)
    ada.mark_read()
    checkin = await _checkin_schedule(harness, ada)
    harness.clock.set(checkin)
    await harness.deliver()
    assert (await ada.next_message()).text.startswith("How is your pain")
    harness.clock.advance(timedelta(hours=3))
    await harness.deliver()
    assert (await ada.next_message()).text == harness.t("alert.silence.nudge")
    harness.clock.advance(timedelta(hours=1))
    await harness.deliver()
    assert not [m for m in ada.unread if m.text == harness.t("alert.silence.nudge")]
    for _ in range(2):
        harness.clock.advance(timedelta(days=1))
        await harness.deliver()
    harness.clock.advance(timedelta(hours=3))
    await harness.deliver()
    notice = await carer.next_message()
    assert notice.text.startswith("📭 Ada") and "last 3 pain check-ins" in notice.text
    assert (await nurse.next_message()).text == notice.text


async def _checkin_schedule(harness: Harness, user: SimulatedUser):  # type: ignore[no-untyped-def]
    person = await harness.person(user)
    assert person is not None and person.patient is not None
    return next(s for s in person.patient.schedules if s.kind == ScheduleKind.CHECKIN).next_fire_at


async def test_trend_returns_a_picture_for_patient_and_coordinator(harness: Harness) -> None:
    ada, nurse, _, patient_id = await _setup(harness)
    await _history(harness, patient_id, [2, 3, 5, 4, 6])
    ada.mark_read()
    await ada.send("/trend")
    chart = await ada.next_message(timeout=20)
    assert chart.kind == "photo"
    assert chart.file_bytes is not None and chart.file_bytes.startswith(b"\x89PNG")
    assert chart.text.startswith("5 check-ins in 30 days")
    await nurse.send(f"/trend {patient_id}")
    assert (await nurse.next_message(timeout=20)).kind == "photo"
    stranger = harness.user(user_id=5555, first_name="Eve")
    refused = await harness.say(stranger, f"/trend {patient_id}")
    assert refused.text == harness.t("trend.not_allowed")


async def test_weekly_summary_to_caregivers_who_opted_in(harness: Harness) -> None:
    _, _, carer, patient_id = await _setup(harness)
    other = harness.user(user_id=4343, first_name="Otto")
    async with harness.rt.sessions.begin() as session:
        link = await session.scalar(select(CaregiverLink))
        assert link is not None
        link.receives_weekly = True
        otto = Person(
            telegram_user_id=4343,
            chat_id=4343,
            display_name="Otto",
            language="en",
            timezone="Europe/Berlin",
            role=Role.CAREGIVER,
            created_at=harness.clock.now(),
            updated_at=harness.clock.now(),
        )
        session.add(otto)
        await session.flush()
        session.add(
            CaregiverLink(
                patient_id=patient_id, caregiver_id=otto.id, created_at=harness.clock.now()
            )
        )
    await _history(harness, patient_id, [2, 4, 3])
    # Friday 27 March 11:00 Berlin: not a summary day.
    await harness.deliver()
    assert not carer.messages
    # Monday 30 March, 09:00 in Berlin (CEST) is 07:00 UTC.
    harness.clock.set(harness.clock.now().replace(day=30, hour=7, minute=0))
    await harness.deliver()
    summaries = [m for m in carer.messages if m.text.startswith("📊")]
    assert len(summaries) == 1
    assert "Ada" in summaries[0].text and "median pain 3/10" in summaries[0].text
    harness.clock.advance(timedelta(hours=3))
    await harness.deliver()
    assert len([m for m in carer.messages if m.text.startswith("📊")]) == 1
    assert not [m for m in other.messages if m.text.startswith("📊")]
