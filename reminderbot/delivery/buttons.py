"""The one registry of button actions: every callback-data code, its family and who may tap it.

Services put these codes into their buttons and delivery into scheduled messages; the Telegram
adapter routes each family to one handler with a `CallbackQueryHandler(pattern=...)` built here.
A code is declared once, below; tests/delivery/test_buttons.py checks that no two collide and
that the Application has exactly one handler for each. The data only says what was tapped:
the rights named here are checked against the tapping user's rows in the database.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

# Row ids are INTEGER columns: a larger number names no row, and PostgreSQL would reject it as a
# parameter ("integer out of range") instead of finding nothing. (A BIGINT stops at 2**63 - 1.)
MAX_ID = 2**31 - 1
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


class Family(enum.StrEnum):
    """Buttons routed to the same Telegram handler."""

    CONSENT = "consent"
    SETTINGS = "settings"
    DATA_RIGHTS = "data_rights"
    SCHEDULED = "scheduled"
    CHECKIN = "checkin"
    ALERT = "alert"
    COORDINATOR = "coordinator"
    CAREGIVER = "caregiver"


class Right(enum.StrEnum):
    """Who may tap a button, checked in the database against the tapping user."""

    # Anyone: consent, and answering an invite (the token itself is the check).
    ANYONE = "anyone"
    # The person the message was sent to (their own person row or outbox row).
    SELF = "self"
    # A subscribed patient, about their own subscription.
    PATIENT = "patient"
    # The check-in's patient, or the caregiver who reports for them over an active link.
    PATIENT_OR_REPORTER = "patient_or_reporter"
    # A caregiver with an active link to the patient the button names.
    CAREGIVER = "caregiver"
    # A coordinator, by role or by REMINDERBOT_COORDINATOR_IDS.
    COORDINATOR = "coordinator"


class Shape(enum.Enum):
    """How a code sits in the callback data."""

    # `code|key|value` (see `build`); the code is matched exactly before the first `|`.
    PIPED = "piped"
    # The whole data is the code.
    EXACT = "exact"
    # The code starts the data and a value follows (`lang:zh-Hans`).
    PREFIX = "prefix"


@dataclass(frozen=True)
class Action:
    """One button action: its code, family, the right it needs, and how it is matched."""

    code: str
    family: Family
    right: Right
    shape: Shape = Shape.PIPED

    @property
    def pattern(self) -> str:
        """The regular expression matching this action's callback data, and nothing else's."""
        code = re.escape(self.code)
        if self.shape is Shape.PIPED:
            return rf"^{code}\|"
        if self.shape is Shape.EXACT:
            return rf"^{code}$"
        return rf"^{code}"

    def sample(self) -> str:
        """Callback data as this action's buttons carry it (for tests and documentation)."""
        if self.shape is Shape.PIPED:
            return build(self.code, "1", "x")
        if self.shape is Shape.EXACT:
            return self.code
        return f"{self.code}x"


ACTIONS: list[Action] = []


def _declare(code: str, family: Family, right: Right, shape: Shape = Shape.PIPED) -> str:
    ACTIONS.append(Action(code, family, right, shape))
    return code


# --- consent, onboarding and settings (the data is the code, or the code and a value) ---------
CONSENT_YES = _declare("consent:yes", Family.CONSENT, Right.ANYONE, Shape.EXACT)
CONSENT_NO = _declare("consent:no", Family.CONSENT, Right.ANYONE, Shape.EXACT)
LANGUAGE_PREFIX = _declare("lang:", Family.SETTINGS, Right.PATIENT, Shape.PREFIX)
TIMEZONE_PREFIX = _declare("tz:", Family.SETTINGS, Right.PATIENT, Shape.PREFIX)
TIMES_KEEP = _declare("times:keep", Family.SETTINGS, Right.PATIENT, Shape.EXACT)
TIMES_CHANGE = _declare("times:change", Family.SETTINGS, Right.PATIENT, Shape.EXACT)
SET_TIMEZONE = _declare("set:tz", Family.SETTINGS, Right.PATIENT, Shape.EXACT)
SET_TIMES = _declare("set:times", Family.SETTINGS, Right.PATIENT, Shape.EXACT)
SET_QUIET = _declare("set:quiet", Family.SETTINGS, Right.PATIENT, Shape.EXACT)
SET_LANGUAGE = _declare("set:lang", Family.SETTINGS, Right.PATIENT, Shape.EXACT)
SET_PAUSE = _declare("set:pause", Family.SETTINGS, Right.PATIENT, Shape.EXACT)
SET_RESUME = _declare("set:resume", Family.SETTINGS, Right.PATIENT, Shape.EXACT)
QUIET_OFF = _declare("quiet:off", Family.SETTINGS, Right.PATIENT, Shape.EXACT)

# --- /mydata and /delete: "data:<choice>:<person id>" ------------------------------------------
DATA_RIGHTS_PREFIX = _declare("data:", Family.DATA_RIGHTS, Right.SELF, Shape.PREFIX)

# --- scheduled messages (the key is the outbox unique key of the prompt) ----------------------
CHECKIN = _declare("ci", Family.SCHEDULED, Right.SELF)
CALCIUM_DONE = _declare("ca:done", Family.SCHEDULED, Right.SELF)
CALCIUM_TOMORROW = _declare("ca:tmrw", Family.SCHEDULED, Right.SELF)
CALCIUM_LOG = _declare("ca:log", Family.SCHEDULED, Right.SELF)
SNOOZE_HOUR = _declare("sz:1h", Family.SCHEDULED, Right.SELF)
# The unit question after a typed calcium result (the key names the patient: only theirs).
CALCIUM_UNIT = _declare("ca:unit", Family.SCHEDULED, Right.SELF)

# --- inside a check-in (the key is the check-in id) -------------------------------------------
CHECKIN_STEP = _declare("cq", Family.CHECKIN, Right.PATIENT_OR_REPORTER)

# --- alerts, on the alert message itself -------------------------------------------------------
ACKNOWLEDGE = _declare("ack", Family.ALERT, Right.COORDINATOR)

# --- coordinator work: alerts list, broadcasts, roster, schedules ------------------------------
RESOLVE = _declare("alr", Family.COORDINATOR, Right.COORDINATOR)
RESOLVE_SKIP_NOTE = _declare("aln", Family.COORDINATOR, Right.COORDINATOR)
MORE_ALERTS = _declare("alm", Family.COORDINATOR, Right.COORDINATOR)
BROADCAST_TO = _declare("bct", Family.COORDINATOR, Right.COORDINATOR)
BROADCAST_SEND = _declare("bcs", Family.COORDINATOR, Right.COORDINATOR)
BROADCAST_CANCEL = _declare("bcx", Family.COORDINATOR, Right.COORDINATOR)
ROSTER_PAGE = _declare("pts", Family.COORDINATOR, Right.COORDINATOR)
PICK_SCHEDULE = _declare("sch", Family.COORDINATOR, Right.COORDINATOR)
PICK_FIELD = _declare("scf", Family.COORDINATOR, Right.COORDINATOR)
PROGRAMS = _declare("scp", Family.COORDINATOR, Right.COORDINATOR)
ASSIGN_PROGRAM = _declare("prg", Family.COORDINATOR, Right.COORDINATOR)

# --- caregivers --------------------------------------------------------------------------------
INVITE_ACCEPT = _declare("cga", Family.CAREGIVER, Right.ANYONE)
INVITE_DECLINE = _declare("cgd", Family.CAREGIVER, Right.ANYONE)
CAREGIVER_OPTION = _declare("cgo", Family.CAREGIVER, Right.CAREGIVER)
CAREGIVER_REVOKE = _declare("cgr", Family.CAREGIVER, Right.PATIENT)
CAREGIVER_LEAVE = _declare("cgl", Family.CAREGIVER, Right.CAREGIVER)
CANCEL_INVITES = _declare("cgx", Family.CAREGIVER, Right.PATIENT)
PROXY_FOR = _declare("cgp", Family.CAREGIVER, Right.CAREGIVER)
PROXY_SCORE = _declare("cps", Family.CAREGIVER, Right.CAREGIVER)

BY_CODE: dict[str, Action] = {action.code: action for action in ACTIONS}


def codes(family: Family) -> frozenset[str]:
    """The codes of one family."""
    return frozenset(a.code for a in ACTIONS if a.family is family)


def family_pattern(family: Family) -> str:
    """One regular expression for a family's callback data (for CallbackQueryHandler)."""
    return "|".join(f"(?:{a.pattern})" for a in ACTIONS if a.family is family)


def matching(data: str, actions: Iterable[Action] = ACTIONS) -> list[Action]:
    """Every action whose pattern matches the data (exactly one for a well-formed button)."""
    return [a for a in actions if re.match(a.pattern, data)]


def action_of(data: str) -> str:
    """The tapped action's code for logs and audit rows; "unknown" for data of no action."""
    found = matching(data)
    return found[0].code if len(found) == 1 else "unknown"


@dataclass(frozen=True)
class ButtonData:
    """Parsed callback data: an action, the key it refers to, and a value."""

    action: str
    key: str
    value: str = ""


def build(action: str, key: str, value: str = "") -> str:
    """Encode callback data as `action|key|value`."""
    return f"{action}|{key}|{value}"


def parse(data: str) -> ButtonData | None:
    """Decode callback data built by `build`; None for anything else."""
    parts = data.split("|")
    if len(parts) != 3 or not parts[0] or not parts[1]:
        return None
    return ButtonData(parts[0], parts[1], parts[2])


def parse_id(text: str, *, maximum: int = MAX_ID) -> int | None:
    """A positive id typed or carried in button data: ASCII digits only and in range, else None.

    `str.isdigit` accepts "²" and "１２", and `int` reads the latter; ids come from users, so
    only 0-9 count, and a value past the column's range is not an id either.
    """
    value = text.strip()
    if _ASCII_DIGITS.fullmatch(value) is None:
        return None
    number = int(value)
    return number if 0 < number <= maximum else None


def parse_number(text: str, *, maximum: int) -> int | None:
    """A small whole number from button data (a score 0-10): ASCII digits, 0..maximum, else None."""
    if _ASCII_DIGITS.fullmatch(text) is None:
        return None
    number = int(text)
    return number if number <= maximum else None
