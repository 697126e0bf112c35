"""`reminderbot db backup FILE` and `db restore FILE`, for SQLite and PostgreSQL.

SQLite is copied through its online backup API, one step, so the copy is one consistent
snapshot while the bot goes on writing (WAL). PostgreSQL is dumped by `pg_dump` (custom
format, one snapshot) and restored by `pg_restore`, which must be installed. A restore goes
into an empty database only, so that nothing is ever merged or overwritten.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL

from reminderbot.store.database import SETTING, parse_url, safe_url, sqlite_path

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
README_HINT = "see the README's section Backups"


class BackupError(Exception):
    """A backup or restore cannot be done; the message is one line saying what to do."""


class NotEmptyError(BackupError):
    """The database to restore into already holds tables."""


def _sqlite_file(url: URL) -> Path:
    path = sqlite_path(url)
    if path is None:
        raise BackupError(f"{SETTING}: an in-memory SQLite database cannot be backed up")
    return path


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq URL without the password, and the environment that carries it."""
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} is not installed; install PostgreSQL's client tools "
            f"(Debian: apt install postgresql-client) or {README_HINT}"
        )
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(
        command, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        raise BackupError(f"{Path(command[0]).name} failed: {lines[0] if lines else 'no message'}")


def backup(raw_url: str, target: Path) -> str:
    """Write a backup of the database to `target`; return a one-line summary."""
    url = parse_url(raw_url)
    if target.exists():
        raise BackupError(f"{target} exists; choose a new file name (nothing is overwritten)")
    partial = target.with_name(f".{target.name}.partial")
    try:
        if url.get_backend_name() == "sqlite":
            source = _sqlite_file(url)
            if not source.exists():
                raise BackupError(f"{SETTING}: {source} does not exist")
            with sqlite3.connect(source) as src, sqlite3.connect(partial) as dst:
                src.backup(dst)  # every page in one step: one consistent snapshot
            src.close()
            dst.close()
        else:
            conninfo, env = _libpq(url)
            _run(
                [
                    _tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(partial),
                    conninfo,
                ],
                env,
            )
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return f"backup of {safe_url(url)} written to {target} ({target.stat().st_size:,} bytes)"


def _kind(file: Path) -> str:
    try:
        with file.open("rb") as handle:
            head = handle.read(16)
    except OSError as exc:
        raise BackupError(f"cannot read {file}: {exc.strerror or exc}") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PG_DUMP_MAGIC):
        return "postgresql"
    raise BackupError(f"{file} is not a reminderbot backup (neither SQLite nor pg_dump's format)")


def _sqlite_tables(path: Path) -> int:
    if not path.exists():
        return 0
    with sqlite3.connect(path) as conn:
        (count,) = conn.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        ).fetchone()
    conn.close()
    return int(count)


def _postgres_tables(conninfo: str) -> int:
    with psycopg.connect(conninfo, connect_timeout=5) as conn:
        row = conn.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema NOT IN ('pg_catalog', 'information_schema')"
        ).fetchone()
    return int(row[0]) if row else 0


def restore(raw_url: str, file: Path) -> str:
    """Restore a backup into the (empty) database; return a one-line summary."""
    url = parse_url(raw_url)
    kind = _kind(file)
    backend = url.get_backend_name()
    if kind != backend:
        raise BackupError(
            f"{file} is a {kind} backup; restore it into a {kind} database ({SETTING} is {backend})"
        )
    where = safe_url(url)
    if backend == "sqlite":
        path = _sqlite_file(url)
        tables = _sqlite_tables(path)
        if tables:
            raise NotEmptyError(
                f"the database {where} is not empty ({tables} tables); "
                "restore only into an empty database"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(file) as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        src.close()
        dst.close()
    else:
        conninfo, env = _libpq(url)
        try:
            tables = _postgres_tables(conninfo)
        except psycopg.OperationalError as exc:
            first = (str(exc).strip().splitlines() or ["cannot connect"])[0]
            raise BackupError(f"{SETTING}: cannot use {where}: {first}") from None
        if tables:
            raise NotEmptyError(
                f"the database {where} is not empty ({tables} tables); "
                "restore only into an empty database"
            )
        _run(
            [
                _tool("pg_restore"),
                "--no-owner",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                conninfo,
                str(file),
            ],
            env,
        )
    return f"restored {file} into {where}"
