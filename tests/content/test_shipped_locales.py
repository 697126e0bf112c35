"""The shipped catalog in every locale: each text renders with realistic values, fits Telegram,
and the tip library is complete and sourced in each language."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from reminderbot.content.catalog import Catalog
from reminderbot.content.checks import check_all
from reminderbot.content.tips import load_tips
from reminderbot.paths import messages_dir

CATALOG = Catalog.load()
LOCALES = CATALOG.locales
# A placeholder left in the output, e.g. "{patient_name}" that a translator misspelt.
LEFTOVER = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")
CJK = re.compile(r"[\u4e00-\u9fff]")
MESSAGE_LIMIT = 4096  # Telegram's limit for a text message
CAPTION_LIMIT = 1024  # ... and for a photo or document caption
BUTTON_LIMIT = 64  # longer labels are cut off on phones; keep buttons short

# What the bot really puts into each placeholder, at its longest plausible.
REALISTIC = {
    "albumin": "2.5",
    "albumin_unit": "g/dL",
    "corrected": "12.6",
    "after": "every day at 09:00, 13:00 and 18:30",
    "alert": " · ⚠️ open alert (tier 3)",
    "alert_id": 1234,
    "alerts": "#12 (T2), #15 (T3)",
    "at": "Mon 30 Nov, 18:05",
    "audience": "Patients on the “default” program",
    "before": "every day at 18:00",
    "by": "Nora Nightingale",
    "care_team_contact": "the oncology nurses on 020 7946 0000",
    "caregiver_name": "Zoë 王芳",
    "caregivers": 2,
    "checkin_time": "18:00",
    "checkins": "• Mon 30 Nov, 18:05: pain 7/10, tier 2 (scheduled)",
    "count": 12,
    "date": "2027-01-15",
    "dates": "2027-01-15, 2027-02-12",
    "day": 30,
    "days": 3,
    "description": "every 28 days at 09:00",
    "direction": "rising",
    "emergency_number": "112",
    "end": "07:00",
    "every": "28 days",
    "expires": "Mon 7 Dec",
    "flags": "new weakness in the legs",
    "formats": "csv",
    "highest": 9,
    "kind": "calcium",
    "kinds": "checkin, tip, calcium",
    "language": "简体中文",
    "last": "last 7/10 (tier 2) Mon 30 Nov, 18:05",
    "length": 3600,
    "limit": 3500,
    "link": "https://t.me/reminder_bot?start=8TJYltwEFHx0kc2IOmLCmuGo",
    "local_time": "18:00",
    "max": 60,
    "max_days": 365,
    "max_weeks": 52,
    "median": 4.5,
    "minutes": 15,
    "missed": 3,
    "mmol": "2.85",
    "month": "Nov",
    "morning_time": "09:00",
    "name": "Zoë 王芳",
    "next": "Mon 30 Nov, 18:00",
    "note": "Pain woke me twice last night and the new tablets make me sleepy.",
    "number": 17,
    "numbers": "17, 18",
    "page": 2,
    "pages": 5,
    "patient_id": 1234,
    "patient_name": "Zoë 王芳",
    "program": "default",
    "programs": "default, intensive",
    "proxy": " — reported by caregiver Cara",
    "quiet": "22:00–07:00",
    "quiet_hours": "22:00–07:00",
    "raised": "Mon 30 Nov, 18:05",
    "reading": "11.4 mg/dL",
    "reason": "Forbidden: bot was blocked by the user",
    "reasons": "severe pain (7 or more), pain clearly worse than usual",
    "receives": "alerts, copies of check-in results and a weekly summary",
    "schedule": "• Pain check-in: every day at 18:00 — next Mon 30 Nov, 18:00",
    "schedules": "#4 Pain check-in: every day at 18:00 — next Mon 30 Nov, 18:00",
    "score": 7,
    "source": "scheduled",
    "start": "22:00",
    "state": "Acknowledged by Nora at Mon 30 Nov, 18:10.",
    "status": "active",
    "telegram_id": 123456789,
    "text": "The clinic is closed on Monday 7 December. For urgent help call 020 7946 0000.",
    "tier": 2,
    "time": "18:00",
    "times": "09:00, 18:00",
    "timezone": "Asia/Shanghai",
    "tip": "Try to have some protein at every meal, not only at dinner.",
    "today": "2026-11-30",
    "told": "Please contact your care team today.",
    "topic": "Protein and food",
    "total": 41,
    "trend": "3 → 4 → 4 → 7",
    "typed": "Mars/Olympus Mons",
    "unit": "mg/dL",
    "urgency": "🟠 Urgent — contact the patient today",
    "usual": 3.5,
    "value": "11.4",
    "weekday": "Mon",
    "weekdays": "Mon, Wed, Fri",
    "what": "pain check-in",
    "when": "Mon 30 Nov, 18:05",
}


def _values(key: str) -> dict[str, object]:
    names = CATALOG._placeholders[key]
    missing = [name for name in names if name not in REALISTIC]
    assert not missing, f"add a realistic value for {missing} (used by {key})"
    return {name: REALISTIC[name] for name in names}


def test_more_than_one_locale_ships() -> None:
    assert LOCALES[0] == "en" and "zh-Hans" in LOCALES


@pytest.mark.parametrize("locale", LOCALES)
def test_every_text_renders_whole_and_fits_telegram(locale: str) -> None:
    for key in sorted(CATALOG.keys):
        text = CATALOG.text(locale, key, **_values(key))
        assert text.strip(), key
        assert not LEFTOVER.search(text), f"{locale} {key}: {text!r}"
        limit = CAPTION_LIMIT if ("caption" in key or key.startswith("trend.summary")) else None
        assert len(text) <= (limit or MESSAGE_LIMIT), f"{locale} {key} is {len(text)} long"
        if key.endswith("_button") or ".option." in key:
            assert len(text) <= BUTTON_LIMIT, f"{locale} {key}: {text!r}"


def test_chinese_texts_are_chinese_not_english_left_behind() -> None:
    # Placeholder-only texts and symbols may be the same in both; sentences may not.
    def bare(locale: str, key: str) -> str:
        return CATALOG.text(locale, key, **dict.fromkeys(CATALOG._placeholders[key], ""))

    same = [
        key
        for key in CATALOG.keys
        if bare("zh-Hans", key) == bare("en", key) and re.search(r"[A-Za-z]{4,}", bare("en", key))
    ]
    assert same == [], same


@pytest.mark.parametrize("locale", LOCALES)
def test_every_tip_has_a_translation_a_source_and_fits(locale: str) -> None:
    library = load_tips()
    english = {tip.id: tip for tip in library.tips("en")}
    tips = library.tips(locale)
    assert [tip.id for tip in tips] == list(english), "same tips, same order"
    for tip in tips:
        reference = english[tip.id]
        assert (tip.topic, tip.tags, tip.source, tip.review_by) == (
            reference.topic,
            reference.tags,
            reference.source,
            reference.review_by,
        ), tip.id
        assert re.fullmatch(r"\[\d+(, \d+)*\]", tip.source), tip.id
        assert 0 < len(tip.text) <= 500, tip.id
        if locale.startswith("zh"):
            assert CJK.search(tip.text), tip.id


def test_tip_counts_per_topic_and_locale() -> None:
    library = load_tips()
    counts = {locale: Counter(tip.topic for tip in library.tips(locale)) for locale in LOCALES}
    assert counts["zh-Hans"] == counts["en"]
    for topic in library.topics:
        minimum = 12 if topic in library.core_topics else 6
        assert counts["en"][topic] >= minimum, topic


def test_a_wrong_zone_in_timezone_names_is_reported(tmp_path: Path) -> None:
    root = tmp_path / "messages"
    shutil.copytree(messages_dir(), root)
    with (root / "timezone_names.yaml").open("a", encoding="utf-8") as names:
        names.write("火星: Mars/Olympus_Mons\n")
    report, ok = check_all(root)
    assert not ok
    assert "timezone_names.yaml" in report and "'Mars/Olympus_Mons' is not a known" in report
