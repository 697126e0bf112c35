"""The tip library: short education tips per topic, read from `messages/<locale>/tips/*.yaml`.

Topics and the order they take turns in come from `messages/tip_topics.yaml`. Every tip names
the numbered sources (REFERENCE.md) behind it and the date a clinician must review it again.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from reminderbot.content.conventions import REFERENCE_LOCALE, display_path
from reminderbot.content.declarations import read_locales
from reminderbot.content.problems import Problem, ProblemList, error, warning
from reminderbot.content.programs import ContentDataError
from reminderbot.content.yaml_loading import Located, describe_value, load_yaml
from reminderbot.paths import messages_dir

TOPICS_FILE = "tip_topics.yaml"
TIPS_FOLDER = "tips"
TEXT_LIMIT = 500
CORE_MINIMUM = 12
OTHER_MINIMUM = 6
# Sources are numbered in the clinical reference (shared/clinical/REFERENCE.md); a number
# outside its list cannot be traced back to anything a reviewer can read.
SOURCE_COUNT = 34

_NAME = re.compile(r"[a-z0-9_]+")
_SOURCE = re.compile(r"\[\s*(\d+(?:\s*,\s*\d+)*)\s*\]")
_REQUIRED = ("id", "topic", "text", "source", "review_by")
_OPTIONAL = ("tags",)
_TOPIC_FIELDS = ("id", "core")
_SUFFIX = ".yaml"


@dataclass(frozen=True)
class TipText:
    """One tip in one locale."""

    id: str
    topic: str
    tags: frozenset[str]
    text: str
    source: str
    review_by: date


@dataclass(frozen=True)
class TipTopic:
    """One entry of tip_topics.yaml; core topics are the seed article's heart and come first."""

    id: str
    core: bool
    line: int


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


@dataclass(frozen=True)
class _Placed:
    tip: TipText
    file: str
    line: int


@dataclass
class _LocaleTips:
    tips: list[_Placed] = field(default_factory=list)
    # Items per topic file, valid or not, so a topic with broken tips is not also "empty".
    written: dict[str, int] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)


@dataclass
class _Scan:
    topics: list[TipTopic]
    by_locale: dict[str, _LocaleTips]
    problems: list[Problem]


def load_tips(root: Path | None = None) -> TipLibrary:
    """Load and validate the tip library; raise ContentDataError naming the first error."""
    scan = _scan(root, date.today(), strict_review=False)
    errors = ProblemList(scan.problems).errors
    if errors:
        first = errors[0]
        message = f"{first.key}: {first.message}" if first.key else first.message
        raise ContentDataError(first.file, first.line, message)
    return TipLibrary(
        [topic.id for topic in scan.topics],
        {locale: [p.tip for p in found.tips] for locale, found in scan.by_locale.items()},
        [topic.id for topic in scan.topics if topic.core],
    )


def check_tips(
    root: Path | None = None, today: date | None = None, strict_review: bool = False
) -> list[Problem]:
    """Return every problem in the tip library, sorted by file and line; never raises."""
    return ProblemList(_scan(root, today or date.today(), strict_review).problems)


def _scan(root: Path | None, today: date, strict_review: bool) -> _Scan:
    root = messages_dir() if root is None else Path(root)
    problems: list[Problem] = []
    topics = _read_topics(root, problems)
    # locales.yaml belongs to the catalog check, which reports its problems; here it only
    # says which folders to look in.
    locales = [locale.code for locale in read_locales(root, []).locales]
    if REFERENCE_LOCALE not in locales:
        locales.insert(0, REFERENCE_LOCALE)
    topic_ids = None if topics is None else [topic.id for topic in topics]
    by_locale: dict[str, _LocaleTips] = {}
    for locale in locales:
        folder = root / locale / TIPS_FOLDER
        if not folder.is_dir():
            if locale == REFERENCE_LOCALE:
                problems.append(
                    error(f"{locale}/{TIPS_FOLDER}/", None, None, "tips folder not found")
                )
            else:
                problems.append(
                    warning(
                        f"{locale}/{TIPS_FOLDER}/",
                        None,
                        None,
                        f"no tips in {locale}; patients reading {locale} get the en tips",
                    )
                )
            continue
        by_locale[locale] = _read_folder(root, locale, topic_ids, today, strict_review, problems)

    reference = by_locale.get(REFERENCE_LOCALE)
    if topics is not None and reference is not None:
        _check_counts(topics, reference, problems)
    if reference is not None:
        for locale, found in by_locale.items():
            if locale != REFERENCE_LOCALE:
                _check_translation(locale, found, reference, problems)
    return _Scan(topics or [], by_locale, problems)


# --- tip_topics.yaml ---------------------------------------------------------------------------


def _read_topics(root: Path, problems: list[Problem]) -> list[TipTopic] | None:
    path = root / TOPICS_FILE
    expected = "an ordered list of topics like - {id: protein, core: true}"
    if not path.is_file():
        problems.append(error(TOPICS_FILE, None, None, f"file not found; expected {expected}"))
        return None
    loaded = load_yaml(path)
    for issue in loaded.issues:
        problems.append(error(TOPICS_FILE, issue.line, None, issue.message))
    if loaded.root is None:
        if not loaded.issues:
            problems.append(error(TOPICS_FILE, None, None, f"file is empty; expected {expected}"))
        return None
    if not isinstance(loaded.root.value, list):
        got = describe_value(loaded.root.value)
        problems.append(
            error(TOPICS_FILE, loaded.root.line, None, f"expected {expected}, got {got}")
        )
        return None
    topics: list[TipTopic] = []
    first_line: dict[str, int] = {}
    for item in loaded.root.value:
        topic = _topic_entry(item, problems)
        if topic is None:
            continue
        if topic.id in first_line:
            problems.append(
                error(
                    TOPICS_FILE,
                    topic.line,
                    topic.id,
                    f"topic listed twice (first on line {first_line[topic.id]})",
                )
            )
            continue
        first_line[topic.id] = topic.line
        if topic.core and topics and not topics[-1].core:
            # Core topics open the rotation, so a new patient meets them first.
            problems.append(
                error(
                    TOPICS_FILE,
                    topic.line,
                    topic.id,
                    "core topics must come before the other topics",
                )
            )
        topics.append(topic)
    return topics


def _topic_entry(item: Located, problems: list[Problem]) -> TipTopic | None:
    fields = item.value
    if not isinstance(fields, dict):
        problems.append(
            error(
                TOPICS_FILE,
                item.line,
                None,
                f"expected a mapping like {{id: protein, core: true}}, "
                f"got {describe_value(fields)}",
            )
        )
        return None
    name = fields.get("id")
    if name is None or not isinstance(name.value, str) or not _NAME.fullmatch(name.value):
        shown = "missing" if name is None else _shown(name.value)
        problems.append(
            error(TOPICS_FILE, item.line, None, f"topic id must use only a-z, 0-9 and _ ({shown})")
        )
        return None
    topic_id = name.value
    ok = True
    for unknown in fields.keys() - set(_TOPIC_FIELDS):
        problems.append(
            error(
                TOPICS_FILE,
                fields[unknown].line,
                topic_id,
                f"unknown field {unknown!r}; a topic has {', '.join(_TOPIC_FIELDS)}"
                + _did_you_mean(unknown, _TOPIC_FIELDS),
            )
        )
        ok = False
    core = fields.get("core")
    if core is not None and not isinstance(core.value, bool):
        problems.append(
            error(
                TOPICS_FILE,
                core.line,
                topic_id,
                f"core must be true or false, got {describe_value(core.value)}",
            )
        )
        ok = False
    if not ok:
        return None
    return TipTopic(topic_id, bool(core.value) if core is not None else False, item.line)


# --- <locale>/tips/*.yaml ----------------------------------------------------------------------


def _read_folder(
    root: Path,
    locale: str,
    topics: Sequence[str] | None,
    today: date,
    strict_review: bool,
    problems: list[Problem],
) -> _LocaleTips:
    found = _LocaleTips()
    first_seen: dict[str, _Placed] = {}
    paths = [p for p in (root / locale / TIPS_FOLDER).iterdir() if not p.name.startswith(".")]
    # Rotation order, so tips(locale) lists topics the way patients meet them.
    rank = {topic: index for index, topic in enumerate(topics or ())}
    paths.sort(key=lambda p: (rank.get(p.name.removesuffix(_SUFFIX), len(rank)), p.name))
    for path in paths:
        file = f"{locale}/{TIPS_FOLDER}/{path.name}"
        if path.is_dir():
            problems.append(warning(file, None, None, "folder ignored: tips go in <topic>.yaml"))
            continue
        if not path.name.endswith(_SUFFIX):
            problems.append(
                warning(file, None, None, "file ignored: only <topic>.yaml files are read")
            )
            continue
        stem = path.name.removesuffix(_SUFFIX)
        stem_known = topics is None or stem in topics
        if not stem_known:
            problems.append(
                error(
                    file,
                    None,
                    None,
                    f"{stem!r} is not a topic in {TOPICS_FILE}; add it there or rename the file"
                    + _did_you_mean(stem, topics or ()),
                )
            )
        for placed in _read_file(path, file, stem, topics, today, strict_review, found, problems):
            earlier = first_seen.get(placed.tip.id)
            if earlier is not None:
                problems.append(
                    error(
                        file,
                        placed.line,
                        placed.tip.id,
                        f"duplicate id (first in {display_path(earlier.file, earlier.line)})",
                    )
                )
                continue
            first_seen[placed.tip.id] = placed
            found.tips.append(placed)
    return found


def _read_file(
    path: Path,
    file: str,
    stem: str,
    topics: Sequence[str] | None,
    today: date,
    strict_review: bool,
    found: _LocaleTips,
    problems: list[Problem],
) -> list[_Placed]:
    loaded = load_yaml(path)
    items = (
        loaded.root.value if loaded.root is not None and isinstance(loaded.root.value, list) else []
    )
    for issue in loaded.issues:
        problems.append(error(file, issue.line, _id_at(items, issue.line), issue.message))
    if loaded.root is None:
        found.unreadable.add(stem)
        if not loaded.issues:
            problems.append(error(file, None, None, "file is empty; expected a list of tips"))
        return []
    if not isinstance(loaded.root.value, list):
        found.unreadable.add(stem)
        got = describe_value(loaded.root.value)
        problems.append(
            error(file, loaded.root.line, None, f"expected a list of tips (- id: ...), got {got}")
        )
        return []
    found.written[stem] = found.written.get(stem, 0) + len(items)
    context = _FileContext(file, stem, topics, today, strict_review, problems)
    placed: list[_Placed] = []
    for item in items:
        tip = context.tip(item)
        if tip is not None:
            placed.append(_Placed(tip, file, item.line))
    return placed


@dataclass
class _FileContext:
    file: str
    stem: str
    topics: Sequence[str] | None
    today: date
    strict_review: bool
    problems: list[Problem]

    def fail(self, line: int | None, key: str | None, message: str) -> None:
        self.problems.append(error(self.file, line, key, message))

    def tip(self, item: Located) -> TipText | None:
        fields = item.value
        if not isinstance(fields, dict):
            self.fail(
                item.line,
                None,
                "each tip is a mapping with id, topic, text, source and review_by; "
                f"got {describe_value(fields)}",
            )
            return None
        key = self._id(item, fields)
        before = len(self.problems)
        for unknown in fields.keys() - {*_REQUIRED, *_OPTIONAL}:
            allowed = (*_REQUIRED, *_OPTIONAL)
            self.fail(
                fields[unknown].line,
                key,
                f"unknown field {unknown!r}; a tip has {', '.join(allowed)}"
                + _did_you_mean(unknown, allowed),
            )
        for name in _REQUIRED:
            if name not in fields and name != "id":  # a missing id was reported by _id
                self.fail(item.line, key, f"missing field {name!r}")
        topic = self._topic(fields.get("topic"), key)
        tags = self._tags(fields.get("tags"), key)
        text = self._text(fields.get("text"), key)
        source = self._source(fields.get("source"), key)
        review_by = self._review_by(fields.get("review_by"), key)
        new_errors = any(p.severity == "error" for p in self.problems[before:])
        if key is None or new_errors or None in (topic, tags, text, source, review_by):
            return None
        assert topic is not None and tags is not None and text is not None  # for the type checker
        assert source is not None and review_by is not None
        return TipText(key, topic, tags, text, source, review_by)

    def _id(self, item: Located, fields: dict[str, Located]) -> str | None:
        entry = fields.get("id")
        if entry is None:
            self.fail(item.line, None, "missing field 'id'")
            return None
        if not isinstance(entry.value, str) or not _NAME.fullmatch(entry.value):
            self.fail(entry.line, None, f"id must use only a-z, 0-9 and _ ({_shown(entry.value)})")
            return None
        return entry.value

    def _topic(self, entry: Located | None, key: str | None) -> str | None:
        if entry is None:
            return None
        value = entry.value
        if not isinstance(value, str):
            self.fail(entry.line, key, f"topic must be a topic id, got {describe_value(value)}")
            return None
        if self.topics is not None and value not in self.topics and value != self.stem:
            hint = _did_you_mean(value, self.topics)
            self.fail(entry.line, key, f"topic {value!r} is not in {TOPICS_FILE}{hint}")
            return None
        if value != self.stem:
            self.fail(
                entry.line,
                key,
                f"topic {value!r} does not match the file {self.stem}{_SUFFIX}; "
                f"move the tip to {value}{_SUFFIX} or correct its topic",
            )
            return None
        return value

    def _tags(self, entry: Located | None, key: str | None) -> frozenset[str] | None:
        if entry is None:
            return frozenset()
        if entry.value is None:
            return frozenset()  # `tags:` written with nothing after it
        if not isinstance(entry.value, list):
            self.fail(
                entry.line,
                key,
                f"tags must be a list like [on_opioids], got {describe_value(entry.value)}",
            )
            return None
        tags: set[str] = set()
        for tag in entry.value:
            if not isinstance(tag.value, str) or not _NAME.fullmatch(tag.value):
                self.fail(tag.line, key, f"tag {_shown(tag.value)} must use only a-z, 0-9 and _")
                return None
            tags.add(tag.value)
        return frozenset(tags)

    def _text(self, entry: Located | None, key: str | None) -> str | None:
        if entry is None:
            return None
        if not isinstance(entry.value, str):
            self.fail(entry.line, key, f"text must be text, got {describe_value(entry.value)}")
            return None
        text = entry.value.strip()
        if not text:
            self.fail(entry.line, key, "text is empty")
            return None
        if len(text) > TEXT_LIMIT:
            self.fail(
                entry.line,
                key,
                f"text is {len(text)} characters; a tip may have at most {TEXT_LIMIT}",
            )
            return None
        return text

    def _source(self, entry: Located | None, key: str | None) -> str | None:
        if entry is None:
            return None
        value = entry.value
        if isinstance(value, list):
            # Unquoted, [23] is a YAML list, not the text a reviewer reads.
            self.fail(entry.line, key, 'source must be in quotes, like "[23]" or "[23, 24]"')
            return None
        match = _SOURCE.fullmatch(value.strip()) if isinstance(value, str) else None
        if match is None:
            self.fail(
                entry.line,
                key,
                f'source must be numbered references like "[23]" or "[23, 24]", '
                f"got {_shown(value)}",
            )
            return None
        numbers = [int(n) for n in match.group(1).split(",")]
        outside = [n for n in numbers if not 1 <= n <= SOURCE_COUNT]
        if outside:
            self.fail(
                entry.line,
                key,
                f"source {outside[0]} is not in the reference list (1 to {SOURCE_COUNT})",
            )
            return None
        return value.strip()

    def _review_by(self, entry: Located | None, key: str | None) -> date | None:
        if entry is None:
            return None
        value = entry.value
        day: date | None = None
        if isinstance(value, date) and not isinstance(value, datetime):
            day = value
        elif isinstance(value, str):
            try:
                day = date.fromisoformat(value.strip())
            except ValueError:
                day = None
        if day is None:
            self.fail(
                entry.line,
                key,
                f"review_by must be a date like 2027-11-30, got {_shown(value)}",
            )
            return None
        if day < self.today:
            make = error if self.strict_review else warning
            self.problems.append(
                make(
                    self.file,
                    entry.line,
                    key,
                    f"review_by {day.isoformat()} has passed; a clinician must review this tip",
                )
            )
        return day


def _id_at(items: Sequence[Located], line: int | None) -> str | None:
    # A YAML issue inside a tip (a duplicate key) is easier to act on with the tip's id.
    if line is None:
        return None
    current: str | None = None
    for item in items:
        if item.line > line:
            break
        fields = item.value
        entry = fields.get("id") if isinstance(fields, dict) else None
        current = entry.value if entry is not None and isinstance(entry.value, str) else None
    return current


# --- across topics and locales -----------------------------------------------------------------


def _check_counts(topics: Sequence[TipTopic], found: _LocaleTips, problems: list[Problem]) -> None:
    for topic in topics:
        if topic.id in found.unreadable:
            continue  # the file's own problem says enough
        written = found.written.get(topic.id, 0)
        file = f"{REFERENCE_LOCALE}/{TIPS_FOLDER}/{topic.id}{_SUFFIX}"
        if written == 0:
            problems.append(
                error(
                    TOPICS_FILE,
                    topic.line,
                    topic.id,
                    f"topic has no tips; write them in {display_path(file)}",
                )
            )
            continue
        minimum = CORE_MINIMUM if topic.core else OTHER_MINIMUM
        if written < minimum:
            kind = "a core topic" if topic.core else "a topic"
            problems.append(
                warning(
                    file,
                    None,
                    None,
                    f"only {written} tips; {kind} should have at least {minimum} "
                    "so patients do not see the same ones too often",
                )
            )


def _check_translation(
    locale: str, found: _LocaleTips, reference: _LocaleTips, problems: list[Problem]
) -> None:
    theirs = {placed.tip.id: placed for placed in found.tips}
    ours = {placed.tip.id: placed for placed in reference.tips}
    for tip_id, en in ours.items():
        translated = theirs.get(tip_id)
        file = f"{locale}/{TIPS_FOLDER}/{en.tip.topic}{_SUFFIX}"
        if translated is None:
            if en.tip.topic not in found.unreadable:
                problems.append(
                    error(
                        file,
                        None,
                        tip_id,
                        f"missing; translate the tip at {display_path(en.file, en.line)}",
                    )
                )
            continue
        if translated.tip.tags != en.tip.tags:
            problems.append(
                error(
                    translated.file,
                    translated.line,
                    tip_id,
                    f"tags {sorted(translated.tip.tags)} differ from en "
                    f"{sorted(en.tip.tags)}; a translation is for the same patients",
                )
            )
        if translated.tip.topic != en.tip.topic:
            problems.append(
                error(
                    translated.file,
                    translated.line,
                    tip_id,
                    f"topic {translated.tip.topic} differs from en {en.tip.topic}; "
                    f"move it to {file}",
                )
            )
    for tip_id, placed in theirs.items():
        if tip_id not in ours:
            problems.append(error(placed.file, placed.line, tip_id, "no tip with this id in en"))


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    guess = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {guess[0]}?" if guess else ""


def _shown(value: object) -> str:
    return repr(value) if isinstance(value, str) else describe_value(value)
