"""The one renderer: the deployment's contact numbers reach every text, given values win."""

from __future__ import annotations

from reminderbot.content import Catalog
from reminderbot.content.renderer import Renderer


def test_contact_numbers_fill_every_text_that_asks_for_them() -> None:
    catalog = Catalog.load()
    r = Renderer.for_deployment(catalog, emergency_number="999", care_team_contact="Ward 7")
    assert r.text("en", "common.help") == catalog.text(
        "en", "common.help", emergency_number="999", care_team_contact="Ward 7"
    )
    assert "999" in r.text("en", "common.help")


def test_a_value_given_by_the_caller_wins_over_the_deployments() -> None:
    catalog = Catalog.load()
    r = Renderer.for_deployment(catalog, emergency_number="999", care_team_contact=None)
    assert "112" in r.text("en", "common.help", emergency_number="112")


def test_an_unset_care_team_contact_reads_as_the_locales_default() -> None:
    catalog = Catalog.load()
    r = Renderer.for_deployment(catalog, emergency_number="999", care_team_contact=None)
    assert r.text("en", "common.default.care_team_contact") in r.text("en", "common.help")


def test_has_tells_declared_keys() -> None:
    r = Renderer(Catalog.load())
    assert r.has("common.help") and not r.has("alert.flag.no_such_flag")
