"""The `reminderbot` command line: run, demo, db, content."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated, TextIO

import typer

from reminderbot.cli.admin import register as register_admin
from reminderbot.cli.errors import friendly_failures
from reminderbot.config import Settings, load_settings

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Self-care reminders, pain check-ins and escalation for people with bone metastases.",
)
db_app = typer.Typer(no_args_is_help=True, help="Database migrations, backup and restore.")
content_app = typer.Typer(no_args_is_help=True, help="The message catalog in messages/.")
app.add_typer(db_app, name="db")
app.add_typer(content_app, name="content")


def configure_logging(level: str, log_format: str = "text", stream: TextIO | None = None) -> None:
    """Log to stderr; keep HTTP client logs quiet because their URLs carry the bot token."""
    handler = logging.StreamHandler(stream)
    if log_format == "json":
        from reminderbot.ops.logging_json import JsonFormatter

        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # At DEBUG, python-telegram-bot logs whole requests and updates, message text included.
    logging.getLogger("telegram").setLevel(max(logging.getLevelName(level), logging.INFO))


def _settings() -> Settings:
    return load_settings()


@app.command()
def run() -> None:
    """Run the bot: polling by default, webhook when REMINDERBOT_WEBHOOK_URL is set."""
    from reminderbot.cli.serve import serve
    from reminderbot.ops.server import check_ops_port

    with friendly_failures():
        settings = _settings()
        settings.token()
        settings.check_webhook()
        check_ops_port(settings)
        configure_logging(settings.log_level, settings.log_format)
        asyncio.run(serve(settings))


@app.command()
def deliver() -> None:
    """Run an extra delivery worker: schedules and sending only, no updates (PostgreSQL)."""
    from reminderbot.cli.serve import deliver_only
    from reminderbot.ops.server import check_ops_port

    with friendly_failures():
        settings = _settings()
        settings.token()
        check_ops_port(settings)
        configure_logging(settings.log_level, settings.log_format)
        asyncio.run(deliver_only(settings))


@app.command()
def demo(
    locale: Annotated[str, typer.Option(help="Language of the scripted patient.")] = "en",
) -> None:
    """Play a scripted patient against the built-in Bot API emulator; needs no token."""
    from reminderbot.cli.demo import run_demo

    with friendly_failures():
        settings = _settings()
        logging.basicConfig(level=logging.WARNING)
        asyncio.run(run_demo(settings, locale=locale, write=typer.echo))


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to a revision (default: the newest)."""
    from reminderbot.store import migrations

    with friendly_failures():
        url = _settings().resolved_database_url
        migrations.upgrade(url, revision)
        typer.echo(f"database at revision {migrations.current_revision(url)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, or 'base' for empty.")],
) -> None:
    """Undo migrations down to a revision."""
    from reminderbot.store import migrations

    with friendly_failures():
        url = _settings().resolved_database_url
        migrations.downgrade(url, revision)
        typer.echo(f"database at revision {migrations.current_revision(url) or 'base'}")


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at and the newest one available."""
    from reminderbot.store import migrations

    with friendly_failures():
        url = _settings().resolved_database_url
        current = migrations.current_revision(url) or "none (empty database)"
        typer.echo(f"current: {current}\nnewest:  {migrations.head_revision()}")


@db_app.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write (must not exist).")],
) -> None:
    """Back up the database while the bot runs (SQLite online backup, or pg_dump)."""
    from reminderbot.ops.backup import BackupError, backup

    with friendly_failures():
        url = _settings().resolved_database_url
        try:
            typer.echo(backup(url, file))
        except BackupError as exc:
            typer.echo(f"reminderbot: {exc}", err=True)
            raise typer.Exit(2) from None


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="A file written by `reminderbot db backup`.")],
) -> None:
    """Restore a backup into an empty database; a database with tables is refused."""
    from reminderbot.ops.backup import BackupError, restore

    with friendly_failures():
        url = _settings().resolved_database_url
        try:
            typer.echo(restore(url, file))
        except BackupError as exc:
            typer.echo(f"reminderbot: {exc}", err=True)
            raise typer.Exit(2) from None


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """What the database says now, and the capacity forecast for the next 24 hours."""
    import json
    from datetime import UTC, datetime

    from reminderbot.ops import status as ops_status

    with friendly_failures():
        settings = _settings()
        report = asyncio.run(ops_status.collect(settings, datetime.now(UTC)))
        if as_json:
            typer.echo(json.dumps(ops_status.as_json(report), indent=2))
        else:
            typer.echo(ops_status.render(report))


@content_app.command("check")
def content_check(
    messages_dir: Annotated[
        Path | None,
        typer.Option(help="Check this folder instead of the bundled messages/ (e.g. a draft)."),
    ] = None,
    strict_review: Annotated[
        bool, typer.Option(help="Treat a tip whose review_by date has passed as an error.")
    ] = False,
) -> None:
    """Validate every file in messages/; exit 1 when anything is wrong."""
    from reminderbot.content.checks import check_all

    if messages_dir is not None and not (messages_dir / "locales.yaml").is_file():
        typer.echo(f"reminderbot: {messages_dir} has no locales.yaml; is it a messages folder?")
        raise typer.Exit(2)
    with friendly_failures():
        report, ok = check_all(messages_dir, strict_review=strict_review)
        typer.echo(report)
        if not ok:
            raise typer.Exit(1)


register_admin(app)


@content_app.command("preview")
def content_preview(
    locale: Annotated[str, typer.Option(help="Locale to show, e.g. en or zh-Hans.")] = "en",
    topic: Annotated[
        str | None, typer.Option(help="One topic (e.g. protein); all topics when left out.")
    ] = None,
    messages_dir: Annotated[
        Path | None, typer.Option(help="Preview this folder instead of the bundled messages/.")
    ] = None,
) -> None:
    """Print tips as the patient would see them, with id, source and review date."""
    from datetime import date

    from reminderbot.content.preview import PreviewError, preview

    with friendly_failures():
        try:
            for block in preview(messages_dir, locale, topic, date.today()):
                typer.echo(block)
        except PreviewError as exc:
            typer.echo(f"reminderbot: {exc}", err=True)
            raise typer.Exit(2) from None


def main() -> None:
    """Console-script entry point."""
    app()
