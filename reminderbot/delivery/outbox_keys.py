"""Outbox unique keys and check-in prompt keys: every format is built and read back here.

A unique key makes an enqueue idempotent (a second identical insert is skipped), and some keys
are read back: the snooze mark says which prompt a copy repeats, erasure finds rows about a
person by key prefix. The strings are stored (outbox_delivery.unique_key, check_in.prompt_key),
so a format here never changes: rows already in a database must keep matching.

`FORMATS` holds each format as a pattern; no key matches two of them (a test checks), so two
builders never make the same key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# A snoozed copy's key is its prompt's key, this mark, and the minute it is due.
SNOOZE_MARK = "~"
PAIN_PREFIX = "pain:"

_ID = r"\d+"
_CHAT = r"-?\d+"  # group chats have negative ids
# The prompts a patient answers: a schedule's occurrence, or a coordinator's "ask now".
_PROMPT = r"s\d+@\d+|ask:\d+:\d+"

FORMATS: dict[str, re.Pattern[str]] = {
    name: re.compile(pattern)
    for name, pattern in {
        "occurrence": rf"s({_ID})@({_ID})",
        "snoozed": rf"({_PROMPT}){SNOOZE_MARK}({_ID})",
        "ask": rf"ask:({_ID}):({_ID})",
        "typed_prompt": rf"typed:({_ID}):({_ID})",
        "proxy_prompt": rf"proxy:({_ID}):({_ID})",
        "pain_prompt": rf"pain:({_ID}):({_ID}):({_ID})",
        "alert": rf"alert:({_ID}):({_CHAT}):({_ID})",
        "acknowledged": rf"ack:({_ID}):({_CHAT})",
        "resolved": rf"resolved:({_ID}):({_CHAT})",
        "nudge": rf"nudge:({_PROMPT})",
        "silence": rf"silence:((?:{_PROMPT})(?:{SNOOZE_MARK}{_ID})?):({_CHAT})",
        "weekly": rf"weekly:({_ID}):(\d{{4}})-W(\d{{2}})",
        "checkin_copy": rf"copy:checkin:({_ID}):({_CHAT})",
        "proxy_notice": rf"proxy:({_ID})",
        "caregiver_accepted": rf"cg:accepted:({_ID})",
        "caregiver_revoked": rf"cg:revoked:({_ID})",
        "caregiver_left": rf"cg:left:({_ID})",
        "unlinked": rf"unlinked:({_ID}):({_ID}):({_ID})",
        "broadcast": rf"broadcast:({_ID}):({_ID}):({_ID})",
        "unreachable": rf"unreachable:({_ID}):({_ID}):({_CHAT})",
        "queued_reply": rf"reply:({_CHAT}):([0-9a-f]{{32}})",
    }.items()
}


def format_of(key: str) -> str | None:
    """The name of the one format in FORMATS that `key` has, or None."""
    names = [name for name, pattern in FORMATS.items() if pattern.fullmatch(key)]
    return names[0] if len(names) == 1 else None


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


# -- Prompts: scheduled occurrences, their snoozed copies, check-ins started elsewhere ---------


@dataclass(frozen=True)
class Occurrence:
    """A parsed occurrence key: which schedule, due at which Unix time."""

    schedule_id: int
    epoch: int


def occurrence(schedule_id: int, at: datetime) -> str:
    """The key of one occurrence of a schedule (also the check-in prompt key of its answer)."""
    return f"s{schedule_id}@{_epoch(at)}"


def parse_occurrence(key: str) -> Occurrence | None:
    """The schedule and time of an occurrence key; None for any other key."""
    match = FORMATS["occurrence"].fullmatch(key)
    return Occurrence(int(match[1]), int(match[2])) if match else None


@dataclass(frozen=True)
class Snooze:
    """A parsed snoozed-copy key: the prompt it repeats and the minute (Unix) it is due."""

    prompt: str
    minute: int


def snoozed(key: str, at: datetime) -> str:
    """The key of a copy of a prompt sent again at `at`; a copy of a copy repeats the prompt.

    The minute makes a double tap on the same snooze button queue the copy only once.
    """
    return f"{prompt_of(key)}{SNOOZE_MARK}{_epoch(at) // 60}"


def parse_snoozed(key: str) -> Snooze | None:
    """The prompt and minute of a snoozed copy's key; None for any other key."""
    match = FORMATS["snoozed"].fullmatch(key)
    return Snooze(match[1], int(match[2])) if match else None


def prompt_of(key: str) -> str:
    """The prompt a (possibly snoozed) copy belongs to: the key without its snooze mark."""
    return key.split(SNOOZE_MARK, 1)[0]


def is_snoozed(key: str) -> bool:
    """Whether a key is a snoozed copy's (not the first sending of a prompt)."""
    return SNOOZE_MARK in key


def ask(patient_id: int, at: datetime) -> str:
    """A check-in prompt a coordinator sent now ("ask now")."""
    return f"ask:{patient_id}:{_epoch(at)}"


def typed_prompt(patient_id: int, at: datetime) -> str:
    """The prompt key of a check-in begun by a typed score with no prompt open."""
    return f"typed:{patient_id}:{_epoch(at)}"


def proxy_prompt(patient_id: int, at: datetime) -> str:
    """The prompt key of a check-in a caregiver reported for the patient."""
    return f"proxy:{patient_id}:{_epoch(at)}"


def pain_prompt(patient_id: int, at: datetime, message_id: int) -> str:
    """The key of an on-demand check-in (/pain); the command's message id keeps each apart."""
    return f"{PAIN_PREFIX}{patient_id}:{_epoch(at)}:{message_id}"


def is_pain_prompt(key: str) -> bool:
    """Whether a key (from a button) claims to be an on-demand prompt, well formed or not."""
    return key.startswith(PAIN_PREFIX)


def pain_patient(key: str) -> int | None:
    """The patient an on-demand prompt key names; None if it is not a well-formed one."""
    match = FORMATS["pain_prompt"].fullmatch(key)
    return int(match[1]) if match else None


# -- Alerts --------------------------------------------------------------------------------


def alert(alert_id: int, chat_id: int, round_: int) -> str:
    """One copy of an alert to one chat; round 0 is the first sending, then the repeats."""
    return f"alert:{alert_id}:{chat_id}:{round_}"


def alert_prefix(alert_id: int) -> str:
    """The start of every alert copy's key for this alert (for erasure)."""
    return f"alert:{alert_id}:"


def acknowledged(alert_id: int, chat_id: int) -> str:
    """The notice to one chat that an alert was acknowledged."""
    return f"ack:{alert_id}:{chat_id}"


def acknowledged_prefix(alert_id: int) -> str:
    """The start of every acknowledgement notice's key for this alert (for erasure)."""
    return f"ack:{alert_id}:"


def resolved(alert_id: int, chat_id: int) -> str:
    """The notice to one coordinator that an alert was resolved."""
    return f"resolved:{alert_id}:{chat_id}"


# -- The watch: nudges, silence notices, weekly summaries ----------------------------------


def nudge(prompt_key: str) -> str:
    """The one nudge about an unanswered prompt."""
    return f"nudge:{prompt_key}"


def silence(prompt_key: str, chat_id: int) -> str:
    """A silence notice to one chat, keyed by the newest unanswered prompt of the run."""
    return f"silence:{prompt_key}:{chat_id}"


def silence_prefix(schedule_id: int) -> str:
    """The start of the silence notices' keys whose prompt is an occurrence of a schedule."""
    return f"silence:s{schedule_id}@"


def weekly(link_id: int, year: int, week: int) -> str:
    """A caregiver link's weekly summary for one ISO week."""
    return f"weekly:{link_id}:{year}-W{week:02d}"


def weekly_prefix(link_id: int) -> str:
    """The start of every weekly summary's key for a caregiver link (for erasure)."""
    return f"weekly:{link_id}:"


# -- Copies and notices --------------------------------------------------------------------


def checkin_copy(checkin_id: int, chat_id: int) -> str:
    """A caregiver's short copy of a finished check-in."""
    return f"copy:checkin:{checkin_id}:{chat_id}"


def proxy_notice(checkin_id: int) -> str:
    """The notice to a patient that a caregiver reported a check-in for them."""
    return f"proxy:{checkin_id}"


def caregiver_accepted(link_id: int) -> str:
    """The notice to a patient that a caregiver accepted their invitation."""
    return f"cg:accepted:{link_id}"


def caregiver_revoked(link_id: int) -> str:
    """The notice to a caregiver that the patient ended their link."""
    return f"cg:revoked:{link_id}"


def caregiver_left(link_id: int) -> str:
    """The notice to a patient that a caregiver left their link."""
    return f"cg:left:{link_id}"


def unlinked(person_id: int, link_id: int, at: datetime) -> str:
    """The notice to a linked person that a link ended because the other side was erased."""
    return f"unlinked:{person_id}:{link_id}:{_epoch(at)}"


def broadcast(sender_id: int, at: datetime, patient_id: int) -> str:
    """One patient's copy of a coordinator's broadcast."""
    return f"broadcast:{sender_id}:{_epoch(at)}:{patient_id}"


def unreachable(patient_id: int, at: datetime, chat_id: int) -> str:
    """The notice to one coordinator that a patient cannot be reached."""
    return f"unreachable:{patient_id}:{_epoch(at)}:{chat_id}"


def unreachable_prefix(patient_id: int) -> str:
    """The start of every unreachable notice's key about a patient (for erasure)."""
    return f"unreachable:{patient_id}:"


def queued_reply(chat_id: int, token: str) -> str:
    """A direct reply that could not be sent at once; `token` (32 hex digits) makes it unique."""
    return f"reply:{chat_id}:{token}"
