"""The composition root: from settings to a ready Runtime (database checked and migrated)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from reminderbot.clock import Clock, SystemClock
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
from reminderbot.store.database import check_database, create_engine, session_factory
from reminderbot.store.migrations import upgrade


@asynccontextmanager
async def open_runtime(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Runtime]:
    """Check the database, migrate it when allowed, load content, and yield the Runtime."""
    root = settings.messages_dir
    catalog = Catalog.load(root)
    programs = load_programs(root)
    zones = load_suggested_timezones(root)
    tips = load_tips(root)
    calcium_ranges = load_calcium_ranges(root)
    escalation = load_escalation_rules(root)
    url = settings.resolved_database_url
    engine = create_engine(url)
    try:
        await check_database(engine)
        if settings.auto_migrate:
            await asyncio.to_thread(upgrade, url)
        yield Runtime(
            settings=settings,
            sessions=session_factory(engine),
            catalog=catalog,
            clock=clock or SystemClock(),
            programs=programs,
            suggested_timezones=zones,
            timezone_names=load_timezone_names(root),
            tips=tips,
            calcium_ranges=calcium_ranges,
            escalation=escalation,
        )
    finally:
        await engine.dispose()
