"""Reading tip_topics.yaml and one locale's `tips/*.yaml` through the tip schema, with problems."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from reminderbot.content.conventions import display_path
from reminderbot.content.problems import Problem, error, warning
from reminderbot.content.schema import did_you_mean
from reminderbot.content.schema_errors import validate_located
from reminderbot.content.tip_schema import NAME, TipEntry, TopicEntry
from reminderbot.content.yaml_loading import Located, describe_value, load_yaml

TOPICS_FILE = "tip_topics.yaml"
TIPS_FOLDER = "tips"
SUFFIX = ".yaml"
_NAME = re.compile(NAME)


@dataclass(frozen=True)
class TipTopic:
    """One entry of tip_topics.yaml; core topics are the seed article's heart and come first."""

    id: str
    core: bool
    line: int


@dataclass(frozen=True)
class PlacedTip:
    """A valid tip and where it is written."""

    tip: TipEntry
    file: str
    line: int


@dataclass
class LocaleTips:
    """One locale's valid tips in rotation order, and which topic files it has."""

    tips: list[PlacedTip] = field(default_factory=list)
    # Items per topic file, valid or not, so a topic with broken tips is not also "empty".
    written: dict[str, int] = field(default_factory=dict)
    unreadable: set[str] = field(default_factory=set)


def read_topics(root: Path, problems: list[Problem]) -> list[TipTopic] | None:
    """Read tip_topics.yaml in order, appending its problems; None if it cannot be read."""
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
        entry, issues = validate_located(TopicEntry, item)
        key = _valid_id(item)
        problems.extend(error(TOPICS_FILE, issue.line, key, issue.message) for issue in issues)
        if entry is None:
            continue
        topic = TipTopic(entry.id, entry.core, item.line)
        if topic.id in first_line:
            message = f"topic listed twice (first on line {first_line[topic.id]})"
            problems.append(error(TOPICS_FILE, topic.line, topic.id, message))
            continue
        first_line[topic.id] = topic.line
        if topic.core and topics and not topics[-1].core:
            # Core topics open the rotation, so a new patient meets them first.
            message = "core topics must come before the other topics"
            problems.append(error(TOPICS_FILE, topic.line, topic.id, message))
        topics.append(topic)
    return topics


@dataclass
class TipFolder:
    """How to read one locale's tips folder: the topics, the day, and what a late review is."""

    locale: str
    topics: Sequence[str] | None
    today: date
    strict_review: bool
    problems: list[Problem]

    def read(self, root: Path) -> LocaleTips:
        """Read every topic file in the folder, in rotation order, dropping duplicate ids."""
        found = LocaleTips()
        first_seen: dict[str, PlacedTip] = {}
        folder = root / self.locale / TIPS_FOLDER
        paths = [p for p in folder.iterdir() if not p.name.startswith(".")]
        # Rotation order, so tips(locale) lists topics the way patients meet them.
        rank = {topic: index for index, topic in enumerate(self.topics or ())}
        paths.sort(key=lambda p: (rank.get(p.name.removesuffix(SUFFIX), len(rank)), p.name))
        for path in paths:
            for placed in self._read_file(path, found):
                earlier = first_seen.get(placed.tip.id)
                if earlier is not None:
                    where = display_path(earlier.file, earlier.line)
                    message = f"duplicate id (first in {where})"
                    self.problems.append(error(placed.file, placed.line, placed.tip.id, message))
                    continue
                first_seen[placed.tip.id] = placed
                found.tips.append(placed)
        return found

    def _read_file(self, path: Path, found: LocaleTips) -> list[PlacedTip]:
        file = f"{self.locale}/{TIPS_FOLDER}/{path.name}"
        if path.is_dir():
            self.problems.append(
                warning(file, None, None, "folder ignored: tips go in <topic>.yaml")
            )
            return []
        if not path.name.endswith(SUFFIX):
            message = "file ignored: only <topic>.yaml files are read"
            self.problems.append(warning(file, None, None, message))
            return []
        stem = path.name.removesuffix(SUFFIX)
        if self.topics is not None and stem not in self.topics:
            message = (
                f"{stem!r} is not a topic in {TOPICS_FILE}; add it there or rename the file"
                + did_you_mean(stem, self.topics)
            )
            self.problems.append(error(file, None, None, message))
        loaded = load_yaml(path)
        root = loaded.root
        items = root.value if root is not None and isinstance(root.value, list) else []
        for issue in loaded.issues:
            self.problems.append(error(file, issue.line, _id_at(items, issue.line), issue.message))
        if root is None or not isinstance(root.value, list):
            found.unreadable.add(stem)
            if root is not None:
                got = describe_value(root.value)
                message = f"expected a list of tips (- id: ...), got {got}"
                self.problems.append(error(file, root.line, None, message))
            elif not loaded.issues:
                message = "file is empty; expected a list of tips"
                self.problems.append(error(file, None, None, message))
            return []
        found.written[stem] = found.written.get(stem, 0) + len(items)
        placed = (self._tip(item, file, stem) for item in items)
        return [tip for tip in placed if tip is not None]

    def _tip(self, item: Located, file: str, stem: str) -> PlacedTip | None:
        entry, issues = validate_located(TipEntry, item)
        key = _valid_id(item)
        self.problems.extend(error(file, issue.line, key, issue.message) for issue in issues)
        fields = item.value
        if not isinstance(fields, dict):
            return None
        # The checks beyond the schema run on a broken tip too, so one run reports it all.
        topic, review_by = fields.get("topic"), fields.get("review_by")
        topic_fits = topic is None or self._check_topic(topic, stem, file, key)
        day = entry.review_by if entry is not None else review_by and review_by.value
        if review_by is not None and isinstance(day, date) and not isinstance(day, datetime):
            # An overdue tip is reported but still goes out: stopping all tips would help no one.
            self._check_review(day, file, review_by.line, key)
        if entry is None or not topic_fits:
            return None
        return PlacedTip(entry, file, item.line)

    def _check_topic(self, topic: Located, stem: str, file: str, key: str | None) -> bool:
        name = topic.value
        if not isinstance(name, str):
            return False  # the schema reported it
        if self.topics is not None and name not in self.topics and name != stem:
            message = f"topic {name!r} is not in {TOPICS_FILE}" + did_you_mean(name, self.topics)
            self.problems.append(error(file, topic.line, key, message))
            return False
        if name != stem:
            message = (
                f"topic {name!r} does not match the file {stem}{SUFFIX}; "
                f"move the tip to {name}{SUFFIX} or correct its topic"
            )
            self.problems.append(error(file, topic.line, key, message))
            return False
        return True

    def _check_review(self, day: date, file: str, line: int, key: str | None) -> None:
        if day >= self.today:
            return
        make = error if self.strict_review else warning
        message = f"review_by {day.isoformat()} has passed; a clinician must review this tip"
        self.problems.append(make(file, line, key, message))


def _valid_id(item: Located) -> str | None:
    # Problems carry the tip's id only when it is a usable one.
    fields = item.value
    entry = fields.get("id") if isinstance(fields, dict) else None
    value = entry.value if entry is not None else None
    return value if isinstance(value, str) and _NAME.fullmatch(value) else None


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
