"""How an update and a handler failure appear in logs: ids and types, never content."""

from __future__ import annotations

from typing import Any

from telegram import Update

from reminderbot.logsafe import scrubbed_traceback


def _int_or_none(value: object) -> int | None:
    # Ids come from the update itself; anything but an int could be text someone chose.
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def update_kind(update: Update) -> str:
    """The name of the field an update carries (message, callback_query, …)."""
    for kind in Update.ALL_TYPES:
        if getattr(update, kind, None) is not None:
            return str(kind)
    return "unknown"


def describe_update(update: object) -> str:
    """`update=… kind=… chat=… user=…` for an Update; the type name for anything else."""
    if not isinstance(update, Update):
        return f"update=None kind={type(update).__name__}"
    chat = _int_or_none(update.effective_chat.id if update.effective_chat else None)
    user = _int_or_none(update.effective_user.id if update.effective_user else None)
    update_id = _int_or_none(update.update_id)
    return f"update={update_id} kind={update_kind(update)} chat={chat} user={user}"


def describe_raw_update(data: Any) -> str:
    """`update=… kind=…` for a decoded webhook body that could not be parsed as an Update."""
    if not isinstance(data, dict):
        return f"update=None kind={type(data).__name__}"
    update_id = _int_or_none(data.get("update_id"))
    # Only Telegram's own field names are logged; keys are checked against the known set so a
    # forged body cannot smuggle text into the log through a key.
    known = {str(kind) for kind in Update.ALL_TYPES}
    kinds = sorted(key for key in data if key in known)
    return f"update={update_id} kind={','.join(kinds) or 'unknown'}"


def failure_report(update: object, error: BaseException | None) -> str:
    """One log message for a handler failure: the update's ids, the error type, a traceback."""
    if error is None:
        return f"{describe_update(update)} error=None"
    return f"{describe_update(update)} error={type(error).__name__}\n{scrubbed_traceback(error)}"
