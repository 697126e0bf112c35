"""Recognising the time zone a person types: IANA names, forgivingly."""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# Legacy and administrative names would make a city search ambiguous or surprising.
_SKIP_PREFIXES = ("Etc/", "SystemV/", "posix/", "right/")


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


@cache
def _zones_by_city() -> dict[str, tuple[str, ...]]:
    cities: dict[str, list[str]] = {}
    for name in available_timezones():
        if name.startswith(_SKIP_PREFIXES) or "/" not in name:
            continue
        city = name.rsplit("/", 1)[1].replace("_", " ").casefold()
        cities.setdefault(city, []).append(name)
    return {city: tuple(sorted(names)) for city, names in cities.items()}


def is_valid_timezone(name: str) -> bool:
    """Say whether `name` is an IANA time zone this machine knows."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def resolve_timezone(text: str) -> str | None:
    """Turn typed text into an IANA zone name, or None when it matches none (or several)."""
    cleaned = " ".join(text.strip().split())
    if not cleaned or len(cleaned) > 64:
        return None
    exact = _zones_by_folded_name().get(cleaned.replace(" ", "_").casefold())
    if exact is not None:
        return exact
    # "berlin" or "new york" name a city; accept it only when one zone carries that name.
    matches = _zones_by_city().get(cleaned.replace("_", " ").casefold(), ())
    return matches[0] if len(matches) == 1 else None
