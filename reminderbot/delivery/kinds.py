"""Message kinds: what an outbox row is, declared once; unknown kinds are errors, not guesses."""

from __future__ import annotations

from enum import StrEnum


class MessageKind(StrEnum):
    """The kind of an outbox row; the value is what the `kind` column stores."""

    REPLY = "reply"  # a direct reply that could not be sent at once, retried from the outbox
    ALERT = "alert"
    NOTICE = "notice"
    FOLLOWUP = "followup"
    CHECKIN = "checkin"
    CALCIUM = "calcium"
    REMINDER = "reminder"
    TIP = "tip"
    SUMMARY = "summary"
    BROADCAST = "broadcast"


class UnknownKindError(ValueError):
    """A kind that is not a MessageKind: a typo in the code, or a row from another version."""

    def __init__(self, kind: object) -> None:
        known = ", ".join(k.value for k in MessageKind)
        super().__init__(f"unknown message kind {str(kind)[:40]!r}; the known kinds are {known}")


# Check-in prompts (scheduled, or asked for by a coordinator): the kinds an answer belongs to.
PROMPT_KINDS = (MessageKind.CHECKIN, MessageKind.FOLLOWUP)


def message_kind(value: str) -> MessageKind:
    """The MessageKind stored as `value`; UnknownKindError (a ValueError) for anything else."""
    try:
        return MessageKind(value)
    except ValueError:
        raise UnknownKindError(value) from None
