"""What each kind of message is worth: its priority lane and its crash semantics."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reminderbot.delivery.kinds import MessageKind, UnknownKindError


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
# Every MessageKind has an entry (a test checks): there is no default lane to fall into.
# A reply that could not be sent directly (after retries) waits in the outbox with the alerts.
POLICIES: dict[MessageKind, KindPolicy] = {
    MessageKind.REPLY: KindPolicy(0, Semantics.AT_LEAST_ONCE, routine=False),
    MessageKind.ALERT: KindPolicy(0, Semantics.AT_LEAST_ONCE, routine=False),
    MessageKind.NOTICE: KindPolicy(5, Semantics.AT_LEAST_ONCE, routine=False),
    MessageKind.FOLLOWUP: KindPolicy(10, Semantics.AT_LEAST_ONCE, routine=False),
    MessageKind.CHECKIN: KindPolicy(20, Semantics.AT_MOST_ONCE, routine=True),
    MessageKind.CALCIUM: KindPolicy(30, Semantics.AT_MOST_ONCE, routine=True),
    MessageKind.REMINDER: KindPolicy(30, Semantics.AT_MOST_ONCE, routine=True),
    MessageKind.TIP: KindPolicy(40, Semantics.AT_MOST_ONCE, routine=True),
    MessageKind.SUMMARY: KindPolicy(45, Semantics.AT_MOST_ONCE, routine=True),
    MessageKind.BROADCAST: KindPolicy(50, Semantics.AT_MOST_ONCE, routine=True),
}


def policy(kind: MessageKind) -> KindPolicy:
    """Return the policy of a kind; anything not a MessageKind raises UnknownKindError.

    An unknown kind used to be sent as urgent; now it is an error where it enters (see
    outbox.Message and outbox.claim_ready), so a typo cannot jump the queue.
    """
    try:
        return POLICIES[kind]
    except KeyError:
        raise UnknownKindError(kind) from None
