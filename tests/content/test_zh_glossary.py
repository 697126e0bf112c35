"""docs/zh-glossary.md and the shipped zh-Hans texts: one clinical term per concept, everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reminderbot.content.catalog import Catalog
from reminderbot.content.tips import load_tips

GLOSSARY = Path(__file__).resolve().parents[2] / "docs" / "zh-glossary.md"
LOCALE = "zh-Hans"
RESCUE_DOSE = "爆发痛解救药"


def _not_used() -> list[str]:
    """The words of the glossary's "not used" column, one per comma."""
    words: list[str] = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("English", "---"):
            continue
        words += [word.strip() for word in cells[2].split(",") if word.strip()]
    return words


def _zh_texts() -> dict[str, str]:
    """Every zh-Hans text the bot can send, interface and tips, by key or tip id."""
    catalog = Catalog.load()
    # Placeholders rendered empty: only the locale's own words remain.
    texts = {
        key: catalog.text(LOCALE, key, **dict.fromkeys(catalog.placeholders(key), ""))
        for key in catalog.keys
    }
    texts.update({f"tip {tip.id}": tip.text for tip in load_tips().tips(LOCALE)})
    return texts


NOT_USED = _not_used()
ZH_TEXTS = _zh_texts()


def test_the_glossary_lists_the_words_it_replaced() -> None:
    # The words issue 11 names: colloquial ones and the second name of the rescue dose.
    for word in ("抽风", "屁股", "救急", "爆发痛用药"):
        assert word in NOT_USED, word


@pytest.mark.parametrize("word", NOT_USED)
def test_no_zh_text_uses_a_word_the_glossary_replaced(word: str) -> None:
    found = [key for key, text in ZH_TEXTS.items() if word in text]
    assert found == [], f"{word!r} in {found}; use the term in docs/zh-glossary.md"


def test_the_rescue_dose_has_one_name_in_tips_and_interface() -> None:
    for key in (
        "checkin.ask_rescue",
        "checkin.not_taken_button",
        "alert.reason.rescue_not_helping",
        "tip pain_breakthrough_explained",
        "tip pain_rescue_doses_not_helping",
        "tip call_severe_pain",
        "tip call_moderate_pain",
    ):
        assert RESCUE_DOSE in ZH_TEXTS[key], key


def test_zh_texts_name_drugs_in_chinese_only() -> None:
    # Generic names in Chinese, no English in brackets (the glossary's rule).
    english = re.compile(r"naloxone|denosumab|zoledronic|\bIU\b", re.IGNORECASE)
    assert [key for key, text in ZH_TEXTS.items() if english.search(text)] == []
