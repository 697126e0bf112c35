"""`reminderbot status`: the database's facts for a person, and the capacity forecast."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy.exc import SQLAlchemyError

from reminderbot.config import ENV_PREFIX, Settings
from reminderbot.ops import forecast
from reminderbot.ops.facts import DatabaseFacts, bounded, read_facts
from reminderbot.store.database import (
    SETTING,
    DatabaseError,
    create_engine,
    describe_failure,
    parse_url,
    safe_url,
    sqlite_path,
)
from reminderbot.store.migrations import head_revision

# The forecast reads every schedule due within a day: allowed longer than a scrape.
FORECAST_TIMEOUT = 60.0
# Waves listed one per line: the largest ones and every late one; the rest are summed up.
SHOWN_WAVES = 20
SHOWN_LATE = 10


@dataclass(frozen=True)
class StatusReport:
    """Everything `status` prints."""

    now: datetime
    database: str
    revision: str | None
    head: str
    facts: DatabaseFacts
    rate: float
    paid_broadcast: bool
    warn_minutes: float
    planned: list[forecast.Planned]

    @property
    def late(self) -> list[forecast.Planned]:
        """Waves whose last message goes out later than the warning threshold."""
        return [p for p in self.planned if p.takes.total_seconds() > self.warn_minutes * 60]


async def collect(settings: Settings, now: datetime) -> StatusReport:
    """Read the facts, the revision and the next 24 hours' waves from the database."""
    url = settings.resolved_database_url
    path = sqlite_path(parse_url(url))
    if path is not None and not path.exists():
        # Asking must not create an empty database file.
        raise DatabaseError(f"{SETTING}: {path} does not exist; run `reminderbot db upgrade`")
    engine = create_engine(url)
    try:
        async with bounded(engine, FORECAST_TIMEOUT) as conn:
            revision = await conn.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_revision()
            )
            groups = await forecast.read_groups(conn, now) if revision else []
        facts = await read_facts(engine, now, FORECAST_TIMEOUT) if revision else DatabaseFacts()
    except (SQLAlchemyError, OSError, TimeoutError) as exc:
        raise DatabaseError(describe_failure(url, exc)) from None
    finally:
        await engine.dispose()
    backlog: dict[str, int] = {}
    for (kind, _state), n in facts.outbox_depth.items():
        backlog[kind] = backlog.get(kind, 0) + n
    rate = forecast.send_rate(settings)
    waves = await asyncio.to_thread(forecast.waves, groups, now)
    return StatusReport(
        now=now,
        database=safe_url(url),
        revision=revision,
        head=head_revision(),
        facts=facts,
        rate=rate,
        paid_broadcast=settings.paid_broadcast,
        warn_minutes=settings.forecast_warn_minutes,
        planned=forecast.play(waves, rate, now, backlog),
    )


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def render(report: StatusReport) -> str:
    """The report as lines for a person."""
    facts = report.facts
    lines = [f"reminderbot status at {report.now:%Y-%m-%d %H:%M:%S} UTC", ""]
    migration = (
        "current"
        if report.revision == report.head
        else f"needs `reminderbot db upgrade` to {report.head}"
    )
    lines.append(
        f"database   {report.database}: reachable, "
        f"at revision {report.revision or 'none'} ({migration})"
    )
    depth = ", ".join(
        f"{kind} {state} {n:,}" for (kind, state), n in sorted(facts.outbox_depth.items())
    )
    lines.append(
        f"outbox     {facts.depth:,} to send"
        + (f" ({depth})" if depth else "")
        + (
            f"; the oldest due waits {_duration(facts.oldest_due_seconds)}"
            if facts.oldest_due_seconds
            else ""
        )
    )
    tiers = ", ".join(f"tier {t}: {facts.open_alerts.get(t, 0)}" for t in (3, 2, 1, 0))
    emergency = (
        "; the oldest unacknowledged emergency has waited "
        + _duration(facts.oldest_emergency_seconds)
        if facts.oldest_emergency_seconds
        else ""
    )
    lines.append(f"alerts     open: {tiers}{emergency}")
    rate = facts.answer_rate
    lines.append(
        "check-ins  "
        + (
            f"{rate:.0%} of {facts.prompts_sent:,} prompts sent 1-25 h ago were answered"
            if rate is not None
            else "no prompts sent 1-25 h ago"
        )
    )
    lines.append(f"workers    {facts.live_workers} holding leases on the outbox now")
    lines += ["", *render_forecast(report)]
    return "\n".join(lines)


def render_forecast(report: StatusReport) -> list[str]:
    """The forecast table, and a warning with options for late waves."""
    source = "PAID_BROADCAST" if report.paid_broadcast else "RATE_PER_SECOND"
    lines = [
        f"capacity forecast, next 24 h, at {report.rate:g} messages/s "
        f"({ENV_PREFIX}{source}); warning after {report.warn_minutes:g} min"
    ]
    if not report.planned:
        return [*lines, "  no scheduled messages in the next 24 h"]
    late = {id(p) for p in report.late}
    biggest = sorted(report.planned, key=lambda p: p.wave.count, reverse=True)[:SHOWN_WAVES]
    shown = sorted({id(p): p for p in [*biggest, *report.late]}.values(), key=lambda p: p.wave.at)
    lines.append(
        f"  {'time (UTC)':<16}  {'local':<5}  {'zone':<24}  {'kind':<8}  {'messages':>9}  "
        f"{'last out (UTC)':<14}  takes"
    )
    for p in shown:
        w = p.wave
        mark = "  LATE" if id(p) in late else ""
        lines.append(
            f"  {w.at:%Y-%m-%d %H:%M}  {w.local_time:<5}  {w.zone:<24}  {w.kind:<8}  "
            f"{w.count:>9,}  {p.last_out:%H:%M:%S}{'':<8}"
            f"{_duration(p.takes.total_seconds())}{mark}"
        )
    rest = [p for p in report.planned if id(p) not in {id(s) for s in shown}]
    if rest:
        lines.append(
            f"  … and {len(rest):,} smaller waves ({sum(p.wave.count for p in rest):,} messages)"
        )
    late_waves = report.late
    if not late_waves:
        return lines
    plural = "wave sends its" if len(late_waves) == 1 else "waves send their"
    lines += [
        "",
        f"WARNING: {len(late_waves)} {plural} last message more than "
        f"{report.warn_minutes:g} min after the start ({ENV_PREFIX}FORECAST_WARN_MINUTES):",
    ]
    worst = sorted(late_waves, key=lambda p: p.takes, reverse=True)
    for p in worst[:SHOWN_LATE]:
        w = p.wave
        lines.append(
            f"  the {w.local_time} {w.zone} {w.kind} wave ({w.count:,} messages): "
            f"{_duration(p.takes.total_seconds())}"
        )
    if len(worst) > SHOWN_LATE:
        lines.append(f"  … and {len(worst) - SHOWN_LATE:,} more")
    times = ", ".join(sorted({f"{p.wave.local_time} {p.wave.zone}" for p in worst[:3]}))
    lines += [
        "Options:",
        "  - spread the times: give some of these patients other times "
        "(`reminderbot schedule set`, or a program with other times)",
        f"  - paid broadcasts: {ENV_PREFIX}PAID_BROADCAST=true sends up to 1,000 messages/s "
        "(Telegram charges for messages above 30/s)",
        f"  - fewer routine kinds at the same time: move tips or calcium reminders away from "
        f"{times} so they do not queue with the check-ins",
    ]
    return lines


def as_json(report: StatusReport) -> dict[str, Any]:
    """The report as plain data (`status --json`)."""
    facts = report.facts
    return {
        "now": report.now.isoformat(),
        "database": report.database,
        "revision": report.revision,
        "head": report.head,
        "outbox_depth": [
            {"kind": kind, "state": state, "count": n}
            for (kind, state), n in sorted(facts.outbox_depth.items())
        ],
        "oldest_due_seconds": facts.oldest_due_seconds,
        "open_alerts": {str(t): n for t, n in sorted(facts.open_alerts.items())},
        "oldest_emergency_seconds": facts.oldest_emergency_seconds,
        "checkin_prompts": facts.prompts_sent,
        "checkin_answer_rate": facts.answer_rate,
        "live_workers": facts.live_workers,
        "rate_per_second": report.rate,
        "warn_minutes": report.warn_minutes,
        "waves": [
            {
                "at": p.wave.at.isoformat(),
                "local_time": p.wave.local_time,
                "zone": p.wave.zone,
                "kind": p.wave.kind,
                "count": p.wave.count,
                "last_out": p.last_out.isoformat(),
                "takes_seconds": p.takes.total_seconds(),
                "late": p in report.late,
            }
            for p in report.planned
        ],
    }
