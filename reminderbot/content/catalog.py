"""The loaded message catalog: every text of every locale, validated and ready to render."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from reminderbot.content.conventions import KEYS_FILE, REFERENCE_LOCALE, display_path
from reminderbot.content.locale_matching import best_locale
from reminderbot.content.problems import CatalogError, Problem
from reminderbot.content.validation import scan_catalog


class UnknownKeyError(KeyError):
    """Raised when code asks for a key that keys.yaml does not declare."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"unknown message key {self.key!r}: declare it in {display_path(KEYS_FILE)}"


class MissingPlaceholderError(TypeError):
    """Raised when code renders a text without a value for a placeholder keys.yaml declares."""

    def __init__(self, key: str, missing: Iterable[str]) -> None:
        self.key = key
        self.missing = tuple(missing)
        names = ", ".join(self.missing)
        super().__init__(
            f"message {key!r} needs a value for placeholder(s) {names} "
            f"(declared in {display_path(KEYS_FILE)}): pass {self.missing[0]}=..."
        )


class Catalog:
    """All texts of all locales; build it with Catalog.load()."""

    def __init__(
        self,
        *,
        locale_names: Mapping[str, str],
        placeholders: Mapping[str, tuple[str, ...]],
        texts: Mapping[str, Mapping[str, str]],
        warnings: Iterable[Problem] = (),
    ) -> None:
        self._locale_names = dict(locale_names)  # insertion order: reference first
        self._locales = list(self._locale_names)
        self._placeholders = dict(placeholders)
        self._texts = {locale: dict(by_key) for locale, by_key in texts.items()}
        self._keys = frozenset(self._placeholders)
        self.warnings: tuple[Problem, ...] = tuple(warnings)

    @classmethod
    def load(cls, root: Path | None = None) -> Catalog:
        """Read and validate the catalog; raise CatalogError if it has any error."""
        scan = scan_catalog(root)
        if scan.problems.errors:
            raise CatalogError(scan.problems)
        return cls(
            locale_names={locale.code: locale.name for locale in scan.locales},
            placeholders={key: decl.placeholders for key, decl in scan.keys.items()},
            texts={
                locale: {key: entry.template.text for key, entry in by_key.items()}
                for locale, by_key in scan.texts.items()
            },
            warnings=scan.problems,
        )

    @property
    def locales(self) -> list[str]:
        """Return the locale codes, the reference locale first."""
        return list(self._locales)

    @property
    def locale_names(self) -> dict[str, str]:
        """Return each locale's name as its speakers write it."""
        return dict(self._locale_names)

    @property
    def keys(self) -> frozenset[str]:
        """Return every key declared in keys.yaml."""
        return self._keys

    def placeholders(self, key: str) -> tuple[str, ...]:
        """Return the placeholders `key` declares, which text() needs values for."""
        try:
            return self._placeholders[key]
        except KeyError:
            raise UnknownKeyError(key) from None

    def has_locale(self, locale: str) -> bool:
        """Tell whether `locale` is one of the catalog's locale codes (exact spelling)."""
        return locale in self._locale_names

    def resolve_locale(self, language_code: str | None) -> str:
        """Return the best locale for a Telegram language_code, falling back to the reference."""
        return best_locale(language_code, self._locales, REFERENCE_LOCALE)

    def text(self, locale: str, key: str, /, **values: object) -> str:
        """Render `key` in `locale` (or its best match, or en) with the placeholder values given."""
        # Positional-only, so placeholders may be called "locale" or "key".
        placeholders = self._placeholders.get(key)
        if placeholders is None:
            raise UnknownKeyError(key)
        # Every declared placeholder is required, not just those this text happens to use:
        # a translator may use any of them, so omitting one is a bug waiting for a translation.
        missing = [name for name in placeholders if name not in values]
        if missing:
            raise MissingPlaceholderError(key, missing)
        # None means "not configured": the locale's own wording from common.default.<name>,
        # e.g. "your care team" / "您的医护团队" when no care team contact was set.
        unset = [name for name in placeholders if values[name] is None]
        if unset:
            values = {
                **values,
                **{
                    name: self.text(locale, f"common.default.{name}")
                    for name in unset
                    if f"common.default.{name}" in self._placeholders
                },
            }
        texts = self._texts.get(locale)
        if texts is None:
            texts = self._texts[self.resolve_locale(locale)]
        template = texts.get(key)
        if template is None:
            template = self._texts[REFERENCE_LOCALE][key]
        # Validation allowed only plain {name} fields, so format_map is exact and safe here.
        return template.format_map(values)
