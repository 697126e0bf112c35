"""A realistic small deployment for the coordinator tools, seeded through services and models.

Seven patients in every status, check-ins and prompts around `now`, open and acknowledged
alerts, a caregiver, and a coordinator by role. Times are relative to `now`, so the CLI tests
(which run on the system clock) and the service tests (on a fixed instant) share it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from reminderbot.content.programs import load_programs
from reminderbot.services import subscriptions
from reminderbot.services.subscriptions import NewPerson
from reminderbot.store.bulk_seed import seed_patients
from reminderbot.store.database import create_engine, session_factory
from reminderbot.store.migrations import upgrade
from reminderbot.store.models import (
    Alert,
    AlertState,
    CaregiverLink,
    CheckIn,
    DeliveryState,
    OutboxDelivery,
    PatientStatus,
    Person,
    Role,
    Schedule,
    ScheduleKind,
)

ZOE_NAME = "Zoë 王芳"
NOTE = 'Hurts, when I walk\nup the "stairs"'
FORMULA_NOTE = '=HYPERLINK("http://example.invalid","click")'
RESOLUTION = "Called, dose adjusted"
COORDINATOR_TG = 5201
CAREGIVER_TG = 5101


@dataclass(frozen=True)
class Seeded:
    """Person ids of the seeded people, and the instant the seed was built around."""

    now: datetime
    finn: int
    zoe: int
    eve: int
    bob: int
    ada: int
    dana: int
    carl: int
    caregiver: int
    coordinator: int

    @property
    def worry_order(self) -> list[int]:
        """The roster order the module docstring of services.roster promises for this seed."""
        return [self.finn, self.zoe, self.ada, self.eve, self.bob, self.dana, self.carl]


def _patient(
    session: AsyncSession,
    tg: int,
    name: str,
    zone: str,
    now: datetime,
    status: PatientStatus = PatientStatus.ACTIVE,
) -> Person:
    person = subscriptions.record_consent(
        session, NewPerson(tg, tg, name, "en", zone), now - timedelta(days=30)
    )
    if status != PatientStatus.ONBOARDING:
        program = load_programs()["default"]
        subscriptions.complete_onboarding(
            session, person, program, program.default_slot_times(), now - timedelta(days=30)
        )
        assert person.patient is not None
        person.patient.status = status
        subscriptions.refresh_schedules(person, now)
    return person


def _checkin_schedule(person: Person) -> Schedule:
    assert person.patient is not None
    return next(s for s in person.patient.schedules if s.kind == ScheduleKind.CHECKIN)


def _prompt(person: Person, sent: datetime, *, snoozed: bool = False) -> OutboxDelivery:
    key = f"s{_checkin_schedule(person).id}@{int(sent.timestamp())}" + ("~1" if snoozed else "")
    return OutboxDelivery(
        schedule_id=_checkin_schedule(person).id,
        recipient_id=person.id,
        chat_id=person.chat_id,
        kind="checkin",
        priority=4,
        unique_key=key,
        payload={"text": "How is your pain?"},
        state=DeliveryState.SENT,
        not_before=sent,
        sent_at=sent,
        created_at=sent,
    )


def _checkin(
    person: Person,
    prompt: OutboxDelivery | None,
    at: datetime,
    score: int,
    tier: int,
    note: str | None = None,
    **answers: Any,
) -> CheckIn:
    return CheckIn(
        patient_id=person.id,
        reporter_id=person.id,
        source="checkin" if prompt is not None else "typed",
        prompt_key=prompt.unique_key
        if prompt is not None
        else f"typed:{person.id}:{at.timestamp()}",
        prompted_at=prompt.sent_at if prompt is not None and prompt.sent_at else at,
        answered_at=at,
        score=score,
        answers={"now": score, "step": "done", **answers},
        note=note,
        tier=tier,
    )


async def seed(url: str, now: datetime, extra_patients: int = 0) -> Seeded:
    """Migrate the database at `url` and fill it; returns who is who."""
    await asyncio.to_thread(upgrade, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    try:
        async with sessions.begin() as session:
            finn = _patient(session, 5007, "Finn", "Europe/London", now)
            zoe = _patient(session, 5001, ZOE_NAME, "Europe/Berlin", now)
            eve = _patient(session, 5006, "Eve", "UTC", now, PatientStatus.UNREACHABLE)
            bob = _patient(session, 5003, "Bob", "America/New_York", now, PatientStatus.PAUSED)
            ada = _patient(session, 5002, "Ada Lovelace", "Asia/Shanghai", now)
            dana = _patient(session, 5005, "Dana", "UTC", now, PatientStatus.ONBOARDING)
            carl = _patient(session, 5004, "Carl", "UTC", now, PatientStatus.STOPPED)
            caregiver = Person(
                telegram_user_id=CAREGIVER_TG,
                chat_id=CAREGIVER_TG,
                display_name="Charles",
                language="en",
                timezone="Asia/Shanghai",
                role=Role.CAREGIVER,
                created_at=now,
                updated_at=now,
            )
            coordinator = Person(
                telegram_user_id=COORDINATOR_TG,
                chat_id=COORDINATOR_TG,
                display_name="Nurse Kim",
                language="en",
                timezone="Europe/Berlin",
                role=Role.COORDINATOR,
                created_at=now,
                updated_at=now,
            )
            session.add_all([caregiver, coordinator])
            await session.flush()

            # Zoë: calm, then severe with a note (open T2 alert), then two prompts unanswered;
            # a snoozed copy and a prompt sent an hour ago do not count as missed.
            day = timedelta(days=1)
            calm_prompt = _prompt(zoe, now - 3 * day)
            bad_prompt = _prompt(zoe, now - 2 * day)
            zoe_prompts = [
                calm_prompt,
                bad_prompt,
                _prompt(zoe, now - 1.5 * day),
                _prompt(zoe, now - 1 * day),
                _prompt(zoe, now - 1 * day, snoozed=True),
                _prompt(zoe, now - timedelta(hours=1)),
            ]
            session.add_all(zoe_prompts)
            zoe_bad = _checkin(zoe, bad_prompt, now - 2 * day + timedelta(minutes=5), 7, 2, NOTE)
            session.add_all(
                [_checkin(zoe, calm_prompt, now - 3 * day + timedelta(minutes=3), 3, 0), zoe_bad]
            )
            # Ada: answered yesterday's prompt; has a caregiver (and one who was revoked).
            ada_prompt = _prompt(ada, now - day)
            session.add(ada_prompt)
            ada_checkin = _checkin(
                ada, ada_prompt, now - day + timedelta(minutes=10), 2, 0, FORMULA_NOTE
            )
            session.add(ada_checkin)
            session.add_all(
                [
                    CaregiverLink(patient_id=ada.id, caregiver_id=caregiver.id, created_at=now),
                    CaregiverLink(
                        patient_id=ada.id,
                        caregiver_id=caregiver.id,
                        created_at=now - 5 * day,
                        revoked_at=now - 4 * day,
                    ),
                ]
            )
            # Bob (paused) never answered the one prompt he got; Carl (stopped) three.
            bob_prompt = _prompt(bob, now - 5 * day)
            session.add(bob_prompt)
            bob_checkin = _checkin(bob, None, now - 8 * day, 5, 1)
            session.add(bob_checkin)
            session.add_all([_prompt(carl, now - n * day) for n in (10, 11, 12)])
            # Finn: an emergency an hour ago, not yet acknowledged.
            finn_checkin = _checkin(finn, None, now - timedelta(hours=1), 9, 3, None, red="mscc")
            session.add(finn_checkin)
            await session.flush()
            session.add_all(
                [
                    Alert(
                        patient_id=finn.id,
                        checkin_id=finn_checkin.id,
                        tier=3,
                        reasons=["red_flag:mscc", "pain_severe"],
                        state=AlertState.OPEN,
                        created_at=now - timedelta(hours=1),
                    ),
                    Alert(
                        patient_id=zoe.id,
                        checkin_id=zoe_bad.id,
                        tier=2,
                        reasons=["pain_severe"],
                        state=AlertState.OPEN,
                        created_at=now - 2 * day + timedelta(minutes=6),
                    ),
                    Alert(
                        patient_id=ada.id,
                        checkin_id=ada_checkin.id,
                        tier=2,
                        reasons=["worsened"],
                        state=AlertState.ACKNOWLEDGED,
                        created_at=now - 4 * day,
                        acknowledged_at=now - 4 * day + timedelta(minutes=20),
                        acknowledged_by_id=coordinator.id,
                    ),
                    # Dealt with: no longer open.
                    Alert(
                        patient_id=bob.id,
                        checkin_id=bob_checkin.id,
                        tier=1,
                        reasons=["pain_moderate"],
                        state=AlertState.RESOLVED,
                        created_at=now - 8 * day,
                        acknowledged_at=now - 8 * day + timedelta(hours=1),
                        acknowledged_by_id=coordinator.id,
                        resolved_at=now - 7 * day,
                        resolved_by_id=coordinator.id,
                        resolution_note=RESOLUTION,
                    ),
                ]
            )
            ids = Seeded(
                now=now,
                finn=finn.id,
                zoe=zoe.id,
                eve=eve.id,
                bob=bob.id,
                ada=ada.id,
                dana=dana.id,
                carl=carl.id,
                caregiver=caregiver.id,
                coordinator=coordinator.id,
            )
        if extra_patients:
            # Quiet active patients with nothing to worry about: they sort after Ada.
            await seed_patients(sessions, extra_patients, now - timedelta(days=1), [])
    finally:
        await engine.dispose()
    return ids


def local_time(value: datetime, zone: str) -> time:
    """The wall time of an instant in a zone, to the minute."""
    from zoneinfo import ZoneInfo

    local = value.astimezone(ZoneInfo(zone))
    return time(local.hour, local.minute)
