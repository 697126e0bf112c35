"""Pain check-in escalation: worsening against the patient's own usual, red flags, tiers T0–T3.

Pure rules: no I/O; the current time is passed in. The thresholds and the red-flag table come
in as an EscalationRules (loaded from messages/rules/escalation.yaml by
reminderbot.content.escalation_rules); DEFAULT_RULES holds the same defaults.

Tiers (docs/clinical-reference.md §2): 0 stable (logged), 1 needs review within 1–3
working days, 2 urgent (today), 3 emergency (now). The result is the highest tier any
condition reaches, so adding a condition can never lower it.

| condition                                                  | tier | reason             |
| ---------------------------------------------------------- | ---- | ------------------ |
| pain 0 to moderate_score-1, nothing else                   | 0    | (none)             |
| pain moderate_score to severe_score-1, not already known   | 1    | pain_moderate      |
| worst pain in 24 h >= severe_score (whatever the pain now) | 1    | worst_severe       |
| pain got in the way of sleep >= moderate_score             | 1    | sleep_disturbed    |
| pain got in the way of walking >= moderate_score           | 1    | walking_disturbed  |
| two or more of the tier-1 conditions above at once [9]     | 2    | two_t1             |
| pain >= severe_score [1,8]                                 | 2    | pain_severe        |
| worsened, ending below worsening_urgent_from_score         | 1    | worsened           |
| worsened: rise over own usual >= min_rise and >= min_ratio | 2    | worsened           |
|   and pain now >= worsening_urgent_from_score              |      |                    |
| this check-in and the one before it both worsened          | 2    | worsened_twice     |
|   and pain now >= worsening_urgent_from_score              |      |                    |
| the extra (rescue) dose did not help [8]                   | 2    | rescue_not_helping |
| a red flag answered Yes                                    | own  | red_flag:<id>      |

Alert fatigue (docs/clinical-reference.md §2): the 2-point / 30 % rule was derived for
moderate-to-severe pain [4,5], so a worsening that still ends below worsening_urgent_from_score
(4, the start of the moderate band) is one tier-1 condition, never tier 2 on its own. Stable
moderate pain is "already known", and not a tier-1 condition on its own, when an earlier
check-in less than stable_moderate_quiet_days ago was in the moderate band and raised tier 1
or more, and every check-in since then (including it) stayed in the moderate band. Pain
leaving the band, a gap longer than the quiet days, or any other tier-1 condition ends the
quiet: known moderate pain still counts towards two_t1, so moderate pain that now also
disturbs sleep is urgent as before [9]. A quiet check-in is tier 0 and so gets no sooner
follow-up. Severe pain (>= severe_score) and red flags are never quietened.

A severe worst pain counts as a tier-1 condition on its own, so with moderate pain now it makes
two (tier 2): severe breakthrough pain on top of moderate pain is not under control [8].

Reasons list the red flags first (highest tier first, then file order), then the tier-2 and
tier-1 codes. Advice keys: for tier 3 the emergency red flags' own advice first, then the tier
advice (advice.tier.tN), then the other red flags' advice, then advice.worsening when the
check-in worsened or pain is severe. A follow-up check-in is asked for tiers 1 and 2; tier 3
is for people to handle at once.

`history` holds the patient's earlier check-ins, not the one being assessed; all datetimes
must be aware (UTC) or all naive, as Python cannot compare the two.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_SCORE = 10
MAX_TIER = 3
EMERGENCY_TIER = 3
# A red flag always asks for some action; tier 0 would mean "ignore the Yes".
RED_FLAG_TIERS = (1, 2, 3)

WORSENING_ADVICE_KEY = "advice.worsening"


def tier_advice_key(tier: int) -> str:
    """Return the catalog key of the general advice for a tier (advice.tier.t0 … t3)."""
    if not 0 <= tier <= MAX_TIER:
        raise ValueError(f"tier must be 0–{MAX_TIER}, not {tier}")
    return f"advice.tier.t{tier}"


def red_flag_question_key(flag_id: str) -> str:
    """Return the catalog key of a red flag's Yes/No question."""
    return f"checkin.red_flag.{flag_id}"


def red_flag_advice_key(flag_id: str) -> str:
    """Return the catalog key of what to do when a red flag is answered Yes."""
    return f"advice.red_flag.{flag_id}"


@dataclass(frozen=True)
class RedFlag:
    """A Yes/No safety question; Yes raises the check-in to `tier` (3 = emergency).

    `requires_tags`: asked only of patients with all these tags; empty means everyone.
    """

    id: str
    tier: int
    question_key: str
    advice_key: str
    requires_tags: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        if self.tier not in RED_FLAG_TIERS:
            raise ValueError(f"red flag {self.id}: tier must be 1, 2 or 3, not {self.tier!r}")
        object.__setattr__(self, "requires_tags", frozenset(self.requires_tags))


def red_flag(flag_id: str, tier: int, requires_tags: Iterable[str] = ()) -> RedFlag:
    """Build a RedFlag whose question and advice keys follow the catalog's naming."""
    return RedFlag(
        id=flag_id,
        tier=tier,
        question_key=red_flag_question_key(flag_id),
        advice_key=red_flag_advice_key(flag_id),
        requires_tags=frozenset(requires_tags),
    )


@dataclass(frozen=True)
class EscalationRules:
    """Thresholds of the check-in rules and the red-flag table, in the reviewer's file order."""

    red_flags: tuple[RedFlag, ...]
    worsening_min_rise: float
    worsening_min_ratio: float
    history_days: int
    severe_score: int
    moderate_score: int
    screen_min_score: int
    followup_hours: float
    alert_repeat_minutes: float
    nudge_after_hours: float
    missed_in_a_row: int
    # docs/clinical-reference.md §2 alert fatigue; 0 turns each off (the rules before issue 11).
    worsening_urgent_from_score: int = 4
    stable_moderate_quiet_days: int = 7

    def __post_init__(self) -> None:
        # The loader reports problems with file and line; this guards rules built in code.
        object.__setattr__(self, "red_flags", tuple(self.red_flags))
        ids = [flag.id for flag in self.red_flags]
        if len(set(ids)) != len(ids):
            raise ValueError("red flag ids must be unique")
        if not 0 < self.moderate_score < self.severe_score <= MAX_SCORE:
            raise ValueError("need 0 < moderate_score < severe_score <= 10")
        if not 0 <= self.screen_min_score <= MAX_SCORE:
            raise ValueError("screen_min_score must be 0–10")
        if not self.worsening_min_rise > 0 or not self.worsening_min_ratio >= 0:
            raise ValueError("worsening_min_rise must be > 0 and worsening_min_ratio >= 0")
        if self.history_days < 1 or self.missed_in_a_row < 1:
            raise ValueError("history_days and missed_in_a_row must be at least 1")
        if min(self.followup_hours, self.alert_repeat_minutes, self.nudge_after_hours) <= 0:
            raise ValueError("followup_hours, alert_repeat_minutes, nudge_after_hours must be > 0")
        if not 0 <= self.worsening_urgent_from_score <= self.severe_score:
            raise ValueError("worsening_urgent_from_score must be 0 to severe_score")
        if not 0 <= self.stable_moderate_quiet_days <= 365:
            raise ValueError("stable_moderate_quiet_days must be 0–365")

    def flag(self, flag_id: str) -> RedFlag:
        """Return the red flag with this id; KeyError if the rules have none."""
        for candidate in self.red_flags:
            if candidate.id == flag_id:
                return candidate
        raise KeyError(flag_id)


# docs/clinical-reference.md §1–2 defaults; messages/rules/escalation.yaml ships the same
# values (a test checks they agree). The sources behind each number are cited in that file.
DEFAULT_RULES = EscalationRules(
    red_flags=(
        red_flag("mscc", 3),
        red_flag("fracture", 3),
        red_flag("fall_injury", 3),
        red_flag("high_calcium_severe", 3),
        red_flag("opioid_toxicity", 3, ["on_opioids"]),
        red_flag("fever_chemo", 3, ["on_chemotherapy"]),
        red_flag("new_back_pain", 2),
        red_flag("high_calcium", 2),
        red_flag("low_calcium", 2),
        red_flag("fall", 1),
    ),
    worsening_min_rise=2,
    worsening_min_ratio=0.30,
    history_days=7,
    severe_score=7,
    moderate_score=4,
    screen_min_score=4,
    followup_hours=4,
    alert_repeat_minutes=15,
    nudge_after_hours=3,
    missed_in_a_row=3,
    worsening_urgent_from_score=4,
    stable_moderate_quiet_days=7,
)


@dataclass(frozen=True)
class PastCheckIn:
    """An earlier check-in of the same patient: when, the score, whether it worsened, its tier.

    `tier` is None when unknown (not stored); such a check-in never counts as having alerted.
    """

    at: datetime
    score: int
    worsened: bool
    tier: int | None = None


@dataclass(frozen=True)
class Answers:
    """What the patient answered in one check-in; optional items are None when not asked.

    `red_flags` holds the ids of the red-flag questions answered Yes.
    """

    score: int
    worst_24h: int | None = None
    sleep: int | None = None
    walking: int | None = None
    rescue_helped: bool | None = None
    red_flags: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Assessment:
    """The outcome of a check-in: tier, reason codes, catalog keys to send in order, follow-up."""

    tier: int
    reasons: tuple[str, ...]
    worsened: bool
    advice_keys: tuple[str, ...]
    follow_up: bool
    usual: float | None


def usual_score(
    history: Sequence[PastCheckIn], now: datetime, rules: EscalationRules
) -> float | None:
    """Return the median score of the check-ins in the last history_days (None when none)."""
    scores = [past.score for past in _recent(history, now, rules)]
    return float(statistics.median(scores)) if scores else None


def is_worsened(
    score: int, history: Sequence[PastCheckIn], now: datetime, rules: EscalationRules
) -> bool:
    """Tell whether the score rose enough over the patient's own usual (both rules must hold)."""
    usual = usual_score(history, now, rules)
    if usual is None:
        # Without a baseline "worse than usual" cannot be judged; severe pain is caught by
        # severe_score instead.
        return False
    rise = score - usual
    # With a usual of 0 the ratio part is 0, so the absolute rise alone decides.
    return rise >= rules.worsening_min_rise and rise >= rules.worsening_min_ratio * usual


def needs_screen(
    score: int,
    history: Sequence[PastCheckIn],
    now: datetime,
    rules: EscalationRules,
    new_back_pain: bool = False,
) -> bool:
    """Tell whether this check-in should go on to the red-flag questions."""
    return (
        score >= rules.screen_min_score or new_back_pain or is_worsened(score, history, now, rules)
    )


def screen_for(patient_tags: frozenset[str], rules: EscalationRules) -> tuple[RedFlag, ...]:
    """Return the red-flag questions for this patient: emergency ones first, else file order."""
    asked = [flag for flag in rules.red_flags if flag.requires_tags <= patient_tags]
    # sorted() is stable, so file order is kept within each group.
    return tuple(sorted(asked, key=lambda flag: flag.tier != EMERGENCY_TIER))


def assess(
    answers: Answers,
    history: Sequence[PastCheckIn],
    now: datetime,
    rules: EscalationRules,
) -> Assessment:
    """Assess one check-in against the rules and the patient's own history."""
    _check_answers(answers, rules)
    usual = usual_score(history, now, rules)
    worsened = is_worsened(answers.score, history, now, rules)

    tier1 = _tier1_reasons(answers, rules)
    if worsened and answers.score < rules.worsening_urgent_from_score:
        # docs/clinical-reference.md §2: the 2-point / 30 % rule comes from moderate-to-severe
        # pain [4,5]; a rise that ends in mild pain (0 to 2, 1 to 3) is at most tier 1, and
        # one condition even when it worsened twice in a row.
        tier1.append("worsened")
    tier2: list[str] = []
    if len(tier1) >= 2:
        # REFERENCE §2 [9]: two or more amber (tier-1) conditions together are urgent.
        tier2.append("two_t1")
    if answers.score >= rules.severe_score:
        tier2.append("pain_severe")
    if worsened and answers.score >= rules.worsening_urgent_from_score:
        tier2.append("worsened")
        previous = _previous(history, now)
        if previous is not None and previous.worsened:
            tier2.append("worsened_twice")
    if tier1 == ["pain_moderate"] and not tier2 and _moderate_known(history, now, rules):
        # docs/clinical-reference.md §2: stable moderate pain alerts when it first appears or
        # comes back, not every day; alone it is now tier 0 (no alert, no sooner follow-up).
        tier1 = []
    if answers.rescue_helped is False:
        tier2.append("rescue_not_helping")

    flags = [flag for flag in _by_priority(rules.red_flags) if flag.id in answers.red_flags]
    tier = max((flag.tier for flag in flags), default=0)
    if tier2:
        tier = max(tier, 2)
    elif tier1:
        tier = max(tier, 1)
    reasons = (*(f"red_flag:{flag.id}" for flag in flags), *tier2, *tier1)
    return Assessment(
        tier=tier,
        reasons=reasons,
        worsened=worsened,
        advice_keys=_advice_keys(tier, flags, worsened or answers.score >= rules.severe_score),
        follow_up=tier in (1, 2),
        usual=usual,
    )


def _recent(
    history: Sequence[PastCheckIn], now: datetime, rules: EscalationRules
) -> list[PastCheckIn]:
    # The window includes its start, so seven daily check-ins make "the last 7 days"; a
    # check-in dated after now (a clock set wrong) is not part of the past.
    start = now - timedelta(days=rules.history_days)
    return [past for past in history if start <= past.at <= now]


def _previous(history: Sequence[PastCheckIn], now: datetime) -> PastCheckIn | None:
    # "In a row" means the check-in just before this one, however long ago it was.
    earlier = [past for past in history if past.at <= now]
    return max(earlier, key=lambda past: past.at) if earlier else None


def _is_moderate(score: int, rules: EscalationRules) -> bool:
    return rules.moderate_score <= score < rules.severe_score


def _moderate_known(history: Sequence[PastCheckIn], now: datetime, rules: EscalationRules) -> bool:
    # Walk back from the newest check-in while pain stayed moderate: known when one of them,
    # less than the quiet days ago, raised an alert (tier >= 1). An unknown tier never counts.
    if rules.stable_moderate_quiet_days <= 0:
        return False
    start = now - timedelta(days=rules.stable_moderate_quiet_days)
    for past in sorted((p for p in history if p.at <= now), key=lambda p: p.at, reverse=True):
        if past.at <= start or not _is_moderate(past.score, rules):
            return False
        if past.tier is not None and past.tier >= 1:
            return True
    return False


def _tier1_reasons(answers: Answers, rules: EscalationRules) -> list[str]:
    reasons: list[str] = []
    if _is_moderate(answers.score, rules):
        reasons.append("pain_moderate")
    if answers.worst_24h is not None and answers.worst_24h >= rules.severe_score:
        reasons.append("worst_severe")
    if answers.sleep is not None and answers.sleep >= rules.moderate_score:
        reasons.append("sleep_disturbed")
    if answers.walking is not None and answers.walking >= rules.moderate_score:
        reasons.append("walking_disturbed")
    return reasons


def _by_priority(flags: Iterable[RedFlag]) -> list[RedFlag]:
    # Highest tier first, file order within a tier: the order advice and reasons are listed.
    return sorted(flags, key=lambda flag: -flag.tier)


def _advice_keys(tier: int, flags: list[RedFlag], worsening: bool) -> tuple[str, ...]:
    emergency = [flag.advice_key for flag in flags if flag.tier == EMERGENCY_TIER]
    others = [flag.advice_key for flag in flags if flag.tier != EMERGENCY_TIER]
    # An emergency's own instructions (lie flat, do not move the limb) come before anything
    # general; otherwise the tier's general advice leads.
    keys = [*emergency, tier_advice_key(tier), *others]
    if worsening:
        keys.append(WORSENING_ADVICE_KEY)
    return tuple(keys)


def _check_answers(answers: Answers, rules: EscalationRules) -> None:
    for name in ("score", "worst_24h", "sleep", "walking"):
        value = getattr(answers, name)
        if value is None and name != "score":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SCORE:
            raise ValueError(f"{name} must be a whole number 0–{MAX_SCORE}, not {value!r}")
    known = {flag.id for flag in rules.red_flags}
    unknown = set(answers.red_flags) - known
    if unknown:
        # Only ids from screen_for() can be answered; anything else is a programming error.
        raise ValueError(f"unknown red flag id(s): {', '.join(sorted(unknown))}")
