"""The one renderer: catalog texts in a locale, with the deployment's contact numbers filled in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from reminderbot.content.catalog import Catalog


@dataclass(frozen=True)
class Renderer:
    """Renders every user-facing text; `contacts` are available to every key without asking."""

    catalog: Catalog
    contacts: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def for_deployment(
        cls, catalog: Catalog, *, emergency_number: str | None, care_team_contact: str | None
    ) -> Renderer:
        """The renderer of one deployment: its catalog and its two contact numbers."""
        contacts = {"emergency_number": emergency_number, "care_team_contact": care_team_contact}
        return cls(catalog, MappingProxyType(contacts))

    def text(self, locale: str, key: str, /, **values: Any) -> str:
        """Render a key; values given here win over the contact numbers of the same name."""
        return self.catalog.text(locale, key, **{**self.contacts, **values})

    def has(self, key: str) -> bool:
        """Whether the catalog declares a key (for optional texts such as a flag's name)."""
        return key in self.catalog.keys
