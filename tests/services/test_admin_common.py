"""What coordinator tools share: strict input parsing, typed errors, the audit actor, lookups."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import select

from reminderbot.content import Catalog
from reminderbot.services.admin_common import (
    CLI_ACTOR,
    MAX_TELEGRAM_ID,
    Actor,
    AdminInputError,
    audit,
    load_patient,
    parse_day,
    parse_page,
    parse_patient_id,
    parse_telegram_id,
)
from reminderbot.store.models import AuditEvent, ScheduleKind
from tests.services.conftest import World
from tests.services.seed import COORDINATOR_TG

# --- patient numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("12", 12), ("#12", 12), ("  #7 \n", 7), ("007", 7), ("999999999", 999_999_999)],
)
def test_a_patient_number_is_digits_with_an_optional_hash(typed: str, expected: int) -> None:
    assert parse_patient_id(typed) == expected


# Only 0-9 are digits here: \d and str.isdigit() would take full-width (１２), Arabic-Indic
# (١٢) or superscript (²) digits (fixed with the strict id parsing of the button guard).


@pytest.mark.parametrize("typed", ["１２", "#１２", "١٢"])
def test_digits_other_than_0_to_9_are_not_a_patient_number(typed: str) -> None:
    with pytest.raises(AdminInputError) as raised:
        parse_patient_id(typed)
    assert raised.value.key == "admin.patient.bad_id"


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "#",
        "abc",
        "-3",
        "+3",
        "12.0",
        "1 2",
        "# 12",
        "##12",
        "12#",
        "²",  # a digit to str.isdigit, but not a decimal digit
        "1_000",
        "1" * 25,  # far beyond any patient number (and beyond a 64-bit id)
        "1234567890",  # ten digits: more than a patient number may have
    ],
)
def test_anything_else_is_not_a_patient_number(typed: str) -> None:
    with pytest.raises(AdminInputError) as raised:
        parse_patient_id(typed)
    assert raised.value.key == "admin.patient.bad_id"
    assert raised.value.values == {"typed": typed.strip()[:40]}


def test_the_error_says_what_was_typed_in_the_askers_language(catalog: Catalog) -> None:
    with pytest.raises(AdminInputError) as raised:
        parse_patient_id("  twelve ")
    assert raised.value.render(catalog, "en") == (
        "“twelve” is not a patient number. Patient numbers are digits, like 12; "
        "the patient list shows them."
    )
    assert raised.value.render(catalog, "zh-Hans") == catalog.text(
        "zh-Hans", "admin.patient.bad_id", typed="twelve"
    )
    assert "twelve" in raised.value.render(catalog, "zh-Hans")


def test_a_long_bad_input_is_quoted_only_in_part() -> None:
    with pytest.raises(AdminInputError) as raised:
        parse_patient_id("x" * 500)
    assert raised.value.values["typed"] == "x" * 40


def test_an_input_error_is_a_value_error_named_by_its_key() -> None:
    error = AdminInputError("admin.page.bad", typed="0")
    assert isinstance(error, ValueError)
    assert str(error) == "admin.page.bad"


# --- Telegram ids, pages, dates -----------------------------------------------------------------


@pytest.mark.parametrize(("typed", "expected"), [("1", 1), (" 5201 ", 5201)])
def test_a_telegram_id_is_a_positive_whole_number(typed: str, expected: int) -> None:
    assert parse_telegram_id(typed) == expected
    assert parse_telegram_id(str(MAX_TELEGRAM_ID - 1)) == MAX_TELEGRAM_ID - 1


@pytest.mark.parametrize("typed", ["0", "-1", "#5", "1e3", "1" * 25, str(MAX_TELEGRAM_ID)])
def test_a_bad_telegram_id_is_refused_by_key(typed: str) -> None:
    with pytest.raises(AdminInputError) as raised:
        parse_telegram_id(typed)
    assert raised.value.key == "admin.coordinator.bad_id"


@pytest.mark.parametrize(("typed", "expected"), [("1", 1), ("12", 12), (" 999999 ", 999_999)])
def test_a_page_counts_from_one(typed: str, expected: int) -> None:
    assert parse_page(typed) == expected


@pytest.mark.parametrize("typed", ["0", "-1", "", "two", "1000000"])
def test_a_bad_page_is_refused_by_key(typed: str) -> None:
    with pytest.raises(AdminInputError) as raised:
        parse_page(typed)
    assert raised.value.key == "admin.page.bad"


@pytest.mark.parametrize("typed", ["²", "１２３"])
@pytest.mark.parametrize(
    ("parse", "key"),
    [(parse_telegram_id, "admin.coordinator.bad_id"), (parse_page, "admin.page.bad")],
    ids=["telegram_id", "page"],
)
def test_digits_other_than_0_to_9_are_refused_with_the_kind_message(
    parse: Callable[[str], int], key: str, typed: str
) -> None:
    with pytest.raises(AdminInputError) as raised:
        parse(typed)
    assert raised.value.key == key


def test_a_day_is_written_year_month_day() -> None:
    assert parse_day(" 2026-03-29 ") == date(2026, 3, 29)


@pytest.mark.parametrize(
    "typed", ["2026-02-30", "2026-3-29", "29.03.2026", "20260329", "2026-W13-1", "tomorrow", ""]
)
def test_a_bad_day_is_refused_by_key(typed: str) -> None:
    with pytest.raises(AdminInputError) as raised:
        parse_day(typed)
    assert raised.value.key == "admin.date.bad"
    assert raised.value.values == {"typed": typed.strip()}


# --- who acts, and the audit trail --------------------------------------------------------------


def test_the_cli_acts_without_a_telegram_id() -> None:
    assert Actor(via="cli") == CLI_ACTOR
    assert CLI_ACTOR.telegram_id is None


async def test_audit_names_the_actor_and_channel_with_ids_only(world: World) -> None:
    nurse = Actor(via="telegram", telegram_id=COORDINATOR_TG)
    async with world.sessions.begin() as session:
        audit(session, nurse, world.clock.now(), "test:change", world.ids.ada, schedule=3)
        audit(session, CLI_ACTOR, world.clock.now(), "test:change")
    async with world.sessions() as session:
        events = (
            await session.scalars(
                select(AuditEvent).where(AuditEvent.action == "test:change").order_by(AuditEvent.id)
            )
        ).all()
    assert [(e.actor_telegram_id, e.subject_person_id, e.details) for e in events] == [
        (COORDINATOR_TG, world.ids.ada, {"via": "telegram", "schedule": 3}),
        (None, None, {"via": "cli"}),
    ]
    assert all(e.at == world.clock.now() for e in events)


# --- looking a patient up -----------------------------------------------------------------------


async def test_load_patient_brings_the_profile_and_schedules(world: World) -> None:
    async with world.sessions() as session:
        ada = await load_patient(session, world.ids.ada)
    # Loaded eagerly: read after the session is closed without another query.
    assert ada.patient is not None and ada.display_name == "Ada Lovelace"
    assert ScheduleKind.CHECKIN in {s.kind for s in ada.patient.schedules}


@pytest.mark.parametrize("who", ["caregiver", "coordinator", "nobody"])
async def test_someone_without_a_patient_profile_is_an_unknown_patient(
    world: World, who: str
) -> None:
    patient_id = 987_654 if who == "nobody" else getattr(world.ids, who)
    async with world.sessions() as session:
        with pytest.raises(AdminInputError) as raised:
            await load_patient(session, patient_id)
    assert (raised.value.key, raised.value.values) == (
        "admin.patient.unknown",
        {"patient_id": patient_id},
    )
