"""Alembic migrations driven from Python: upgrade, downgrade and the current revision."""

from __future__ import annotations

import asyncio

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from reminderbot.paths import alembic_dir
from reminderbot.store.database import (
    DatabaseError,
    describe_failure,
    prepare_sqlite_folder,
    sqlite_path,
    sync_url,
)


def alembic_config(raw_url: str) -> Config:
    """Build an Alembic configuration for a database URL, without any ini file."""
    url = sync_url(raw_url)
    config = Config()
    config.set_main_option("script_location", str(alembic_dir()))
    # Percent signs in passwords would otherwise be read as ini interpolation.
    config.set_main_option(
        "sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def head_revision() -> str:
    """Return the newest migration revision shipped with this version."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    head = script.get_current_head()
    assert head is not None, "no migrations found"
    return head


def _run(raw_url: str, action: str, revision: str) -> None:
    url = sync_url(raw_url)
    prepare_sqlite_folder(url)
    config = alembic_config(raw_url)
    engine = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            getattr(command, action)(config, revision)
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise DatabaseError(describe_failure(url, exc)) from None
    finally:
        engine.dispose()


def upgrade(raw_url: str, revision: str = "head") -> None:
    """Upgrade the database to a revision (default: the newest)."""
    _run(raw_url, "upgrade", revision)


def downgrade(raw_url: str, revision: str) -> None:
    """Downgrade the database to a revision ("base" removes every table)."""
    _run(raw_url, "downgrade", revision)


def current_revision(raw_url: str) -> str | None:
    """Return the revision the database is at, or None when it has never been migrated."""
    url = sync_url(raw_url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None  # asking must not create an empty database file
    engine = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise DatabaseError(describe_failure(url, exc)) from None
    finally:
        engine.dispose()


async def upgrade_async(raw_url: str, revision: str = "head") -> None:
    """Run `upgrade` in a worker thread so the event loop stays free."""
    await asyncio.to_thread(upgrade, raw_url, revision)
