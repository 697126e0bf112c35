"""A Runtime on the seeded service-test database: the shipped content, the test clock."""

from __future__ import annotations

from reminderbot.config import Settings
from reminderbot.content import Catalog
from reminderbot.content.calcium_rules import load_calcium_ranges
from reminderbot.content.escalation_rules import load_escalation_rules
from reminderbot.content.programs import (
    load_programs,
    load_suggested_timezones,
    load_timezone_names,
)
from reminderbot.content.tips import load_tips
from reminderbot.runtime import Runtime
from tests.services.conftest import World

EMERGENCY = "999"
CARE_TEAM = "the nurses on 0101"
# A coordinator by setting only (never wrote to the bot), beside Nurse Kim by role.
CONFIGURED_COORDINATOR = 9001


def runtime_for(world: World, catalog: Catalog) -> Runtime:
    """The Runtime the services receive in production, on the seeded database."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token="123456:TEST-services-token-000000000000",
        database_url="sqlite:///unused.sqlite3",
        default_timezone="Europe/London",
        emergency_number=EMERGENCY,
        care_team_contact=CARE_TEAM,
        coordinator_ids=(CONFIGURED_COORDINATOR,),
    )
    root = settings.messages_dir
    return Runtime(
        settings=settings,
        sessions=world.sessions,
        catalog=catalog,
        clock=world.clock,
        programs=load_programs(root),
        suggested_timezones=load_suggested_timezones(root),
        timezone_names=load_timezone_names(root),
        tips=load_tips(root),
        calcium_ranges=load_calcium_ranges(root),
        escalation=load_escalation_rules(root),
    )
