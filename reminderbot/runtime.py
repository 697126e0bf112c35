"""What every use case needs, built once at start-up: settings, sessions, renderer, clock."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminderbot.care.calcium import CalciumRanges
from reminderbot.care.escalation import EscalationRules
from reminderbot.care.programs import Program
from reminderbot.clock import Clock
from reminderbot.config import Settings
from reminderbot.content import Catalog
from reminderbot.content.programs import DEFAULT_PROGRAM
from reminderbot.content.renderer import Renderer
from reminderbot.content.tips import TipLibrary
from reminderbot.store.models import Person


@dataclass
class Runtime:
    """What the use cases share: settings, sessions, catalog, clock and loaded rules."""

    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    catalog: Catalog
    clock: Clock
    programs: dict[str, Program]
    suggested_timezones: tuple[str, ...]
    timezone_names: dict[str, str]
    tips: TipLibrary
    calcium_ranges: CalciumRanges
    escalation: EscalationRules

    @cached_property
    def renderer(self) -> Renderer:
        """The one renderer: the catalog with this deployment's contact numbers."""
        return Renderer.for_deployment(
            self.catalog,
            emergency_number=self.settings.emergency_number,
            care_team_contact=self.settings.care_team_contact,
        )

    @property
    def default_program(self) -> Program:
        """Return the program new patients start on."""
        return self.programs[DEFAULT_PROGRAM]

    def locale_for(self, language_code: str | None, person: Person | None) -> str:
        """A stored person's language, else the best match for the Telegram app's language."""
        return person.language if person is not None else self.catalog.resolve_locale(language_code)

    def text(self, locale: str, key: str, /, **values: Any) -> str:
        """Render a catalog text; the deployment's contact numbers are always available."""
        return self.renderer.text(locale, key, **values)
