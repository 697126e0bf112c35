"""The tip library: short education tips per topic, read from `messages/<locale>/tips/*.yaml`.

Topics and the order they take turns in come from `messages/tip_topics.yaml`. Every tip names
the numbered sources of the clinical reference behind it and the date a clinician must review it
again. The schema of one tip is in tip_schema.py, reading the files in tip_reading.py; here are
the library and the checks across topics and locales.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reminderbot.content.conventions import REFERENCE_LOCALE, display_path
from reminderbot.content.data_files import ContentDataError
from reminderbot.content.declarations import read_locales
from reminderbot.content.problems import Problem, ProblemList, error, warning
from reminderbot.content.tip_reading import (
    SUFFIX,
    TIPS_FOLDER,
    TOPICS_FILE,
    LocaleTips,
    TipFolder,
    TipTopic,
    read_topics,
)
from reminderbot.content.tip_schema import TEXT_LIMIT as TEXT_LIMIT
from reminderbot.content.tip_schema import TipEntry
from reminderbot.paths import messages_dir

CORE_MINIMUM = 12
OTHER_MINIMUM = 6


@dataclass(frozen=True)
class TipText:
    """One tip in one locale."""

    id: str
    topic: str
    tags: frozenset[str]
    text: str
    source: str
    review_by: date


class TipLibrary:
    """Every tip of every locale, and the order in which topics take turns."""

    def __init__(
        self,
        topics: Sequence[str],
        tips_by_locale: Mapping[str, Sequence[TipText]],
        core_topics: Iterable[str] = (),
    ) -> None:
        self.topics: tuple[str, ...] = tuple(topics)
        self.core_topics: frozenset[str] = frozenset(core_topics)
        self._tips = {locale: tuple(tips) for locale, tips in tips_by_locale.items()}
        self._tips.setdefault(REFERENCE_LOCALE, ())
        self._by_id = {locale: {tip.id: tip for tip in tips} for locale, tips in self._tips.items()}

    @property
    def locales(self) -> tuple[str, ...]:
        """Return the locales that have tips of their own."""
        return tuple(self._tips)

    def tips(self, locale: str) -> tuple[TipText, ...]:
        """Return the tips of `locale` in file order, or en's when the locale has none."""
        own = self._tips.get(locale)
        return own if own else self._tips[REFERENCE_LOCALE]

    def get(self, locale: str, tip_id: str) -> TipText:
        """Return one tip in `locale`, falling back to en; KeyError if en does not have it."""
        tip = self._by_id.get(locale, {}).get(tip_id)
        if tip is None:
            tip = self._by_id[REFERENCE_LOCALE].get(tip_id)
        if tip is None:
            raise KeyError(tip_id)
        return tip

    def rotation_entries(self) -> tuple[tuple[str, str, frozenset[str]], ...]:
        """Return (id, topic, tags) of every en tip, the input `care.tips.choose_tip` expects."""
        return tuple((tip.id, tip.topic, tip.tags) for tip in self._tips[REFERENCE_LOCALE])


@dataclass
class _Scan:
    topics: list[TipTopic]
    by_locale: dict[str, LocaleTips]
    problems: list[Problem]


def load_tips(root: Path | None = None) -> TipLibrary:
    """Load and validate the tip library; raise ContentDataError naming the first error."""
    scan = _scan(root, date.today(), strict_review=False)
    errors = ProblemList(scan.problems).errors
    if errors:
        first = errors[0]
        message = f"{first.key}: {first.message}" if first.key else first.message
        raise ContentDataError(first.file, first.line, message)
    by_locale = {
        locale: [_tip_text(placed.tip) for placed in found.tips]
        for locale, found in scan.by_locale.items()
    }
    return TipLibrary(
        [topic.id for topic in scan.topics],
        by_locale,
        [topic.id for topic in scan.topics if topic.core],
    )


def check_tips(
    root: Path | None = None, today: date | None = None, strict_review: bool = False
) -> list[Problem]:
    """Return every problem in the tip library, sorted by file and line; never raises."""
    return ProblemList(_scan(root, today or date.today(), strict_review).problems)


def _tip_text(entry: TipEntry) -> TipText:
    return TipText(
        entry.id, entry.topic, frozenset(entry.tags), entry.text, entry.source, entry.review_by
    )


def _scan(root: Path | None, today: date, strict_review: bool) -> _Scan:
    root = messages_dir() if root is None else Path(root)
    problems: list[Problem] = []
    topics = read_topics(root, problems)
    # locales.yaml belongs to the catalog check, which reports its problems; here it only
    # says which folders to look in.
    locales = [locale.code for locale in read_locales(root, []).locales]
    if REFERENCE_LOCALE not in locales:
        locales.insert(0, REFERENCE_LOCALE)
    topic_ids = None if topics is None else [topic.id for topic in topics]
    by_locale: dict[str, LocaleTips] = {}
    for locale in locales:
        if (root / locale / TIPS_FOLDER).is_dir():
            folder = TipFolder(locale, topic_ids, today, strict_review, problems)
            by_locale[locale] = folder.read(root)
        elif locale == REFERENCE_LOCALE:
            problems.append(error(f"{locale}/{TIPS_FOLDER}/", None, None, "tips folder not found"))
        else:
            message = f"no tips in {locale}; patients reading {locale} get the en tips"
            problems.append(warning(f"{locale}/{TIPS_FOLDER}/", None, None, message))

    reference = by_locale.get(REFERENCE_LOCALE)
    if topics is not None and reference is not None:
        _check_counts(topics, reference, problems)
    if reference is not None:
        for locale, found in by_locale.items():
            if locale != REFERENCE_LOCALE:
                _check_translation(locale, found, reference, problems)
    return _Scan(topics or [], by_locale, problems)


def _check_counts(topics: Sequence[TipTopic], found: LocaleTips, problems: list[Problem]) -> None:
    for topic in topics:
        if topic.id in found.unreadable:
            continue  # the file's own problem says enough
        written = found.written.get(topic.id, 0)
        file = f"{REFERENCE_LOCALE}/{TIPS_FOLDER}/{topic.id}{SUFFIX}"
        if written == 0:
            message = f"topic has no tips; write them in {display_path(file)}"
            problems.append(error(TOPICS_FILE, topic.line, topic.id, message))
            continue
        minimum = CORE_MINIMUM if topic.core else OTHER_MINIMUM
        if written < minimum:
            kind = "a core topic" if topic.core else "a topic"
            message = (
                f"only {written} tips; {kind} should have at least {minimum} "
                "so patients do not see the same ones too often"
            )
            problems.append(warning(file, None, None, message))


def _check_translation(
    locale: str, found: LocaleTips, reference: LocaleTips, problems: list[Problem]
) -> None:
    theirs = {placed.tip.id: placed for placed in found.tips}
    ours = {placed.tip.id: placed for placed in reference.tips}
    for tip_id, en in ours.items():
        translated = theirs.get(tip_id)
        file = f"{locale}/{TIPS_FOLDER}/{en.tip.topic}{SUFFIX}"
        if translated is None:
            if en.tip.topic not in found.unreadable:
                message = f"missing; translate the tip at {display_path(en.file, en.line)}"
                problems.append(error(file, None, tip_id, message))
            continue
        if set(translated.tip.tags) != set(en.tip.tags):
            message = (
                f"tags {sorted(set(translated.tip.tags))} differ from en "
                f"{sorted(set(en.tip.tags))}; a translation is for the same patients"
            )
            problems.append(error(translated.file, translated.line, tip_id, message))
        if translated.tip.topic != en.tip.topic:
            message = (
                f"topic {translated.tip.topic} differs from en {en.tip.topic}; move it to {file}"
            )
            problems.append(error(translated.file, translated.line, tip_id, message))
    for tip_id, placed in theirs.items():
        if tip_id not in ours:
            problems.append(error(placed.file, placed.line, tip_id, "no tip with this id in en"))
