"""Choosing the best supported locale for a Telegram `language_code`."""

from __future__ import annotations

from collections.abc import Sequence

# Chinese is written in two scripts; Telegram usually sends a region (zh-CN, zh-TW) or a
# bare "zh", so the script has to be inferred from the region.
_SCRIPT_BY_REGION: dict[tuple[str, str], str] = {
    ("zh", "cn"): "hans",
    ("zh", "sg"): "hans",
    ("zh", "my"): "hans",
    ("zh", "tw"): "hant",
    ("zh", "hk"): "hant",
    ("zh", "mo"): "hant",
}


def best_locale(requested: str | None, supported: Sequence[str], default: str) -> str:
    """Return the supported locale closest to `requested`: exact, same script, same language."""
    if not requested or not requested.strip():
        return default
    tag = requested.strip().replace("_", "-").lower()
    by_folded = {code.lower(): code for code in supported}
    if tag in by_folded:
        return by_folded[tag]
    language, *subtags = tag.split("-")
    script = next((s for s in subtags if len(s) == 4 and s.isalpha()), None)
    if script is None:
        region = next((s for s in subtags if len(s) == 2 or (len(s) == 3 and s.isdigit())), "")
        script = _SCRIPT_BY_REGION.get((language, region))
    if script is not None and f"{language}-{script}" in by_folded:
        return by_folded[f"{language}-{script}"]
    if language in by_folded:
        return by_folded[language]
    for code in supported:  # in catalog order, so the first listed variant wins
        if code.lower().split("-", 1)[0] == language:
            return code
    return default
