"""Scale: 100,000 patients on the default program; start-up, memory, idle tick and status.

`python -m bench.scale [--patients 100000] [--db sqlite|postgres|both]`

Every patient gets the default program's three schedules (check-in daily 18:00, tip weekly
mon/wed/fri 09:00, calcium every 28 days 09:00) with next fire instants spread evenly over the
coming week, the first an hour from now: nothing is due while the benchmark runs. A fresh
process (bench/startup_probe.py) then starts like the bot: imports, `open_runtime` (database
check and migration, catalog and tips), `Delivery(...)`, and a first tick. Last, the real
`reminderbot status` command runs on the seeded database (the forecast reads every schedule
due within a day: a seventh of them).

Targets: issue 3's at its 100,000 patients (start-up < 3 s, RSS < 150 MB); issue 14's from
1,000,000 (start-up < 5 s, RSS < 200 MB, `reminderbot status` < 10 s).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    FIRST_CHAT,
    REPO_ROOT,
    TIP_RULE,
    TOKEN,
    Figure,
    Target,
    add_database_args,
    bench_settings,
    percentile,
    print_table,
    run_per_database,
    say,
    throwaway_database,
    utc_now,
)
from reminderbot.bootstrap import open_runtime
from reminderbot.store.bulk_seed import SeedSchedule, seed_patients
from reminderbot.store.database import create_engine

DEFAULT_PATIENTS = 100_000
SMOKE_PATIENTS = 600
# Patients are seeded in groups that share next fire instants; 168 groups = one per hour.
GROUPS = 168
FIRST_FIRE = timedelta(hours=1)
SPREAD = timedelta(days=7) - FIRST_FIRE
PROGRAM: list[tuple[str, dict[str, Any], str]] = [
    ("checkin", {"type": "daily"}, "18:00"),
    ("tip", TIP_RULE, "09:00"),
    ("calcium", {"type": "interval", "every": 28, "unit": "days"}, "09:00"),
]
TARGET_STARTUP = Target("<", 3.0)
TARGET_RSS = Target("<", 150)
TARGET_TICK_MS = Target("<", 5.0)
# Issue 14, at a million patients.
MILLION = 1_000_000
TARGET_STARTUP_MILLION = Target("<", 5.0)
TARGET_RSS_MILLION = Target("<", 200)
TARGET_STATUS = Target("<", 10.0)


def startup_targets(patients: int) -> tuple[Target, Target]:
    """The start-up and memory targets for a database of this size."""
    if patients >= MILLION:
        return TARGET_STARTUP_MILLION, TARGET_RSS_MILLION
    return TARGET_STARTUP, TARGET_RSS


def fire_instant(now: datetime, group: int, item: int, groups: int = GROUPS) -> datetime:
    """The next fire instant of schedule `item` of the patients in `group` (of `groups`)."""
    slot = group * len(PROGRAM) + item
    return now + FIRST_FIRE + SPREAD * slot / (groups * len(PROGRAM))


async def seed_program(database_url: str, patients: int) -> float:
    """Migrate, then seed `patients` with the default program's schedules; seconds taken."""
    settings = bench_settings("http://127.0.0.1:9", database_url)
    async with open_runtime(settings) as rt:
        now = utc_now()
        # Each group is one bulk insert; a small run needs fewer of them to spread its schedules.
        groups = min(GROUPS, max(1, patients // 500))
        per_group = math.ceil(patients / groups)
        started = time.perf_counter()
        for group in range(groups):
            first = group * per_group
            count = min(per_group, patients - first)
            if count <= 0:
                break
            schedules = [
                SeedSchedule(kind, rule, [at], fire_instant(now, group, item, groups))
                for item, (kind, rule, at) in enumerate(PROGRAM)
            ]
            await seed_patients(
                rt.sessions, count, now, schedules, first_user_id=FIRST_CHAT + first
            )
        return time.perf_counter() - started


async def start_probe(
    database_url: str, ticks: int
) -> tuple[float, dict[str, Any], dict[str, Any]]:
    """Spawn a fresh probe process; return (spawn-to-ready seconds, ready record, ticks record)."""
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.startup_probe",
        "--database-url",
        database_url,
        "--token",
        TOKEN,
        "--ticks",
        str(ticks),
        cwd=REPO_ROOT,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    records: dict[str, dict[str, Any]] = {}
    startup = 0.0
    try:
        async with asyncio.timeout(300):
            while line := await process.stdout.readline():
                record = json.loads(line)
                if record["event"] == "ready":
                    startup = time.perf_counter() - started
                records[record["event"]] = record
            _, stderr = await process.communicate()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    if process.returncode != 0 or "ready" not in records:
        raise RuntimeError(f"the start-up probe failed: {stderr.decode(errors='replace')[-3000:]}")
    return startup, records["ready"], records.get("ticks", {"durations": [], "queued": 0})


async def time_status(database_url: str, folder: Path) -> tuple[float, str]:
    """Run `reminderbot status` on the database; (spawn-to-exit seconds, its first wave line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REMINDERBOT_")}
    env["REMINDERBOT_DATABASE_URL"] = database_url
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "reminderbot",
        "status",
        cwd=folder,  # no stray .env
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate()
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"reminderbot status failed: {err.decode(errors='replace')[-2000:]}")
    lines = out.decode().splitlines()
    header = next((i for i, line in enumerate(lines) if "time (UTC)" in line), None)
    first = lines[header + 1].strip() if header is not None and header + 1 < len(lines) else ""
    return elapsed, first


async def analyze(database_url: str) -> None:
    """Gather planner statistics, as autovacuum (PostgreSQL) would on a live database."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.exec_driver_sql("ANALYZE")
    finally:
        await engine.dispose()


def tick_figures(label: str, ticks: dict[str, Any]) -> list[Figure]:
    """p50, p99 (with the target) and max of one probe's idle ticks, then refreshed ones."""
    figures = []
    for key, name in (("durations", "idle tick"), ("refreshed", "idle tick, refreshed")):
        durations = [d * 1000 for d in ticks.get(key, [])]
        if not durations:
            continue
        figures += [
            Figure(
                f"{name} p50, {label} ({len(durations)})", percentile(durations, 50), "ms", None, 2
            ),
            Figure(f"{name} p99, {label}", percentile(durations, 99), "ms", TARGET_TICK_MS, 2),
            Figure(f"{name} max, {label}", max(durations), "ms", None, 2),
        ]
    return figures


async def run_one(backend: str, args: argparse.Namespace, folder: Path) -> None:
    """Seed one database, then measure fresh starts and idle ticks; prints its table.

    First as the bulk load leaves the database (no planner statistics: PostgreSQL's
    autovacuum may be off or not have run yet), then once more after ANALYZE.
    """
    n = args.patients
    target_startup, target_rss = startup_targets(n)
    say(f"scale ({backend}): seeding {n:,} patients x {len(PROGRAM)} schedules ...")
    with throwaway_database(backend, args.postgres_url, folder) as url:
        seed_s = await seed_program(url, n)
        say(f"scale ({backend}): seeded in {seed_s:.1f}s; {args.starts} fresh starts ...")
        runs = []
        for index in range(args.starts):
            ticks = args.ticks if index == args.starts - 1 else 0
            runs.append(await start_probe(url, ticks))
        await analyze(url)
        analyzed_s, analyzed, analyzed_ticks = await start_probe(url, args.ticks)
        status_s, first_wave = await time_status(url, folder)
        say(f"scale ({backend}): status's first wave: {first_wave}")
    startups = [startup for startup, _, _ in runs]
    ready = [record for _, record, _ in runs]
    median_run = ready[startups.index(sorted(startups)[(len(startups) - 1) // 2])]
    due = sum(r["queued"] for r in [*ready, analyzed]) + analyzed_ticks["queued"]
    due += runs[-1][2]["queued"]
    print_table(
        f"scale: {backend}, {n:,} patients, {n * len(PROGRAM):,} schedules",
        [
            Figure("seeding (not a target)", seed_s, "s"),
            Figure(
                f"start-up, spawn to first tick done (median of {len(startups)})",
                statistics.median(startups),
                "s",
                target_startup,
                2,
            ),
            Figure("start-up, slowest", max(startups), "s", digits=2),
            Figure(
                "  imports (reminderbot, PTB, SQLAlchemy)", median_run["imports_s"], "s", None, 2
            ),
            Figure(
                "  open_runtime (check, migrate, content)",
                median_run["open_runtime_s"],
                "s",
                None,
                2,
            ),
            Figure("  Delivery(...)", median_run["delivery_s"] * 1000, "ms", digits=1),
            Figure("  first tick", median_run["first_tick_s"] * 1000, "ms", digits=1),
            Figure(
                "RSS after start-up (VmRSS, largest)",
                max(r["rss_mb"] for r in ready),
                "MB",
                target_rss,
            ),
            *tick_figures("fresh load", runs[-1][2]),
            Figure("start-up after ANALYZE", analyzed_s, "s", target_startup, 2),
            Figure("  first tick after ANALYZE", analyzed["first_tick_s"] * 1000, "ms", digits=1),
            Figure("RSS after start-up after ANALYZE", analyzed["rss_mb"], "MB", target_rss),
            *tick_figures("after ANALYZE", analyzed_ticks),
            Figure("messages queued by those ticks (expect 0)", due),
            Figure("reminderbot status, spawn to exit", status_s, "s", TARGET_STATUS, 2),
        ],
    )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--patients", type=int, default=DEFAULT_PATIENTS)
    parser.add_argument("--starts", type=int, default=3, help="fresh processes to start")
    parser.add_argument("--ticks", type=int, default=50, help="idle ticks to time")
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_PATIENTS} patients")
    add_database_args(parser)
    args = parser.parse_args(argv)
    if args.smoke:
        args.patients, args.starts, args.ticks = SMOKE_PATIENTS, 1, 10
    return args


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    return run_per_database("scale", run_one, parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
