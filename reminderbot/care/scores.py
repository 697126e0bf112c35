"""Reading a typed 0–10 pain score: "7", "7/10", "pain is 7", "seven", "七", "疼痛7分".

Pure: no I/O. Only a whole number from 0 to 10, said in one of a few plain ways, is accepted;
anything unsure ("7.5", "3-4", "11", a sentence) gives None, so the conversation asks again
rather than recording a number the patient did not mean.
"""

from __future__ import annotations

import re
import unicodedata

MAX_SCORE = 10

# Longer text is never a score; refusing it first keeps the regular expressions cheap.
_MAX_LENGTH = 40

_WORDS = {
    "zero": 0,
    "none": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
# 两 is how "two" is said before a measure word ("两分", two points); 十 alone is ten.
_CHINESE = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_NUMBER = (
    r"(?P<digits>[0-9]{1,2})"
    rf"|(?P<word>{'|'.join(_WORDS)})"
    rf"|(?P<chinese>[{''.join(_CHINESE)}])"
)
# "pain 7", "my pain is 7", "pain score: 7", "疼痛7分", "疼痛是七分": the lead-in words only.
_PREFIX = (
    r"(?:(?:my\s+)?(?:pain|score)(?:\s+(?:score|level|now|today))?\s*(?:is|was|[:=])?\s*"
    r"|(?:疼痛|疼|痛)(?:感|程度|评分|分数)?\s*(?:是|为|有|[:=])?\s*)?"
)
# "/10", "out of 10", "分" (points); then at most one closing punctuation mark.
_SUFFIX = r"(?:\s*/\s*10|\s+out\s+of\s+10|\s*分)?\s*[.!。！]?"
_SCORE = re.compile(rf"{_PREFIX}(?:{_NUMBER}){_SUFFIX}")


def parse_score(text: str) -> int | None:
    """Return the 0–10 pain score a patient typed, or None when it is not clearly one."""
    try:
        return _parse(text)
    except Exception:  # pragma: no cover - a safety net: odd input must mean "ask again"
        return None


def _parse(text: object) -> int | None:
    if not isinstance(text, str) or len(text) > _MAX_LENGTH:
        return None
    match = _SCORE.fullmatch(_normalise(text).strip())
    if match is None:
        return None
    if match.group("digits") is not None:
        value = int(match.group("digits"))
    elif match.group("word") is not None:
        value = _WORDS[match.group("word")]
    else:
        value = _CHINESE[match.group("chinese")]
    return value if 0 <= value <= MAX_SCORE else None


def _normalise(text: str) -> str:
    # NFKC turns full-width digits and "／" into ASCII; digits of other scripts (Arabic-Indic,
    # Devanagari...) are mapped one by one because NFKC keeps them. Casefold for "Seven".
    chars: list[str] = []
    for char in unicodedata.normalize("NFKC", text):
        digit = None if char.isascii() else unicodedata.decimal(char, None)
        chars.append(char if digit is None else str(digit))
    return "".join(chars).casefold()
