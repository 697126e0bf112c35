"""Message formatting: parse_mode into plain text plus entities, and limits in UTF-16 units."""

from __future__ import annotations

import re
from typing import Any

from .errors import ApiError, bad_request

Entity = dict[str, Any]

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024


def utf16_len(text: str) -> int:
    """Return the length in UTF-16 code units, the unit of Telegram offsets and limits."""
    return len(text.encode("utf-16-le")) // 2


def render(text: str, parse_mode: str | None, entities: Any = None) -> tuple[str, list[Entity]]:
    """Return (plain text, entities) as Telegram stores a message sent with these options."""
    if entities:
        # Explicit entities win over parse_mode, as in the Bot API.
        if not isinstance(entities, list) or not all(isinstance(e, dict) for e in entities):
            raise bad_request("can't parse entities JSON object")
        return text, [dict(e) for e in entities]
    mode = (parse_mode or "").strip().lower()
    if not mode:
        return text, []
    if mode == "html":
        return _HtmlParser(text).parse()
    if mode == "markdownv2":
        return _MarkdownV2Parser(text).parse()
    if mode == "markdown":
        return _MarkdownParser(text).parse()
    raise bad_request("unsupported parse_mode")


_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{1,32})?(?![A-Za-z0-9_@/])")


def command_entities(text: str) -> list[Entity]:
    """Return the bot_command entities Telegram attaches to a user's text."""
    return [
        {
            "offset": utf16_len(text[: match.start()]),
            "length": utf16_len(match.group()),
            "type": "bot_command",
        }
        for match in _COMMAND_RE.finditer(text)
    ]


def _cant_parse(detail: str) -> ApiError:
    return bad_request(f"can't parse entities: {detail}")


def _byte_offset(source: str, index: int) -> int:
    # Telegram reports parse errors by UTF-8 byte offset; computed only on the error path.
    return len(source[:index].encode("utf-8"))


class _TextBuilder:
    """Plain text under construction plus the UTF-16 offset where the next character lands."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.offset = 0
        self.entities: list[Entity] = []

    def add(self, chunk: str) -> None:
        if chunk:
            self.parts.append(chunk)
            self.offset += utf16_len(chunk)

    def entity(self, kind: str, start: int, end: int | None = None, **extra: Any) -> None:
        length = (self.offset if end is None else end) - start
        # Telegram drops entities that cover no text.
        if length > 0:
            self.entities.append({"offset": start, "length": length, "type": kind, **extra})

    def result(self) -> tuple[str, list[Entity]]:
        entities = sorted(self.entities, key=lambda e: (e["offset"], -e["length"]))
        return "".join(self.parts), entities


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_SPECIAL = re.compile(r"[<&]")
_HTML_TAG_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_HTML_ATTR = re.compile(
    r"""\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?"""
)
_HTML_ENTITY = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]+);")
# The Bot API documents only these named entities (plus all numeric ones).
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}


class _HtmlParser:
    """Telegram's HTML subset: strict about tags, so unescaped '<' fails like the real API."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.out = _TextBuilder()
        # (tag name, entity type or None, start offset, extra entity fields)
        self.stack: list[tuple[str, str | None, int, dict[str, Any]]] = []

    def parse(self) -> tuple[str, list[Entity]]:
        src = self.source
        i = 0
        while True:
            match = _HTML_SPECIAL.search(src, i)
            if match is None:
                self.out.add(src[i:])
                break
            self.out.add(src[i : match.start()])
            i = match.start()
            i = self._entity(i) if src[i] == "&" else self._tag(i)
        if self.stack:
            raise _cant_parse(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        return self.out.result()

    def _entity(self, i: int) -> int:
        decoded, after = _decode_html_entity(self.source, i)
        self.out.add(decoded)
        return after

    def _tag(self, i: int) -> int:
        src = self.source
        if src.startswith("</", i):
            end = src.find(">", i)
            if end < 0:
                raise _cant_parse(f"Unclosed end tag at byte offset {_byte_offset(src, i)}")
            name = src[i + 2 : end].strip().lower()
            if not self.stack:
                raise _cant_parse(f"Unexpected end tag at byte offset {_byte_offset(src, i)}")
            open_name, kind, start, extra = self.stack[-1]
            if name != open_name:
                raise _cant_parse(
                    f"Unmatched end tag at byte offset {_byte_offset(src, i)}, "
                    f'expected "</{open_name}>", found "</{name}>"'
                )
            self.stack.pop()
            if kind is not None:
                self.out.entity(kind, start, **extra)
            return end + 1
        name_match = _HTML_TAG_NAME.match(src, i + 1)
        name = name_match.group().lower() if name_match else ""
        if name not in _HTML_TAGS:
            raise _cant_parse(
                f'Unsupported start tag "{name}" at byte offset {_byte_offset(src, i)}'
            )
        assert name_match is not None
        end = src.find(">", name_match.end())
        if end < 0:
            raise _cant_parse(f"Unclosed start tag at byte offset {_byte_offset(src, i)}")
        attrs = self._attributes(src[name_match.end() : end])
        kind, extra = self._entity_for(name, attrs, i)
        self.stack.append((name, kind, self.out.offset, extra))
        return end + 1

    @staticmethod
    def _attributes(raw: str) -> dict[str, str]:
        attrs: dict[str, str] = {}
        for match in _HTML_ATTR.finditer(raw.rstrip("/")):
            value = next((g for g in match.groups()[1:] if g is not None), "")
            attrs[match.group(1).lower()] = _unescape_attribute(value)
        return attrs

    def _entity_for(
        self, name: str, attrs: dict[str, str], index: int
    ) -> tuple[str | None, dict[str, Any]]:
        if name == "a":
            href = attrs.get("href")
            return ("text_link", {"url": href}) if href else (None, {})
        if name == "span":
            if attrs.get("class") != "tg-spoiler":
                raise _cant_parse(
                    f'Unsupported start tag "span" at byte offset '
                    f"{_byte_offset(self.source, index)}"
                )
            return "spoiler", {}
        if name == "code" and self.stack and self.stack[-1][0] == "pre":
            language = attrs.get("class", "")
            if language.startswith("language-"):
                # <pre><code class="language-x"> is one pre entity with a language.
                self.stack[-1][3]["language"] = language.removeprefix("language-")
                return None, {}
        if name == "blockquote" and "expandable" in attrs:
            return "expandable_blockquote", {}
        if name == "tg-emoji":
            return "custom_emoji", {"custom_emoji_id": attrs.get("emoji-id", "")}
        return _HTML_TAGS[name], {}


def _decode_html_entity(source: str, i: int) -> tuple[str, int]:
    """Decode the '&...;' at source[i]; a bare or unknown '&' is kept literally."""
    match = _HTML_ENTITY.match(source, i)
    if match is None:
        return "&", i + 1
    body = match.group(1)
    if body.startswith(("#x", "#X")):
        return _safe_chr(int(body[2:], 16)), match.end()
    if body.startswith("#"):
        return _safe_chr(int(body[1:])), match.end()
    if body.lower() in _HTML_NAMED:
        return _HTML_NAMED[body.lower()], match.end()
    return match.group(), match.end()


def _safe_chr(code: int) -> str:
    try:
        return chr(code)
    except (ValueError, OverflowError):
        return "\ufffd"


def _unescape_attribute(value: str) -> str:
    parts: list[str] = []
    i = 0
    while (amp := value.find("&", i)) >= 0:
        parts.append(value[i:amp])
        decoded, i = _decode_html_entity(value, amp)
        parts.append(decoded)
    parts.append(value[i:])
    return "".join(parts)


_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MDV2_MARKERS = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}
_ENTITY_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "code": "Code",
    "pre": "Pre",
    "text_link": "TextUrl",
}
_PRE_LANGUAGE = re.compile(r"^[\w+#.-]+$")


class _MarkdownV2Parser:
    """MarkdownV2: every reserved character outside an entity must be backslash-escaped."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.out = _TextBuilder()
        # (marker, entity type, start offset, source index of the marker)
        self.stack: list[tuple[str, str, int, int]] = []
        self.quote_start: int | None = None
        self.quote_end = 0

    def parse(self) -> tuple[str, list[Entity]]:
        src = self.source
        i = 0
        line_start = True
        while i < len(src):
            char = src[i]
            if line_start:
                line_start = False
                if char == ">":
                    if self.quote_start is None:
                        self.quote_start = self.out.offset
                    i += 1
                    continue
                self._close_quote()
            if char == "\\":
                if i + 1 < len(src) and 0 < ord(src[i + 1]) <= 126:
                    self.out.add(src[i + 1])
                    i += 2
                    continue
                raise self._reserved(char)
            if char == "\n":
                self.quote_end = self.out.offset
                self.out.add(char)
                line_start = True
                i += 1
            elif char == "`":
                i = self._pre(i) if src.startswith("```", i) else self._code(i)
            elif char in "*_~|":
                i = self._marker(i)
            elif char == "[":
                self.stack.append(("[", "text_link", self.out.offset, i))
                i += 1
            elif char == "]":
                i = self._link_end(i)
            elif char in _MDV2_RESERVED:
                raise self._reserved(char)
            else:
                self.out.add(char)
                i += 1
        if self.quote_start is not None:
            self.out.entity("blockquote", self.quote_start)
        if self.stack:
            _, kind, _, index = self.stack[-1]
            raise self._unclosed(kind, index)
        return self.out.result()

    def _close_quote(self) -> None:
        if self.quote_start is not None:
            self.out.entity("blockquote", self.quote_start, self.quote_end)
            self.quote_start = None

    def _reserved(self, char: str) -> ApiError:
        return _cant_parse(
            f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
        )

    def _unclosed(self, kind: str, index: int) -> ApiError:
        name = _ENTITY_NAMES.get(kind, kind)
        return _cant_parse(
            f"Can't find end of {name} entity at byte offset {_byte_offset(self.source, index)}"
        )

    def _marker(self, i: int) -> int:
        src = self.source
        if src.startswith("__", i):
            marker = "__"
        elif src[i] == "|":
            if not src.startswith("||", i):
                raise self._reserved("|")
            marker = "||"
        else:
            marker = src[i]
        if any(entry[0] == marker for entry in self.stack):
            top_marker, kind, start, index = self.stack[-1]
            if top_marker != marker:
                raise self._unclosed(kind, index)
            self.stack.pop()
            self.out.entity(kind, start)
        else:
            self.stack.append((marker, _MDV2_MARKERS[marker], self.out.offset, i))
        return i + len(marker)

    def _scan_escaped(self, i: int, terminator: str) -> tuple[str, int] | None:
        """Read until an unescaped terminator; only '\\' escapes apply inside code and URLs."""
        src = self.source
        chunk: list[str] = []
        while i < len(src):
            if src[i] == "\\" and i + 1 < len(src):
                chunk.append(src[i + 1])
                i += 2
            elif src.startswith(terminator, i):
                return "".join(chunk), i + len(terminator)
            else:
                chunk.append(src[i])
                i += 1
        return None

    def _code(self, i: int) -> int:
        scanned = self._scan_escaped(i + 1, "`")
        if scanned is None:
            raise self._unclosed("code", i)
        body, after = scanned
        start = self.out.offset
        self.out.add(body)
        self.out.entity("code", start)
        return after

    def _pre(self, i: int) -> int:
        scanned = self._scan_escaped(i + 3, "```")
        if scanned is None:
            raise self._unclosed("pre", i)
        body, after = scanned
        extra: dict[str, Any] = {}
        first_line, newline, rest = body.partition("\n")
        if newline and _PRE_LANGUAGE.match(first_line):
            extra["language"] = first_line
            body = rest
        start = self.out.offset
        self.out.add(body)
        self.out.entity("pre", start, **extra)
        return after

    def _link_end(self, i: int) -> int:
        src = self.source
        if not self.stack or self.stack[-1][0] != "[":
            raise self._reserved("]")
        _, _, start, _ = self.stack.pop()
        if not src.startswith("(", i + 1):
            raise self._reserved("]")
        scanned = self._scan_escaped(i + 2, ")")
        if scanned is None:
            raise _cant_parse(f"Can't find end of a URL at byte offset {_byte_offset(src, i)}")
        url, after = scanned
        self.out.entity("text_link", start, url=url)
        return after


class _MarkdownParser:
    """Legacy Markdown: no nesting; '\\' escapes only _ * ` [ outside entities."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.out = _TextBuilder()

    def parse(self) -> tuple[str, list[Entity]]:
        src = self.source
        i = 0
        while i < len(src):
            char = src[i]
            if char == "\\" and i + 1 < len(src) and src[i + 1] in "_*`[":
                self.out.add(src[i + 1])
                i += 2
            elif char in "*_":
                i = self._simple(i, char, "bold" if char == "*" else "italic")
            elif char == "`":
                i = self._pre(i) if src.startswith("```", i) else self._simple(i, "`", "code")
            elif char == "[":
                i = self._link(i)
            else:
                self.out.add(char)
                i += 1
        return self.out.result()

    def _unclosed(self, i: int) -> ApiError:
        return _cant_parse(
            f"Can't find end of the entity starting at byte offset {_byte_offset(self.source, i)}"
        )

    def _simple(self, i: int, marker: str, kind: str) -> int:
        end = self.source.find(marker, i + 1)
        if end < 0:
            raise self._unclosed(i)
        start = self.out.offset
        self.out.add(self.source[i + 1 : end])
        self.out.entity(kind, start)
        return end + 1

    def _pre(self, i: int) -> int:
        end = self.source.find("```", i + 3)
        if end < 0:
            raise self._unclosed(i)
        body = self.source[i + 3 : end]
        extra: dict[str, Any] = {}
        first_line, newline, rest = body.partition("\n")
        if newline and _PRE_LANGUAGE.match(first_line):
            extra["language"] = first_line
            body = rest
        start = self.out.offset
        self.out.add(body)
        self.out.entity("pre", start, **extra)
        return end + 3

    def _link(self, i: int) -> int:
        src = self.source
        close = src.find("](", i + 1)
        end = src.find(")", close + 2) if close >= 0 else -1
        if close < 0 or end < 0:
            raise self._unclosed(i)
        start = self.out.offset
        self.out.add(src[i + 1 : close])
        self.out.entity("text_link", start, url=src[close + 2 : end])
        return end + 1
