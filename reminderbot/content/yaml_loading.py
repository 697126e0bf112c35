"""Reading YAML safely with line numbers and duplicate-key detection, which safe_load lacks."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

try:  # libyaml's parser is several times faster; the pure-Python one gives the same nodes.
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_BLOCK_STYLES = ("|", ">")
# The characters YAML accepts in a stream (PyYAML's Reader uses the same set). Checked up
# front because the reader's own error reports an offset, not a line.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


@dataclass(frozen=True, slots=True)
class Located:
    """A value read from YAML with the line (1-based) of the key naming it, or its own start."""

    value: object  # str, dict[str, Located], list[Located], or another scalar (int, None...)
    line: int


@dataclass(frozen=True, slots=True)
class YamlIssue:
    """Something in a YAML file that makes it unreadable or ambiguous."""

    line: int | None
    path: tuple[str, ...]  # mapping keys leading to the problem; empty for the whole file
    message: str


@dataclass(slots=True)
class LoadedYaml:
    """The result of reading one YAML file: its tree (None if empty or unreadable) and issues."""

    root: Located | None
    issues: list[YamlIssue] = field(default_factory=list)


def load_yaml(path: Path) -> LoadedYaml:
    """Read a YAML file into a located tree, reporting syntax errors and duplicate keys."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return LoadedYaml(None, [YamlIssue(None, (), f"cannot read file: {exc.strerror}")])
    return parse_yaml(data)


def parse_yaml(data: bytes | str) -> LoadedYaml:
    """Parse one YAML document into a located tree, reporting syntax errors and duplicate keys."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            return LoadedYaml(
                None, [YamlIssue(line, (), "not valid UTF-8; save the file as UTF-8")]
            )
    else:
        text = data
    bad = _NOT_PRINTABLE.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        message = f"character U+{ord(bad.group()):04X} is not allowed in YAML"
        return LoadedYaml(None, [YamlIssue(line, (), message)])
    try:
        node = yaml.compose(text, Loader=_Loader)
        if node is None:
            return LoadedYaml(None)
        converter = _Converter()
        root = converter.convert(node, (), node.start_mark.line + 1)
    except yaml.MarkedYAMLError as exc:
        return LoadedYaml(None, [_syntax_issue(exc)])
    except yaml.YAMLError as exc:
        return LoadedYaml(None, [YamlIssue(None, (), f"YAML syntax error: {exc}")])
    except RecursionError:
        # Both the composer and the converter recurse per nesting level.
        return LoadedYaml(None, [YamlIssue(None, (), "nested too deeply")])
    return LoadedYaml(root, converter.issues)


def describe_value(value: object) -> str:
    """Describe a non-text YAML value the way a translator would understand it."""
    quote_hint = "; put the text in quotes"
    if value is None:
        return 'empty (null); write the text, or "" for an empty text'
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()} (yes/no/on/off are booleans in YAML){quote_hint}"
    if isinstance(value, int | float):
        return f"the number {value!r}{quote_hint}"
    if isinstance(value, dt.date):
        return f"the date {value.isoformat()}{quote_hint}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"a {type(value).__name__}"


def _syntax_issue(exc: yaml.MarkedYAMLError) -> YamlIssue:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or "not valid YAML"
    if exc.context:
        # "while scanning a quoted scalar" is only useful with where that scalar started.
        started = exc.context_mark
        if started is not None and mark is not None and started.line != mark.line:
            what = f"{what} ({exc.context} started on line {started.line + 1})"
        else:
            what = f"{what} ({exc.context})"
    return YamlIssue(mark.line + 1 if mark else None, (), f"YAML syntax error: {what}")


class _Converter:
    """Turns composed nodes into Located values, checking what PyYAML lets through."""

    def __init__(self) -> None:
        self.issues: list[YamlIssue] = []
        self._constructor = SafeConstructor()
        # Collections being converted: an alias back to one of them would recurse forever.
        self._open: set[int] = set()

    def convert(self, node: Node, path: tuple[str, ...], line: int) -> Located | None:
        if isinstance(node, ScalarNode):
            return self._scalar(node, path, line)
        if id(node) in self._open:
            self.issues.append(YamlIssue(line, path, "an alias refers to its own parent"))
            return None
        self._open.add(id(node))
        try:
            if isinstance(node, MappingNode):
                return Located(self._mapping(node, path), line)
            assert isinstance(node, SequenceNode)
            items = [self.convert(item, path, item.start_mark.line + 1) for item in node.value]
            return Located([item for item in items if item is not None], line)
        finally:
            self._open.discard(id(node))

    def _mapping(self, node: MappingNode, path: tuple[str, ...]) -> dict[str, Located]:
        result: dict[str, Located] = {}
        first_line: dict[str, int] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                self.issues.append(
                    YamlIssue(line, path, "merge keys (<<) are not supported; write the keys out")
                )
                continue
            if not isinstance(key_node, ScalarNode):
                self.issues.append(YamlIssue(line, path, "a key must be a name, not a collection"))
                continue
            # The key as written: `no:` or `1:` name a text, they are not a boolean or number.
            name = key_node.value
            if name in first_line:
                self.issues.append(
                    YamlIssue(
                        line,
                        (*path, name),
                        f"duplicate key {name!r} (first on line {first_line[name]}); "
                        "YAML would silently keep only the last one",
                    )
                )
                continue
            first_line[name] = line
            child = self.convert(value_node, (*path, name), line)
            if child is not None:
                result[name] = child
        return result

    def _scalar(self, node: ScalarNode, path: tuple[str, ...], line: int) -> Located | None:
        if node.tag == _STR_TAG:
            value = node.value
            # A block scalar (`|` or `>`) ends with the newline before the next key; the
            # author did not type it, so drop that one newline and keep the text exact.
            if node.style in _BLOCK_STYLES and value.endswith("\n"):
                value = value[:-1]
            return Located(value, line)
        try:
            return Located(self._constructor.construct_object(node), line)
        except Exception:
            # PyYAML's constructors fail in assorted ways on odd input (`!!int ''` is an
            # IndexError, a bad `!!timestamp` a ValueError); all mean "not a usable value".
            self.issues.append(YamlIssue(line, path, f"unsupported YAML value or tag {node.tag}"))
            return None
