"""The stairway: every migration up, down and up again, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from reminderbot.store import migrations
from reminderbot.store.database import sync_url
from reminderbot.store.models import Base


def _revisions() -> list[str]:
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def _tables(url: str) -> set[str]:
    engine = create_engine(sync_url(url))
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def any_db_url(request: pytest.FixtureRequest) -> str:
    """Each backend in turn."""
    return request.getfixturevalue(f"{request.param}_url")


def test_stairway_each_revision_up_down_up(any_db_url: str) -> None:
    revisions = _revisions()
    assert revisions, "no migrations found"
    previous = "base"
    for revision in revisions:
        migrations.upgrade(any_db_url, revision)
        assert migrations.current_revision(any_db_url) == revision
        migrations.downgrade(any_db_url, previous)
        assert migrations.current_revision(any_db_url) == (None if previous == "base" else previous)
        migrations.upgrade(any_db_url, revision)
        previous = revision
    assert migrations.current_revision(any_db_url) == migrations.head_revision()


def test_head_matches_models(any_db_url: str) -> None:
    migrations.upgrade(any_db_url)
    assert _tables(any_db_url) == set(Base.metadata.tables)
    migrations.downgrade(any_db_url, "base")
    assert _tables(any_db_url) == set()


def test_no_pending_model_changes(any_db_url: str) -> None:
    """Models and migrations agree: autogenerate finds nothing left to migrate."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    migrations.upgrade(any_db_url)
    engine = create_engine(sync_url(any_db_url))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
