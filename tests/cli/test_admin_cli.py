"""The coordinator commands as an operator runs them: a real subprocess on a seeded SQLite file.

Each test checks what the command printed and what it left in the database. The CLI runs on
the system clock, so the seed is built around the real current instant.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from reminderbot.care.recurrence import next_fire, parse_rule, parse_times
from reminderbot.paths import messages_dir
from tests.cli.helpers import run_cli
from tests.services.seed import COORDINATOR_TG, FORMULA_NOTE, NOTE, ZOE_NAME, Seeded, seed

BERLIN = ZoneInfo("Europe/Berlin")
ZOE_TG = 5001
SETTING_ONLY = 777
EXTRA_PATIENTS = 25
GENTLE = """\
schedules:
  - kind: checkin
    rule: {type: daily}
    time_slot: checkin
    default_time: "19:00"
  - kind: tip
    rule: {type: weekly, weekdays: [sat]}
    time_slot: morning
    default_time: "10:00"
"""


@dataclass
class Deployment:
    """A seeded database file and how to run the CLI against it."""

    tmp_path: Path
    db: Path
    ids: Seeded

    def run(self, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
        """Run `reminderbot ARGS` on this database (coordinators by setting: 777 and Zoë)."""
        settings.setdefault("REMINDERBOT_COORDINATOR_IDS", f"{SETTING_ONLY},{ZOE_TG}")
        return run_cli(
            self.tmp_path,
            *args,
            REMINDERBOT_DATABASE_URL=f"sqlite:///{self.db}",
            REMINDERBOT_DEFAULT_TIMEZONE="Europe/Berlin",
            **settings,
        )

    def ok(self, *args: str, **settings: str) -> str:
        """Run a command that must succeed quietly on stderr; return its stdout."""
        result = self.run(*args, **settings)
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        return result.stdout

    def rows(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        """Query the database file directly."""
        with sqlite3.connect(self.db) as conn:
            return conn.execute(sql, params).fetchall()

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, to prove a refused command changed nothing."""
        with sqlite3.connect(self.db) as conn:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            return {
                t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables
            }


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Seeded]:
    """One seeded file for the module (migrating and seeding take a second or two)."""
    path = tmp_path_factory.mktemp("admin-cli") / "template.sqlite3"
    ids = asyncio.run(seed(f"sqlite:///{path}", datetime.now(UTC), EXTRA_PATIENTS))
    return path, ids


@pytest.fixture
def deployment(tmp_path: Path, template: tuple[Path, Seeded]) -> Deployment:
    """A private copy of the seeded file for one test."""
    source, ids = template
    db = tmp_path / "bot.sqlite3"
    with sqlite3.connect(source) as src, sqlite3.connect(db) as dst:
        src.backup(dst)
    return Deployment(tmp_path=tmp_path, db=db, ids=ids)


def _columns(line: str) -> list[str]:
    return re.split(r"\s{2,}", line.strip())


def test_coordinators_add_list_remove_and_audit(deployment: Deployment) -> None:
    d = deployment
    out = d.ok("coordinator", "add", "424242")
    assert "424242 is now a coordinator" in out
    assert "press Start once" in out
    assert d.rows(
        "SELECT chat_id, language, timezone, role, display_name FROM person "
        "WHERE telegram_user_id = 424242"
    ) == [(424242, "en", "Europe/Berlin", "coordinator", None)]

    out = d.ok("coordinator", "add", str(ZOE_TG))
    assert f"{ZOE_TG} is now a coordinator (person #{d.ids.zoe})" in out
    assert "also listed in REMINDERBOT_COORDINATOR_IDS" in out
    assert d.rows("SELECT role FROM person WHERE id = ?", d.ids.zoe) == [("coordinator",)]

    listed = {
        _columns(line)[0]: _columns(line) for line in d.ok("coordinator", "list").splitlines()
    }
    assert listed[str(SETTING_ONLY)] == [str(SETTING_ONLY), "—", "—", "REMINDERBOT_COORDINATOR_IDS"]
    assert listed[str(ZOE_TG)] == [
        str(ZOE_TG),
        f"#{d.ids.zoe}",
        ZOE_NAME,
        "REMINDERBOT_COORDINATOR_IDS + role (coordinator add)",
    ]
    assert listed[str(COORDINATOR_TG)][2:] == ["Nurse Kim", "role (coordinator add)"]
    assert listed["424242"][3] == "role (coordinator add)"

    out = d.ok("coordinator", "remove", str(ZOE_TG))
    assert f"no longer a coordinator by role (person #{d.ids.zoe}, now patient)" in out
    assert "still a coordinator through REMINDERBOT_COORDINATOR_IDS" in out
    assert d.rows("SELECT role FROM person WHERE id = ?", d.ids.zoe) == [("patient",)]

    today = datetime.now(UTC).date().isoformat()
    lines = d.ok("audit", "--since", today).splitlines()
    assert _columns(lines[0]) == ["when (UTC)", "who", "action", "subject", "details"]
    cli_lines = [_columns(line) for line in lines[1:] if _columns(line)[1] == "cli"]
    ((new_id,),) = d.rows("SELECT id FROM person WHERE telegram_user_id = 424242")
    assert [(c[2], c[3]) for c in cli_lines] == [
        ("coordinator:grant", f"person #{new_id}"),
        ("coordinator:grant", f"person #{d.ids.zoe}"),
        ("coordinator:revoke", f"person #{d.ids.zoe}"),
    ]
    assert json.loads(cli_lines[0][4]) == {
        "created": True,
        "previous_role": None,
        "telegram_id": 424242,
    }
    assert d.rows(
        "SELECT count(*) FROM audit_event WHERE actor_telegram_id IS NULL "
        "AND json_extract(details, '$.via') = 'cli'"
    ) == [(3,)]


def _stored(d: Deployment, kind: str) -> tuple[datetime, dict[str, Any], str | None, list[str]]:
    ((next_fire, rule, slot, times),) = d.rows(
        "SELECT next_fire_at, rule, time_slot, local_times FROM schedule "
        "WHERE patient_id = ? AND kind = ?",
        d.ids.zoe,
        kind,
    )
    instant = datetime.fromisoformat(next_fire).replace(tzinfo=UTC)
    return instant, json.loads(rule), slot, json.loads(times)


def _set(d: Deployment, *args: str) -> tuple[str, datetime, datetime]:
    """Run `schedule set`; return its output and the instants just before and after."""
    started = datetime.now(UTC)
    out = d.ok("schedule", "set", *args)
    return out, started, datetime.now(UTC)


def _assert_next_fire(d: Deployment, kind: str, started: datetime, finished: datetime) -> datetime:
    """The stored next fire is the rule's first occurrence after the moment the command ran."""
    instant, rule, _, times = _stored(d, kind)
    expected = {
        next_fire(parse_rule(rule), parse_times(times), BERLIN, at) for at in (started, finished)
    }
    assert instant in expected
    return instant.astimezone(BERLIN)


def test_schedules_show_set_and_program_apply(deployment: Deployment) -> None:
    d, zoe = deployment, str(deployment.ids.zoe)
    shown = d.ok("schedule", "show", zoe).splitlines()
    assert shown[0] == f"Patient #{zoe} {ZOE_NAME} · Europe/Berlin · program default · active"
    assert re.fullmatch(
        r"  #\d+ checkin: every day at 18:00 — next .+, 18:00 \(follows .+\)", shown[1]
    )

    out, started, finished = _set(d, zoe, "checkin", "--times", "09:00,18:00")
    assert "after:  every day at 09:00, 18:00 — next" in out
    _, rule, slot, times = _stored(d, "checkin")
    assert (rule, slot, times) == ({"type": "daily"}, None, ["09:00", "18:00"])
    _assert_next_fire(d, "checkin", started, finished)

    _, started, finished = _set(d, f"#{zoe}", "tip", "--weekdays", "mon,wed")
    _, rule, slot, times = _stored(d, "tip")
    assert (rule, slot, times) == (
        {"type": "weekly", "weekdays": ["mon", "wed"]},
        "morning",
        ["09:00"],
    )
    assert _assert_next_fire(d, "tip", started, finished).weekday() in (0, 2)

    anchor = _stored(d, "calcium")[1]["anchor"]
    _, started, finished = _set(d, zoe, "calcium", "--every", "2", "--unit", "weeks")
    assert _stored(d, "calcium")[1] == {
        "type": "interval",
        "every": 14,
        "unit": "days",
        "anchor": anchor,
    }
    _assert_next_fire(d, "calcium", started, finished)

    today = datetime.now(BERLIN).date()
    first, second = today + timedelta(days=20), today + timedelta(days=50)
    out, started, finished = _set(
        d, zoe, "calcium", "--dose-dates", f"{second},{first}", "--days-before", "3"
    )
    assert "3 days before each dose date" in out
    assert _stored(d, "calcium")[1] == {
        "type": "before_dates",
        "dates": [first.isoformat(), second.isoformat()],
        "days_before": 3,
    }
    local = _assert_next_fire(d, "calcium", started, finished)
    assert (local.date(), local.strftime("%H:%M")) == (first - timedelta(days=3), "09:00")

    catalog = d.tmp_path / "messages"
    shutil.copytree(messages_dir(), catalog)
    (catalog / "programs" / "gentle.yaml").write_text(GENTLE, encoding="utf-8")
    own = {"REMINDERBOT_MESSAGES_DIR": str(catalog)}
    listed = d.ok("program", "list", **own)
    assert f"default ({7 + EXTRA_PATIENTS} patients)" in listed
    assert "gentle (0 patients)" in listed
    assert (
        "  tip: Sat at 10:00 (the patient's morning time, 10:00 unless they chose another)"
        in listed
    )

    out = d.ok("program", "apply", zoe, "gentle", **own)
    assert f"Patient #{zoe} now follows program gentle (was default):" in out
    assert d.rows("SELECT program FROM patient_profile WHERE person_id = ?", zoe) == [("gentle",)]
    kinds = d.rows(
        "SELECT kind, rule, local_times FROM schedule WHERE patient_id = ? ORDER BY id", zoe
    )
    # Her morning time (09:00) is kept; her check-in times were fixed by the team, so the
    # program's check-in starts from its own default.
    assert kinds == [
        ("checkin", '{"type": "daily"}', '["19:00"]'),
        ("tip", '{"type": "weekly", "weekdays": ["sat"]}', '["09:00"]'),
    ]
    actions = d.rows(
        "SELECT action, json_extract(details, '$.via') FROM audit_event "
        "WHERE subject_person_id = ? AND action NOT IN ('consent', 'status:active') ORDER BY id",
        zoe,
    )
    assert actions == [("schedule:change", "cli")] * 4 + [("program:apply", "cli")]


def test_patients_list_worst_first_in_pages_and_show(deployment: Deployment) -> None:
    d, ids = deployment, deployment.ids
    first = d.ok("patients", "list").splitlines()
    header, rows, footer = _columns(first[0]), [_columns(x) for x in first[1:-1]], first[-1]
    assert header[:4] == ["patient", "name", "status", "program"]
    assert len(rows) == 20
    assert footer == f"page 1 of 2 · {7 + EXTRA_PATIENTS} patients"
    assert [r[0] for r in rows[:5]] == [f"#{i}" for i in ids.worry_order[:5]]
    zoe = dict(zip(header, rows[1], strict=False))
    assert zoe["name"] == ZOE_NAME
    assert (zoe["status"], zoe["pain"], zoe["tier"], zoe["missed"]) == ("active", "7/10", "T2", "2")
    assert (zoe["last answer"], zoe["open alert"]) == ("47 h ago", "T2")
    ada = dict(zip(header, rows[[r[0] for r in rows].index(f"#{ids.ada}")], strict=False))
    assert (ada["caregivers"], ada["open alert"]) == ("1", "T2 (acknowledged)")

    second = d.ok("patients", "list", "--page", "2").splitlines()
    assert second[-1] == f"page 2 of 2 · {7 + EXTRA_PATIENTS} patients"
    page2 = [_columns(x)[0] for x in second[1:-1]]
    assert len(page2) == 7 + EXTRA_PATIENTS - 20
    assert page2[-2:] == [f"#{ids.dana}", f"#{ids.carl}"]
    assert not set(page2) & {r[0] for r in rows}

    shown = d.ok("patients", "show", f"#{ids.zoe}")
    assert f"Patient #{ids.zoe} {ZOE_NAME}" in shown
    assert "Schedules:\n  #" in shown
    assert re.search(r"Recent check-ins:\n  \S+ \S+ UTC checkin: 7/10 T2\n", shown)
    assert re.search(
        r"Open alerts \(not resolved\):\n  alert \d+ T2 open, raised .+: pain_severe\n", shown
    )
    assert NOTE not in shown


def test_export_checkins_to_a_file_and_alerts_to_stdout(deployment: Deployment) -> None:
    d = deployment
    since = (datetime.now(UTC) - timedelta(days=7)).date().isoformat()
    target = d.tmp_path / "checkins.csv"
    out = d.ok("export", "checkins", "--format", "csv", "--since", since, "--output", str(target))
    assert out.strip() == f"4 checkins since {since} written to {target}"
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    with target.open(encoding="utf-8-sig", newline="") as handle:
        checkins = list(csv.DictReader(handle))
    assert [(r["patient_name"], r["score"]) for r in checkins] == [
        (ZOE_NAME, "3"),
        (ZOE_NAME, "7"),
        ("Ada Lovelace", "2"),
        ("Finn", "9"),
    ]
    assert checkins[1]["note"] == NOTE
    assert checkins[2]["note"] == "'" + FORMULA_NOTE
    assert all(r["answered_at_utc"].endswith("+00:00") for r in checkins)

    result = d.run("export", "alerts", "--since", since)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("\ufeff")
    alerts = list(csv.DictReader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert [(r["patient_name"], r["tier"], r["state"]) for r in alerts] == [
        ("Ada Lovelace", "2", "acknowledged"),
        (ZOE_NAME, "2", "open"),
        ("Finn", "3", "open"),
    ]
    assert d.rows(
        "SELECT action, json_extract(details, '$.rows'), json_extract(details, '$.since') "
        "FROM audit_event WHERE action LIKE 'export:%' ORDER BY id"
    ) == [("export:checkins", 4, since), ("export:alerts", 3, since)]


def test_bad_input_is_one_kind_line_and_changes_nothing(deployment: Deployment) -> None:
    d, zoe = deployment, str(deployment.ids.zoe)
    long_ago = (datetime.now(BERLIN).date() - timedelta(days=30)).isoformat()
    cases = [
        (["schedule", "set", "999", "checkin", "--times", "09:00"], "There is no patient #999."),
        (["schedule", "show", "Zoë"], "“Zoë” is not a patient number."),
        (["schedule", "set", zoe, "checkin", "--times", "25:00"], "“25:00” is not a time."),
        (["schedule", "set", zoe, "pills", "--times", "09:00"], "“pills” is not a kind"),
        (
            ["schedule", "set", zoe, "calcium", "--dose-dates", long_ago, "--days-before", "3"],
            f"The dose date {long_ago} is too close or already past",
        ),
        (["program", "apply", zoe, "intensive"], "There is no program called “intensive”."),
        (["export", "checkins", "--format", "xlsx", "--since", "2026-01-01"], "“xlsx” is not an"),
        (["audit", "--since", "last week"], "“last week” is not a date. Write dates as YYYY-MM-DD"),
        (["patients", "list", "--page", "zero"], "“zero” is not a page number."),
        (["coordinator", "remove", str(SETTING_ONLY)], "Remove the id from that setting"),
        (
            [
                "export",
                "alerts",
                "--since",
                "2026-01-01",
                "--output",
                str(d.tmp_path / "no" / "a.csv"),
            ],
            "cannot write",
        ),
    ]
    before = d.snapshot()
    # Two at a time: each is a separate process, and none of them writes.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda case: d.run(*case[0]), cases))
    for (args, fragment), result in zip(cases, results, strict=True):
        lines = result.stderr.splitlines()
        assert result.returncode == 2, (args, result.stderr)
        assert len(lines) == 1, (args, lines)
        assert lines[0].startswith("reminderbot: ") and fragment in lines[0], (args, lines)
        assert result.stdout == "", args
    assert d.snapshot() == before
