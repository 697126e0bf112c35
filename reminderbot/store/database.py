"""Engines and sessions: URL normalisation, SQLite pragmas, and a start-up reachability check."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)

SETTING = "REMINDERBOT_DATABASE_URL"
SQLITE_BUSY_TIMEOUT_MS = 5000
POSTGRES_CONNECT_TIMEOUT_S = 5


class DatabaseError(Exception):
    """The database cannot be used; the message is one line naming the setting."""


def parse_url(raw: str) -> URL:
    """Parse a database URL, raising DatabaseError for anything but SQLite or PostgreSQL."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise DatabaseError(
            f"{SETTING}: {raw!r} is not a database URL "
            "(examples: sqlite:////var/lib/reminderbot/bot.sqlite3, "
            "postgresql+psycopg://user:password@host/dbname)"
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(
            f"{SETTING}: {url.get_backend_name()!r} databases are not supported; "
            "use sqlite:///… or postgresql+psycopg://…"
        )
    return url


def async_url(raw: str) -> URL:
    """Return the URL with the async driver this project uses for its backend."""
    url = parse_url(raw)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+aiosqlite")
    return url.set(drivername="postgresql+psycopg")


def sync_url(raw: str) -> URL:
    """Return the URL with a synchronous driver, for Alembic."""
    url = parse_url(raw)
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    return url.set(drivername="postgresql+psycopg")


def safe_url(url: URL | str) -> str:
    """Render a URL for messages and logs, with the password hidden."""
    if isinstance(url, str):
        try:
            url = make_url(url)
        except ArgumentError:
            return "<unparseable URL>"
    return url.render_as_string(hide_password=True)


def sqlite_path(url: URL) -> Path | None:
    """Return the file behind a SQLite URL, or None for an in-memory database."""
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers go on while the dispatcher writes; the busy timeout turns a short lock
    # into a wait instead of an error; SQLite leaves foreign keys off unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


# PostgreSQL text cannot hold NUL, and no UTF-8 encoder takes a lone surrogate (JSON can
# carry "\ud800"); either would turn a typed note into a failed statement.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable_text(value: str) -> str:
    """Drop NUL characters and replace lone surrogates, which no database text column holds."""
    if _UNSTORABLE.search(value) is None:
        return value
    return _UNSTORABLE.sub(lambda m: "" if m.group() == "\x00" else "\ufffd", value)


def _clean(value: Any) -> Any:
    return storable_text(value) if isinstance(value, str) else value


def _clean_parameters(parameters: Any) -> Any:
    if isinstance(parameters, dict):
        return {key: _clean(value) for key, value in parameters.items()}
    if isinstance(parameters, tuple):
        return tuple(_clean(value) for value in parameters)
    if isinstance(parameters, list):  # executemany: one set of parameters per row
        return [_clean_parameters(row) for row in parameters]
    return parameters


def _clean_statement_parameters(
    _conn: Any,
    _cursor: Any,
    statement: str,
    parameters: Any,
    _context: Any,
    _executemany: bool,
) -> tuple[str, Any]:
    return statement, _clean_parameters(parameters)


def install_text_cleaning(engine: Engine) -> None:
    """Clean every string parameter on its way to the database (the storage edge)."""
    event.listen(engine, "before_cursor_execute", _clean_statement_parameters, retval=True)


def install_sqlite_pragmas(engine: Engine) -> None:
    """Apply the project's SQLite pragmas to every new connection of a sync engine."""
    event.listen(engine, "connect", _set_sqlite_pragmas)


def prepare_sqlite_folder(url: URL) -> None:
    """Create the folder of a SQLite file, raising DatabaseError when that is impossible."""
    path = sqlite_path(url)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"{SETTING}: cannot create the folder {path.parent} for the SQLite file "
            f"({exc.strerror or exc}); choose a writable location"
        ) from None


def create_engine(raw_url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine for a database URL with the project's connection settings."""
    url = async_url(raw_url)
    sqlite = url.get_backend_name() == "sqlite"
    connect_args: dict[str, Any] = {}
    if sqlite:
        prepare_sqlite_folder(url)
        connect_args["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
    else:
        connect_args["connect_timeout"] = POSTGRES_CONNECT_TIMEOUT_S
    # A server connection can die while pooled (restart, idle timeout), so PostgreSQL's are
    # checked before use; a SQLite file cannot go away like that, and the check would cost a
    # round trip to the driver's thread on every checkout.
    # hide_parameters: an error's text must never carry what a person typed into the logs.
    engine = create_async_engine(
        url,
        connect_args=connect_args,
        pool_pre_ping=not sqlite,
        hide_parameters=True,
        **kwargs,
    )
    if sqlite:
        install_sqlite_pragmas(engine.sync_engine)
    install_text_cleaning(engine.sync_engine)
    return engine


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Return the session maker every service uses; objects stay usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


def describe_failure(url: URL | str, exc: BaseException) -> str:
    """Turn a driver error into one line that names the setting and the problem."""
    original = getattr(exc, "orig", None) or exc
    first_line = (str(original).strip().splitlines() or [type(original).__name__])[0]
    return f"{SETTING}: cannot use {safe_url(url)}: {first_line}"


async def check_database(engine: AsyncEngine) -> None:
    """Connect and take a write lock once, so an unreachable or read-only database fails early."""
    try:
        async with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                await conn.exec_driver_sql("BEGIN IMMEDIATE")
                await conn.exec_driver_sql("ROLLBACK")
            else:
                await conn.execute(text("SELECT 1"))
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        raise DatabaseError(describe_failure(engine.url, exc)) from None
