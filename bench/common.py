"""What the benchmarks share: databases, seeding, the emulator process, timing and tables."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import re
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminderbot.config import Settings
from reminderbot.store.bulk_seed import SeedSchedule, seed_patients
from reminderbot.store.models import DeliveryState, OutboxDelivery

REPO_ROOT = Path(__file__).resolve().parents[1]
# Shaped like a real token (^\d+:[A-Za-z0-9_-]{20,}$) so Settings and PTB accept it.
TOKEN = "123456789:BENCH-reminderbot-token-000000"
# Patients' Telegram ids (= private chat ids) start here, as in bulk_seed.
FIRST_CHAT = 10_000_000
DEFAULT_POSTGRES_URL = os.environ.get(
    "REMINDERBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# The default program's tip schedule (messages/programs/default.yaml).
TIP_RULE: dict[str, Any] = {"type": "weekly", "weekdays": ["mon", "wed", "fri"]}

log = logging.getLogger("bench")


# -- command line -------------------------------------------------------------------------


def add_database_args(parser: argparse.ArgumentParser, default: str = "sqlite") -> None:
    """Add --db and --postgres-url to a benchmark's parser."""
    parser.add_argument(
        "--db",
        choices=["sqlite", "postgres", "both"],
        default=default,
        help=f"database backend (default: {default})",
    )
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_URL,
        help="a PostgreSQL database to connect to for CREATE/DROP DATABASE of a throwaway one "
        "(default: $REMINDERBOT_TEST_POSTGRES_URL or postgres@127.0.0.1:5432/postgres)",
    )


def backends(choice: str) -> list[str]:
    """Expand --db into the list of backends to run, in order."""
    return ["sqlite", "postgres"] if choice == "both" else [choice]


def setup_logging() -> None:
    """Warnings and errors of the engine to stderr; INFO lines would slow the waves."""
    logging.basicConfig(
        level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )


def code_version() -> str:
    """The commit of the code under test, marked when reminderbot/ has uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "reminderbot"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{commit} + uncommitted changes in reminderbot/" if dirty else commit


def print_header(name: str) -> None:
    """Print what is measured on what: the benchmark, the code's commit, the machine."""
    # Other processes on the machine skew every figure: the load average says how busy it was.
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{name}: reminderbot {code_version()}; Python {sys.version.split()[0]}; "
        f"{os.cpu_count()} CPUs; load average {load}",
        flush=True,
    )


def say(text: str) -> None:
    """Print a progress line to stderr (the figures go to stdout)."""
    print(text, file=sys.stderr, flush=True)


# One benchmark run on one database: (backend, parsed arguments, the work folder).
RunOne = Callable[[str, argparse.Namespace, Path], Awaitable[None]]


def run_per_database(name: str, run_one: RunOne, args: argparse.Namespace) -> int:
    """The entry point of a benchmark run once per database chosen with --db; exit status."""
    setup_logging()

    async def run_all() -> int:
        print_header(name)
        with work_folder() as folder:
            for backend in backends(args.db):
                await run_one(backend, args, folder)
        return 0

    return asyncio.run(run_all())


# -- databases ----------------------------------------------------------------------------


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def throwaway_database(backend: str, postgres_url: str, folder: Path) -> Iterator[str]:
    """Yield the URL of a fresh, empty database; a PostgreSQL one is dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.sqlite3'}"
        return
    name = f"rb_bench_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(_libpq(postgres_url), autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        raise SystemExit(
            f"PostgreSQL is not reachable at {make_url(postgres_url).host}: "
            f"{str(exc).strip().splitlines()[0]} (use --postgres-url or --db sqlite)"
        ) from None
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        url = make_url(postgres_url).set(drivername="postgresql+psycopg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(_libpq(postgres_url), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def work_folder() -> Iterator[Path]:
    """A temporary folder for SQLite files and logs, removed at the end."""
    with tempfile.TemporaryDirectory(prefix="reminderbot-bench-") as tmp:
        yield Path(tmp)


def bench_settings(api_root: str, database_url: str, **overrides: Any) -> Settings:
    """Settings for a benchmark run; any .env file in the working folder is ignored."""
    values: dict[str, Any] = {
        "telegram_bot_token": TOKEN,
        "telegram_api_url": api_root,
        "database_url": database_url,
        # Explicit, so that REMINDERBOT_* variables in the caller's shell change no figure.
        "auto_migrate": True,
        "grace_hours": 3.0,
        "messages_dir": None,
        **overrides,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


# -- seeding and checking -----------------------------------------------------------------


def wave_instant(now: datetime) -> datetime:
    """The start of the current minute: every seeded tip is due at that same minute."""
    return now.replace(second=0, microsecond=0)


async def seed_tip_wave(
    sessions: async_sessionmaker[AsyncSession],
    count: int,
    now: datetime,
    first_user_id: int = FIRST_CHAT,
) -> list[int]:
    """Seed `count` patients whose default-program tip is due this minute; return person ids."""
    schedule = SeedSchedule("tip", TIP_RULE, ["09:00"], wave_instant(now))
    return await seed_patients(sessions, count, now, [schedule], first_user_id=first_user_id)


async def outbox_states(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Count outbox rows per state."""
    async with sessions() as session:
        rows = await session.execute(
            select(OutboxDelivery.state, func.count()).group_by(OutboxDelivery.state)
        )
        return {DeliveryState(state).value: int(n) for state, n in rows.all()}


async def sample_payload_text(sessions: async_sessionmaker[AsyncSession]) -> str:
    """The text of one planned message, so a baseline sends bodies of the same size."""
    async with sessions() as session:
        payload = await session.scalar(select(OutboxDelivery.payload).limit(1))
    return str((payload or {}).get("text") or "💡 A tip of about the usual length.")


# -- the emulator process -----------------------------------------------------------------


@dataclass
class EmulatorStats:
    """What the emulator process counted (see bench/emulator.py)."""

    counters: dict[str, int]
    accepted: int
    first: float | None
    last: float | None
    max_per_second: int
    # Per watched chat: (accepted at, text) in the order the emulator accepted them.
    chat_messages: dict[int, list[tuple[float, str]]] = field(default_factory=dict)


class EmulatorProcess:
    """`python -m bench.emulator` in its own process, so it does not take the bot's CPU."""

    def __init__(
        self,
        folder: Path,
        flood_limits: bool = False,
        token: str = TOKEN,
        rtt_ms: float = 0.0,
        jitter_ms: float = 0.0,
        paid_limits: bool = False,
        keep_texts: bool = True,
    ) -> None:
        self.keep_texts = keep_texts
        self.folder = folder
        self.flood_limits = flood_limits
        self.paid_limits = paid_limits
        self.token = token
        self.rtt_ms = rtt_ms
        self.jitter_ms = jitter_ms
        self.api_root = ""
        self._process: asyncio.subprocess.Process | None = None
        self._stderr = folder / f"emulator-{uuid.uuid4().hex[:6]}.log"
        self._http: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> EmulatorProcess:
        args = ["-m", "bench.emulator", "--token", self.token, "--port", "0"]
        if self.flood_limits:
            args.append("--flood-limits")
        if self.paid_limits:
            args.append("--paid-limits")
        if not self.keep_texts:
            args += ["--keep-texts", "0"]
        if self.rtt_ms or self.jitter_ms:
            args += ["--rtt-ms", str(self.rtt_ms), "--jitter-ms", str(self.jitter_ms)]
        with self._stderr.open("wb") as stderr:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                *args,
                cwd=REPO_ROOT,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
            )
        assert self._process.stdout is not None
        try:
            line = await asyncio.wait_for(self._process.stdout.readline(), 30)
        except TimeoutError:
            line = b""
        self.api_root = line.decode().strip()
        if not self.api_root.startswith("http"):
            await self.__aexit__()
            raise RuntimeError(f"the emulator did not start: {self._stderr.read_text()[-2000:]}")
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None
        process = self._process
        if process is not None and process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 10)
            except TimeoutError:
                process.kill()
                await process.wait()

    async def stats(self, chats: Sequence[int] = ()) -> EmulatorStats:
        """Ask the emulator for its counters and receive instants."""
        assert self._http is not None
        url = f"{self.api_root}/bot{self.token}/benchStats"
        async with self._http.post(url, json={"chats": list(chats)}) as response:
            body = await response.json()
        result = body["result"]
        return EmulatorStats(
            counters={k: int(v) for k, v in result["counters"].items()},
            accepted=int(result["accepted"]),
            first=result["first"],
            last=result["last"],
            max_per_second=int(result["max_per_second"]),
            chat_messages={
                int(k): [(float(t), str(text)) for t, text in v]
                for k, v in result["chat_messages"].items()
            },
        )


# -- memory -------------------------------------------------------------------------------


def _status_kb(field_name: str) -> int:
    match = re.search(rf"^{field_name}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    return int(match.group(1)) if match else 0


def rss_mb() -> float:
    """Resident memory now (VmRSS), in MB."""
    return _status_kb("VmRSS") / 1024


def reset_peak_rss() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM) so a later read covers only what follows."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def peak_rss_mb() -> float:
    """Peak resident memory (VmHWM) since start or the last reset, in MB."""
    return _status_kb("VmHWM") / 1024


# -- numbers and tables -------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Target:
    """A bound a figure should meet, e.g. Target(">=", 1000)."""

    op: str  # ">=", "<=", "<", ">", "=="
    bound: float

    def met(self, value: float) -> bool:
        """Say whether `value` meets the bound."""
        return {
            ">=": value >= self.bound,
            "<=": value <= self.bound,
            "<": value < self.bound,
            ">": value > self.bound,
            "==": value == self.bound,
        }[self.op]

    def __str__(self) -> str:
        bound = f"{self.bound:,.0f}" if self.bound == int(self.bound) else f"{self.bound:g}"
        return f"{self.op} {bound}"


@dataclass(frozen=True)
class Figure:
    """One line of a result table."""

    name: str
    value: float | int | str | None
    unit: str = ""
    target: Target | None = None
    digits: int = 1

    def shown(self) -> str:
        """The value as printed, with its unit."""
        if self.value is None:
            return "n/a"
        if isinstance(self.value, str):
            return self.value
        if isinstance(self.value, int):
            text = f"{self.value:,}"
        else:
            text = f"{self.value:,.{self.digits}f}"
        return f"{text} {self.unit}".rstrip()

    def verdict(self) -> str:
        """ "ok", "MISSED" or "" (no target)."""
        if self.target is None or self.value is None or isinstance(self.value, str):
            return ""
        return "ok" if self.target.met(float(self.value)) else "MISSED"


def print_table(title: str, figures: Sequence[Figure]) -> None:
    """Print figures as a small aligned table under a title, to stdout."""
    header = ("figure", "value", "target", "")
    rows = [
        (f.name, f.shown(), f"{f.target} {f.unit}".strip() if f.target else "", f.verdict())
        for f in figures
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            c.rjust(w) if i == 1 else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    print(f"\n== {title} ==")
    print(line(header))
    print("  ".join("-" * w for w in widths).rstrip())
    for row in rows:
        print(line(row))
    sys.stdout.flush()


def utc_now() -> datetime:
    """The current instant, timezone-aware."""
    return datetime.now(UTC)


def minutes(n: float) -> timedelta:
    """A timedelta of n minutes (readability in schedules)."""
    return timedelta(minutes=n)


@asynccontextmanager
async def closing_sender(sender: Any) -> AsyncIterator[Any]:
    """Close an HttpSender's connection pool at the end of the block."""
    try:
        yield sender
    finally:
        await sender.close()
