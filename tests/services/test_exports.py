"""CSV exports read back as a spreadsheet would, and the audit log in order."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest

from reminderbot.services import exports
from reminderbot.services.admin_common import CLI_ACTOR, AdminInputError, audit, parse_day
from tests.services.conftest import World
from tests.services.seed import FORMULA_NOTE, NOTE, RESOLUTION, ZOE_NAME


async def _export(world: World, kind: str, since: datetime, path: Path) -> list[dict[str, str]]:
    async with world.sessions() as session:
        with path.open("w", encoding="utf-8-sig", newline="") as out:
            count = await exports.write_csv(exports.export_batches(session, kind, since), out)
    rows = _read_back(path)
    assert len(rows) == count
    return rows


def _read_back(path: Path) -> list[dict[str, str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


async def test_checkins_csv(world: World, tmp_path: Path) -> None:
    since = exports.start_of_day(date(2026, 3, 24))
    rows = await _export(world, "checkins", since, tmp_path / "checkins.csv")
    assert list(rows[0]) == list(exports.CHECKIN_COLUMNS)
    # Oldest first; Zoë's calm check-in three days ago, Finn's emergency an hour ago.
    assert [(r["patient_id"], r["score"], r["tier"]) for r in rows] == [
        (str(world.ids.zoe), "3", "0"),
        (str(world.ids.zoe), "7", "2"),
        (str(world.ids.ada), "2", "0"),
        (str(world.ids.finn), "9", "3"),
    ]
    zoe = rows[1]
    assert zoe["patient_name"] == ZOE_NAME
    assert zoe["note"] == NOTE, "commas, quotes and the line break survive in one cell"
    assert zoe["answered_at_utc"] == "2026-03-25T10:05:00+00:00"
    assert zoe["finished"] == "yes"
    # A note that a spreadsheet would run as a formula is defused with a leading apostrophe.
    assert rows[2]["note"] == "'" + FORMULA_NOTE
    later = await _export(
        world, "checkins", exports.start_of_day(date(2026, 3, 26)), tmp_path / "b.csv"
    )
    assert [r["score"] for r in later] == ["2", "9"]


async def test_alerts_csv(world: World, tmp_path: Path) -> None:
    rows = await _export(
        world, "alerts", exports.start_of_day(date(2026, 3, 1)), tmp_path / "a.csv"
    )
    assert list(rows[0]) == list(exports.ALERT_COLUMNS)
    assert [(r["patient_id"], r["tier"], r["state"]) for r in rows] == [
        (str(world.ids.bob), "1", "resolved"),
        (str(world.ids.ada), "2", "acknowledged"),
        (str(world.ids.zoe), "2", "open"),
        (str(world.ids.finn), "3", "open"),
    ]
    bob, ada, zoe, finn = rows
    assert (bob["resolved_at_utc"], bob["resolved_by_id"]) == (
        "2026-03-20T10:00:00+00:00",
        str(world.ids.coordinator),
    )
    assert bob["resolution_note"] == RESOLUTION
    assert ada["acknowledged_by_id"] == str(world.ids.coordinator)
    assert ada["acknowledged_at_utc"] == "2026-03-23T10:20:00+00:00"
    assert (zoe["patient_name"], zoe["resolved_at_utc"]) == (ZOE_NAME, "")
    assert finn["reasons"] == "red_flag:mscc;pain_severe"


async def test_nothing_since_gives_the_header_only(world: World, tmp_path: Path) -> None:
    rows = await _export(
        world, "alerts", exports.start_of_day(date(2027, 1, 1)), tmp_path / "n.csv"
    )
    assert rows == []
    assert (tmp_path / "n.csv").read_text("utf-8-sig").startswith("alert_id,patient_id,")


@pytest.mark.parametrize(
    ("check", "typed", "key"),
    [
        (exports.check_format, "xlsx", "admin.export.bad_format"),
        (exports.check_kind, "everything", "admin.export.bad_kind"),
        (parse_day, "27/03/2026", "admin.date.bad"),
        (parse_day, "2026-02-30", "admin.date.bad"),
    ],
)
def test_bad_export_input(check: object, typed: str, key: str) -> None:
    assert callable(check)
    with pytest.raises(AdminInputError) as raised:
        check(typed)
    assert raised.value.key == key


async def test_audit_log_oldest_first_with_who(world: World) -> None:
    now = world.clock.now()
    async with world.sessions.begin() as session:
        audit(session, CLI_ACTOR, now, "export:alerts", rows=3)
    async with world.sessions() as session:
        entries = await exports.audit_log(session, exports.start_of_day(date(2026, 1, 1)))
        recent = await exports.audit_log(session, now)
    # The seed's consents and onboardings were by the patients themselves, 30 days ago.
    assert entries[0].actor == "telegram:5007" and entries[0].action == "consent"
    assert [e.at for e in entries] == sorted(e.at for e in entries)
    assert [(e.actor, e.action, e.details) for e in recent] == [
        ("cli", "export:alerts", {"rows": 3})
    ]
