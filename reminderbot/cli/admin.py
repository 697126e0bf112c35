"""Coordinator tools on the command line: coordinator, schedule, program, patients, export, audit.

Every command reads the same settings as `reminderbot run`, opens the database the same way
(checked, and migrated when REMINDERBOT_AUTO_MIGRATE allows), and calls the same services as
the coordinators' Telegram commands. Bad input is one line on stderr and exit code 2, with
nothing changed: the services raise before they touch anything, and the transaction is
rolled back. Every change is written to the audit log as done "via cli".
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import unicodedata
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TextIO

import typer

from reminderbot.cli.errors import EXIT_CONFIG, friendly_failures
from reminderbot.config import Settings, load_settings

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

    from reminderbot.care.programs import Program
    from reminderbot.content import Catalog
    from reminderbot.runtime import Runtime
    from reminderbot.services.schedule_admin import ScheduleView

# The CLI speaks the reference locale; the same errors reach Telegram in the asker's language.
LOCALE = "en"
PAGE_SIZE = 20
NAME_WIDTH = 24

coordinator_app = typer.Typer(
    no_args_is_help=True,
    help="Coordinators: granted by REMINDERBOT_COORDINATOR_IDS or by role (add/remove here).",
)
schedule_app = typer.Typer(no_args_is_help=True, help="A patient's schedules: show and change.")
program_app = typer.Typer(no_args_is_help=True, help="Programs (messages/programs/*.yaml).")
patients_app = typer.Typer(no_args_is_help=True, help="Patients, most worrying first.")

PatientArg = Annotated[
    str, typer.Argument(metavar="PATIENT", help="Patient number, as `patients list` shows it.")
]
TelegramIdArg = Annotated[
    str, typer.Argument(metavar="TELEGRAM_ID", help="The person's numeric Telegram user id.")
]
SinceOpt = Annotated[
    str, typer.Option("--since", metavar="YYYY-MM-DD", help="From this date on (UTC).")
]


def register(app: typer.Typer) -> None:
    """Add the coordinator commands to the `reminderbot` command."""
    app.add_typer(coordinator_app, name="coordinator")
    app.add_typer(schedule_app, name="schedule")
    app.add_typer(program_app, name="program")
    app.add_typer(patients_app, name="patients")
    app.command("export")(export_command)
    app.command("audit")(audit_command)


@dataclass
class Admin:
    """What a coordinator command needs: the Runtime the bot also runs on, and shortcuts."""

    rt: Runtime

    @property
    def settings(self) -> Settings:
        """The deployment's settings."""
        return self.rt.settings

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        """Sessions on the deployment's database."""
        return self.rt.sessions

    def now(self) -> datetime:
        """The current instant (UTC)."""
        return self.rt.clock.now()

    @property
    def catalog(self) -> Catalog:
        """The message catalog, for schedules in words."""
        return self.rt.catalog

    @property
    def programs(self) -> dict[str, Program]:
        """The programs in messages/programs/."""
        return self.rt.programs

    @property
    def open_for(self) -> timedelta:
        """How long a check-in prompt stays open before it counts as missed."""
        return timedelta(hours=self.rt.escalation.nudge_after_hours)


def _catalog(settings: Settings) -> Catalog:
    from reminderbot.content import Catalog

    return Catalog.load(settings.messages_dir)


@asynccontextmanager
async def _open(settings: Settings) -> AsyncIterator[Admin]:
    """Everything as `run` opens it (database checked, migrated when allowed), without the bot."""
    from reminderbot.bootstrap import open_runtime

    async with open_runtime(settings) as rt:
        yield Admin(rt)


@contextmanager
def _admin_failures(settings: Settings) -> Iterator[None]:
    """Bad input as one kind line on stderr and exit code 2; settings problems as `run` does."""
    from reminderbot.services.admin_common import AdminInputError

    with friendly_failures():
        try:
            yield
        except AdminInputError as exc:
            line = exc.render(_catalog(settings), LOCALE)
            print(f"reminderbot: {line}", file=sys.stderr)
            raise SystemExit(EXIT_CONFIG) from None


def _run(settings: Settings, work: Callable[[Admin], Awaitable[None]]) -> None:
    async def main() -> None:
        async with _open(settings) as admin:
            await work(admin)

    with _admin_failures(settings):
        asyncio.run(main())


# --- plain-text tables (CJK characters take two columns in a terminal) ---------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _clip(text: str, width: int) -> str:
    if _width(text) <= width:
        return text
    out = ""
    for ch in text:
        if _width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(_width(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [str(c) + " " * (w - _width(str(c))) for c, w in zip(cells, widths, strict=True)]
        return "  ".join(padded).rstrip()

    return [line(headers), *(line(r) for r in rows)]


def _name(name: str | None) -> str:
    return _clip(name, NAME_WIDTH) if name else "—"


def _ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def _slot(slot: str) -> str:
    return {"checkin": "check-in"}.get(slot, slot)


def _schedule_line(view: ScheduleView) -> str:
    nxt = f" — next {view.next_local}" if view.next_local else " — not planned"
    fixed = f" (follows the patient's {_slot(view.time_slot)} time)" if view.time_slot else ""
    state = "" if view.active else " [inactive]"
    return f"  #{view.schedule_id} {view.kind}: {view.description}{nxt}{fixed}{state}"


# --- coordinator ----------------------------------------------------------------------------


@coordinator_app.command("add")
def coordinator_add(telegram_id: TelegramIdArg) -> None:
    """Make a Telegram user a coordinator (by role); creates them if they never wrote."""
    from reminderbot.services import coordinators
    from reminderbot.services.admin_common import CLI_ACTOR, parse_telegram_id

    settings = _settings()
    with _admin_failures(settings):
        uid = parse_telegram_id(telegram_id)

    async def work(admin: Admin) -> None:
        async with admin.sessions.begin() as session:
            result = await coordinators.grant(
                session,
                uid,
                configured_ids=settings.coordinator_ids,
                default_timezone=settings.default_timezone,
                actor=CLI_ACTOR,
                now=admin.now(),
            )
        if not result.changed:
            typer.echo(f"{uid} is already a coordinator (person #{result.person_id}).")
            return
        typer.echo(f"{uid} is now a coordinator (person #{result.person_id}).")
        if result.created:
            typer.echo(
                "They have never written to the bot: Telegram lets the bot write to them only "
                "after they open it and press Start once."
            )
        if result.also_by_setting:
            typer.echo(f"They are also listed in {coordinators.SETTING_NAME}.")

    _run(settings, work)


@coordinator_app.command("list")
def coordinator_list() -> None:
    """List coordinators and where their rights come from (setting, role, or both)."""
    from reminderbot.services import coordinators

    settings = _settings()

    async def work(admin: Admin) -> None:
        async with admin.sessions() as session:
            entries = await coordinators.list_coordinators(session, settings.coordinator_ids)
        if not entries:
            typer.echo(
                "No coordinators. Add one with `reminderbot coordinator add TELEGRAM_ID` "
                f"or list ids in {coordinators.SETTING_NAME}."
            )
            return
        labels = {
            coordinators.Source.SETTING: coordinators.SETTING_NAME,
            coordinators.Source.ROLE: "role (coordinator add)",
        }
        rows = [
            [
                str(e.telegram_user_id),
                f"#{e.person_id}" if e.person_id is not None else "—",
                _name(e.name),
                " + ".join(labels[s] for s in e.sources),
            ]
            for e in entries
        ]
        for line in _table(["telegram id", "person", "name", "granted by"], rows):
            typer.echo(line)

    _run(settings, work)


@coordinator_app.command("remove")
def coordinator_remove(telegram_id: TelegramIdArg) -> None:
    """Take the coordinator role away (a patient stays a patient)."""
    from reminderbot.services import coordinators
    from reminderbot.services.admin_common import CLI_ACTOR, parse_telegram_id

    settings = _settings()
    with _admin_failures(settings):
        uid = parse_telegram_id(telegram_id)

    async def work(admin: Admin) -> None:
        async with admin.sessions.begin() as session:
            result = await coordinators.revoke(
                session,
                uid,
                configured_ids=settings.coordinator_ids,
                actor=CLI_ACTOR,
                now=admin.now(),
            )
        left = f"now {result.new_role.value}" if result.new_role else "no other role"
        typer.echo(
            f"{uid} is no longer a coordinator by role (person #{result.person_id}, {left})."
        )
        if result.still_by_setting:
            typer.echo(
                f"They are still a coordinator through {coordinators.SETTING_NAME}: remove "
                "the id from that setting and restart the bot."
            )

    _run(settings, work)


# --- schedule and program --------------------------------------------------------------------


@schedule_app.command("show")
def schedule_show(patient: PatientArg) -> None:
    """Show a patient's schedules in words, with the next time each one fires."""
    from reminderbot.services.admin_common import parse_patient_id
    from reminderbot.services.schedule_admin import show_schedules

    settings = _settings()
    with _admin_failures(settings):
        patient_id = parse_patient_id(patient)

    async def work(admin: Admin) -> None:
        async with admin.sessions() as session:
            shown = await show_schedules(session, patient_id, catalog=admin.catalog, locale=LOCALE)
        typer.echo(
            f"Patient #{shown.patient_id} {_name(shown.name)} · {shown.timezone} · "
            f"program {shown.program} · {shown.status}"
        )
        for view in shown.schedules:
            typer.echo(_schedule_line(view))
        if not shown.schedules:
            typer.echo("  no schedules")

    _run(settings, work)


@schedule_app.command("set")
def schedule_set(
    patient: PatientArg,
    kind: Annotated[
        str,
        typer.Argument(metavar="KIND", help="checkin, tip or calcium (or a schedule number)."),
    ],
    times: Annotated[
        str | None,
        typer.Option(metavar="HH:MM[,HH:MM]", help="Local times; several only for daily."),
    ] = None,
    weekdays: Annotated[
        str | None, typer.Option(metavar="mon,wed,…", help="Fire on these weekdays.")
    ] = None,
    every: Annotated[
        str | None, typer.Option(metavar="N", help="Fire every N days or weeks (see --unit).")
    ] = None,
    unit: Annotated[str | None, typer.Option(metavar="days|weeks", help="Unit of --every.")] = None,
    dose_dates: Annotated[
        str | None,
        typer.Option(metavar="YYYY-MM-DD,…", help="Calcium only: remind before each dose date."),
    ] = None,
    days_before: Annotated[
        str | None, typer.Option(metavar="N", help="Days before each dose date (0-60).")
    ] = None,
) -> None:
    """Change one schedule's times, weekdays, interval or dose dates."""
    from reminderbot.services.admin_common import CLI_ACTOR, parse_patient_id
    from reminderbot.services.schedule_admin import ScheduleChange, change_schedule

    settings = _settings()
    with _admin_failures(settings):
        patient_id = parse_patient_id(patient)
    change = ScheduleChange(
        times=times,
        weekdays=weekdays,
        every=every,
        unit=unit,
        dose_dates=dose_dates,
        days_before=days_before,
    )

    async def work(admin: Admin) -> None:
        async with admin.sessions.begin() as session:
            update = await change_schedule(
                session,
                patient_id,
                kind,
                change,
                actor=CLI_ACTOR,
                now=admin.now(),
                catalog=admin.catalog,
                locale=LOCALE,
            )
        typer.echo(f"Patient #{update.patient_id}: {update.after.kind} schedule changed.")
        typer.echo(f"  before: {update.before.description}")
        typer.echo(f"  after:  {update.after.description} — next {update.after.next_local}")
        if times is not None:
            typer.echo("  These times are now fixed: the patient's time settings do not move them.")

    _run(settings, work)


@program_app.command("list")
def program_list() -> None:
    """List programs, their schedules, and how many patients follow each."""
    from reminderbot.services.schedule_admin import list_programs

    settings = _settings()

    async def work(admin: Admin) -> None:
        async with admin.sessions() as session:
            views = await list_programs(
                session, admin.programs, catalog=admin.catalog, locale=LOCALE
            )
        for view in views:
            typer.echo(f"{view.name} ({view.patients} patients)")
            for item in view.items:
                slot = _slot(item.time_slot)
                typer.echo(
                    f"  {item.kind}: {item.description} (the patient's {slot} time, "
                    f"{item.default_time} unless they chose another)"
                )

    _run(settings, work)


@program_app.command("apply")
def program_apply(
    patient: PatientArg,
    program: Annotated[str, typer.Argument(metavar="PROGRAM", help="A name from `program list`.")],
) -> None:
    """Replace a patient's schedules with a program's, keeping the times they chose."""
    from reminderbot.services.admin_common import CLI_ACTOR, parse_patient_id
    from reminderbot.services.schedule_admin import assign_program

    settings = _settings()
    with _admin_failures(settings):
        patient_id = parse_patient_id(patient)

    async def work(admin: Admin) -> None:
        async with admin.sessions.begin() as session:
            applied = await assign_program(
                session,
                patient_id,
                program,
                programs=admin.programs,
                actor=CLI_ACTOR,
                now=admin.now(),
                catalog=admin.catalog,
                locale=LOCALE,
            )
        typer.echo(
            f"Patient #{applied.patient_id} now follows program {applied.program} "
            f"(was {applied.previous}):"
        )
        for view in applied.schedules:
            typer.echo(_schedule_line(view))

    _run(settings, work)


# --- patients --------------------------------------------------------------------------------


@patients_app.command("list")
def patients_list(
    page: Annotated[str, typer.Option(metavar="N", help="Page number (20 a page).")] = "1",
) -> None:
    """Patients, most worrying first: open alerts, unreachable, missed check-ins, last tier."""
    from reminderbot.services.admin_common import parse_page
    from reminderbot.services.roster import roster

    settings = _settings()
    with _admin_failures(settings):
        number = parse_page(page)

    async def work(admin: Admin) -> None:
        now = admin.now()
        async with admin.sessions() as session:
            result = await roster(
                session,
                now,
                offset=(number - 1) * PAGE_SIZE,
                limit=PAGE_SIZE,
                open_for=admin.open_for,
            )
        pages = max(1, -(-result.total // PAGE_SIZE))
        if not result.rows:
            typer.echo(f"No patients on page {number} ({result.total} patients, {pages} pages).")
            return
        rows = [
            [
                f"#{r.person_id}",
                _name(r.name),
                r.status,
                r.program,
                f"{r.last_score}/10" if r.last_score is not None else "—",
                f"T{r.last_tier}" if r.last_tier is not None else "—",
                _ago(r.last_answer_at, now),
                str(r.missed_checkins),
                str(r.caregivers),
                _open_alert(r.open_alert_tier, r.unacknowledged_alerts),
            ]
            for r in result.rows
        ]
        headers = [
            "patient",
            "name",
            "status",
            "program",
            "pain",
            "tier",
            "last answer",
            "missed",
            "caregivers",
            "open alert",
        ]
        for line in _table(headers, rows):
            typer.echo(line)
        typer.echo(f"page {number} of {pages} · {result.total} patients")

    _run(settings, work)


@patients_app.command("show")
def patients_show(patient: PatientArg) -> None:
    """One patient: profile, schedules, recent check-ins and open alerts."""
    from reminderbot.services.admin_common import parse_patient_id
    from reminderbot.services.roster import patient_detail

    settings = _settings()
    with _admin_failures(settings):
        patient_id = parse_patient_id(patient)

    async def work(admin: Admin) -> None:
        async with admin.sessions() as session:
            d = await patient_detail(session, patient_id, catalog=admin.catalog, locale=LOCALE)
        quiet = "–".join(d.quiet_hours) if d.quiet_hours else "none"
        typer.echo(f"Patient #{d.person_id} {_name(d.name)}")
        typer.echo(
            f"  status {d.status} since {_utc(d.status_changed_at)} · program {d.program} · "
            f"{d.timezone} · language {d.language} · quiet hours {quiet} · "
            f"caregivers {d.caregivers}"
        )
        typer.echo("Schedules:")
        for view in d.schedules:
            typer.echo(_schedule_line(view))
        typer.echo("Recent check-ins:")
        for c in d.recent_checkins:
            score = f"{c.score}/10" if c.score is not None else "—"
            tier = f"T{c.tier}" if c.tier is not None else "—"
            done = "" if c.finished else " (unfinished)"
            typer.echo(f"  {_utc(c.answered_at or c.prompted_at)} {c.source}: {score} {tier}{done}")
        if not d.recent_checkins:
            typer.echo("  none")
        typer.echo("Open alerts (not resolved):")
        for a in d.open_alerts:
            raised = _utc(a.created_at)
            typer.echo(
                f"  alert {a.alert_id} T{a.tier} {a.state}, raised {raised}: {', '.join(a.reasons)}"
            )
        if not d.open_alerts:
            typer.echo("  none")

    _run(settings, work)


def _open_alert(tier: int | None, unacknowledged: int) -> str:
    if tier is None:
        return ""
    return f"T{tier}" if unacknowledged else f"T{tier} (acknowledged)"


def _utc(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "—"


# --- export and audit ------------------------------------------------------------------------


def export_command(
    kind: Annotated[str, typer.Argument(metavar="checkins|alerts", help="What to export.")],
    since: SinceOpt,
    format_: Annotated[str, typer.Option("--format", metavar="csv", help="File format.")] = "csv",
    output: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write here instead of stdout.")
    ] = None,
) -> None:
    """Export check-ins or alerts since a date as CSV (UTF-8 with BOM, times in UTC)."""
    from reminderbot.services import exports
    from reminderbot.services.admin_common import CLI_ACTOR, audit, parse_day

    settings = _settings()
    with _admin_failures(settings):
        what = exports.check_kind(kind)
        exports.check_format(format_)
        start = exports.start_of_day(parse_day(since))

    async def work(admin: Admin) -> None:
        async with admin.sessions.begin() as session:
            try:
                batches = exports.export_batches(session, what, start)
                with _output(output) as out:
                    count = await exports.write_csv(batches, out)
            except BrokenPipeError:
                # The reader stopped early (`| head`): stop quietly; an unfinished export is
                # not recorded as one.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                raise SystemExit(1) from None
            audit(
                session,
                CLI_ACTOR,
                admin.now(),
                f"export:{what}",
                since=start.date().isoformat(),
                rows=count,
                to="file" if output is not None else "stdout",
            )
        if output is not None:
            typer.echo(f"{count} {what} since {start.date().isoformat()} written to {output}")

    _run(settings, work)


@contextmanager
def _output(path: Path | None) -> Iterator[TextIO]:
    """A text stream that writes UTF-8 with a BOM and leaves the csv module's line ends alone."""
    if path is None:
        sys.stdout.flush()
        stream = open(sys.stdout.fileno(), "w", encoding="utf-8-sig", newline="", closefd=False)  # noqa: SIM115
    else:
        try:
            stream = path.open("w", encoding="utf-8-sig", newline="")
        except OSError as exc:
            print(
                f"reminderbot: cannot write {path}: {exc.strerror or exc}. "
                "Choose a file in a folder that exists and that you may write to.",
                file=sys.stderr,
            )
            raise SystemExit(EXIT_CONFIG) from None
    with stream:
        yield stream


def audit_command(since: SinceOpt) -> None:
    """Print the audit log since a date, oldest first: when, who, action, subject, details."""
    from reminderbot.services.admin_common import parse_day
    from reminderbot.services.exports import audit_log, start_of_day

    settings = _settings()
    with _admin_failures(settings):
        start = start_of_day(parse_day(since))

    async def work(admin: Admin) -> None:
        async with admin.sessions() as session:
            entries = await audit_log(session, start)
        if not entries:
            typer.echo(f"No audit events since {start.date().isoformat()}.")
            return
        rows = [
            [
                e.at.isoformat(timespec="seconds"),
                e.actor,
                e.action,
                f"person #{e.subject_person_id}" if e.subject_person_id is not None else "—",
                json.dumps(e.details, ensure_ascii=False, sort_keys=True, default=str),
            ]
            for e in entries
        ]
        for line in _table(["when (UTC)", "who", "action", "subject", "details"], rows):
            typer.echo(line)

    _run(settings, work)


def _settings() -> Settings:
    with friendly_failures():
        return load_settings()
