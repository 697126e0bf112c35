"""What each kind of message is worth: its priority lane and its crash semantics."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Semantics(StrEnum):
    """What happens to a message whose sender died in the middle of sending it."""

    # Never doubled: a message whose send may have happened is not sent again.
    AT_MOST_ONCE = "at_most_once"
    # Never lost: a message whose send may not have happened is sent again (maybe twice).
    AT_LEAST_ONCE = "at_least_once"


@dataclass(frozen=True)
class KindPolicy:
    """Priority (lower goes first) and crash semantics for one kind of message."""

    priority: int
    semantics: Semantics
    routine: bool  # routine messages wait out quiet hours; escalation traffic does not


# Lanes: alerts before escalation follow-ups before check-ins before reminders before tips.
# A reply that could not be sent directly (after retries) waits in the outbox with the alerts.
POLICIES: dict[str, KindPolicy] = {
    "reply": KindPolicy(0, Semantics.AT_LEAST_ONCE, routine=False),
    "alert": KindPolicy(0, Semantics.AT_LEAST_ONCE, routine=False),
    "notice": KindPolicy(5, Semantics.AT_LEAST_ONCE, routine=False),
    "followup": KindPolicy(10, Semantics.AT_LEAST_ONCE, routine=False),
    "checkin": KindPolicy(20, Semantics.AT_MOST_ONCE, routine=True),
    "calcium": KindPolicy(30, Semantics.AT_MOST_ONCE, routine=True),
    "reminder": KindPolicy(30, Semantics.AT_MOST_ONCE, routine=True),
    "tip": KindPolicy(40, Semantics.AT_MOST_ONCE, routine=True),
    "summary": KindPolicy(45, Semantics.AT_MOST_ONCE, routine=True),
    "broadcast": KindPolicy(50, Semantics.AT_MOST_ONCE, routine=True),
}


def policy(kind: str) -> KindPolicy:
    """Return the policy of a kind; unknown kinds are treated as urgent and never lost."""
    return POLICIES.get(kind, KindPolicy(0, Semantics.AT_LEAST_ONCE, routine=False))
