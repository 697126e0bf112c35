"""Parsing `{name}` placeholders in texts; only plain named fields are allowed."""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter

from reminderbot.content.conventions import (
    PLACEHOLDER_NAME,
    PLACEHOLDER_SAMPLE_LENGTH,
    telegram_length,
)

_FORMATTER = Formatter()


@dataclass(frozen=True, slots=True)
class Template:
    """A parsed text: its placeholders, literal length and any syntax errors."""

    text: str
    names: tuple[str, ...]  # distinct placeholder names, in order of first use
    occurrences: int  # placeholder fields, counting repeats
    literal_length: int  # Telegram length of the text without its fields, `{{` counted once
    errors: tuple[str, ...]

    @property
    def is_valid(self) -> bool:
        """Tell whether the text can be rendered (no placeholder syntax errors)."""
        return not self.errors

    def sample_length(self, value_length: int = PLACEHOLDER_SAMPLE_LENGTH) -> int:
        """Return the rendered length if every placeholder value had `value_length` units."""
        return self.literal_length + self.occurrences * value_length


def parse_template(text: str) -> Template:
    """Parse `text` as a str.format string, collecting every disallowed or malformed field."""
    names: dict[str, None] = {}  # a dict keeps first-use order without duplicates
    occurrences = 0
    literal_length = 0
    errors: list[str] = []
    try:
        for literal, field_name, format_spec, conversion in _FORMATTER.parse(text):
            literal_length += telegram_length(literal)
            if field_name is None:
                continue
            occurrences += 1
            problem = _field_problem(field_name, format_spec or "", conversion)
            if problem is None:
                names[field_name] = None
            else:
                errors.append(problem)
    except ValueError as exc:
        errors.append(f"malformed braces: {exc} (write {{{{ or }}}} for a literal brace)")
    return Template(text, tuple(names), occurrences, literal_length, tuple(errors))


def _field_problem(field_name: str, format_spec: str, conversion: str | None) -> str | None:
    written = "{" + field_name
    if conversion is not None:
        written += "!" + conversion
    if format_spec:
        written += ":" + format_spec
    written += "}"
    if field_name == "" or field_name.isdigit():
        return f"positional placeholder {written}; give it a name such as {{name}}"
    if "." in field_name or "[" in field_name:
        return f"attribute or index placeholder {written}; use a plain {{name}}"
    if conversion is not None:
        return f"conversion !{conversion} in {written} is not allowed; use a plain {{name}}"
    if format_spec:
        # keys.yaml names placeholders but not their types: a spec like :.1f would crash
        # the moment the code passes a string, so formatting belongs in code.
        return f"format spec in {written} is not allowed; format the value in code"
    if not PLACEHOLDER_NAME.fullmatch(field_name):
        return f"invalid placeholder {written}; a name uses only letters, digits and _"
    return None
