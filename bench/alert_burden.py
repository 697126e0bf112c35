"""Alert burden: a synthetic cohort's daily check-ins through the real escalation rules.

Usage: .venv/bin/python -m bench.alert_burden [--smoke] [--patients N] [--seed S]
       [--rules old|new|both]

Pure computation, no database: each simulated check-in is assessed by
reminderbot.care.escalation.assess with the rules shipped in messages/rules/escalation.yaml,
and fed back as history the way the service does (services/checkin_records.past_checkins: the
answered check-ins of the last 30 days before this one, with their score, worsened flag and
stored tier). "old" is the same file with the two alert-fatigue settings of issue 11 turned
off (worsening_urgent_from_score = 0, stable_moderate_quiet_days = 0), which is exactly the
behaviour before them: every worsening tier 2, moderate pain tier 1 every day
(docs/clinical-reference.md §1-2).

Model (stated, not measured): one check-in a day at 09:00-10:00 UTC for 30 days; a tier-1/2
check-in is followed `followup_hours` later by one follow-up answered with the same score (the
service would plan another after a worrying follow-up; at most one a day is modelled). Every
red-flag question that applies to the patient is answered at every check-in (the safety screen
of issue 11); the figure "... with today's screen" instead asks them only when
care.escalation.needs_screen says so, or after a Yes to new back pain, as services/checkins.py
does today. Cohorts:

- stable_low: pain 1-2, +/-1 a day, kept within 0-3.
- stable_moderate: pain 4-6, +/-1 a day, kept within 4-6.
- slowly_rising: from 1-2 up by about 5 points over the 30 days.
- flaring: pain 1-3, then a flare of +2..3 for 3 days (a radiotherapy pain flare [10]).
- red_flag: pain 1-3 and on one day an emergency sign (an emergency vignette).

Patient-weeks for rates are check-in days / 7; the share of patient-weeks with an alert counts
the four whole weeks (days 1-28). An alert is a check-in of tier 1 or more (the service raises
one for each). For reference, STAR alerted on 13 % and PRO-TECT on 37 % of patient-weeks.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from bench.common import Figure, Target, print_header, print_table
from reminderbot.care.escalation import (
    EMERGENCY_TIER,
    Answers,
    Assessment,
    EscalationRules,
    PastCheckIn,
    assess,
    needs_screen,
    screen_for,
)
from reminderbot.content.escalation_rules import load_escalation_rules

DAYS = 30
WHOLE_WEEKS = 4
# services/checkin_records.past_checkins reads this many days of history.
HISTORY_LOOKUP_DAYS = 30
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
BACK_PAIN_FLAG = "new_back_pain"
COHORTS = ("stable_low", "stable_moderate", "slowly_rising", "flaring", "red_flag")

# Emergency vignettes (docs/clinical-reference.md §2): the flags answered Yes, the patient's
# tags, and the pain that day (None = the patient's usual, a calm day).
VIGNETTES: tuple[tuple[frozenset[str], frozenset[str], int | None], ...] = (
    (frozenset({"mscc", BACK_PAIN_FLAG}), frozenset(), 6),  # back pain and weak legs
    (frozenset({"mscc"}), frozenset(), None),  # leg weakness without back pain
    (frozenset({"fracture"}), frozenset(), 8),
    (frozenset({"fall_injury", "fall"}), frozenset(), None),
    (frozenset({"high_calcium_severe", "high_calcium"}), frozenset(), None),  # confused, thirsty
    (frozenset({"opioid_toxicity"}), frozenset({"on_opioids"}), 1),  # low pain, too sleepy
    (frozenset({"fever_chemo"}), frozenset({"on_chemotherapy"}), None),
)


@dataclass
class Patient:
    """One simulated patient: the daily scores, and the emergency day's flags if any."""

    cohort: str
    scores: list[int]
    tags: frozenset[str] = frozenset()
    emergency_day: int | None = None
    emergency_flags: frozenset[str] = frozenset()


@dataclass
class Tally:
    """What one cohort's check-ins gave under one rule set."""

    patients: int = 0
    days: int = 0
    checkins: int = 0
    followups: int = 0
    by_tier: Counter[int] = field(default_factory=Counter)
    weeks: int = 0
    weeks_alerted: int = 0
    daily_t1_runs: int = 0  # stable patients alerted tier 1 on 3+ days in a row
    emergencies: int = 0
    emergencies_alerted: int = 0
    emergencies_screened_today: int = 0

    def add(self, other: Tally) -> None:
        """Add another tally's counts into this one."""
        for name in (
            "patients",
            "days",
            "checkins",
            "followups",
            "weeks",
            "weeks_alerted",
            "daily_t1_runs",
            "emergencies",
            "emergencies_alerted",
            "emergencies_screened_today",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.by_tier.update(other.by_tier)

    def per_week(self, count: int) -> float:
        """A count per patient-week (check-in days / 7)."""
        return count / (self.days / 7) if self.days else 0.0


def old_rules(rules: EscalationRules) -> EscalationRules:
    """The shipped rules with issue 11's alert-fatigue settings off: the behaviour before them."""
    return replace(rules, worsening_urgent_from_score=0, stable_moderate_quiet_days=0)


def _clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def _wobble(rng: random.Random) -> int:
    return rng.choice((-1, 0, 0, 0, 1))


def make_patient(cohort: str, rng: random.Random, index: int) -> Patient:
    """Draw one patient of a cohort: daily scores and, for red_flag, one emergency day."""
    if cohort == "stable_low":
        base = rng.choice((1, 2))
        return Patient(cohort, [_clamp(base + _wobble(rng), 0, 3) for _ in range(DAYS)])
    if cohort == "stable_moderate":
        base = rng.choice((4, 5, 5, 6))
        return Patient(cohort, [_clamp(base + _wobble(rng), 4, 6) for _ in range(DAYS)])
    if cohort == "slowly_rising":
        base, slope = rng.choice((1, 2)), rng.uniform(4.0, 6.0) / DAYS
        return Patient(
            cohort, [_clamp(base + slope * d + rng.gauss(0, 0.5), 0, 10) for d in range(DAYS)]
        )
    base = rng.choice((1, 2, 3))
    scores = [_clamp(base + _wobble(rng), 0, 3) for _ in range(DAYS)]
    if cohort == "flaring":
        start, rise = rng.randrange(5, DAYS - 5), rng.choice((2, 3))
        for day in range(start, start + 3):
            scores[day] = _clamp(base + rise, 0, 10)
        return Patient(cohort, scores)
    if cohort != "red_flag":
        raise ValueError(f"unknown cohort {cohort!r}")
    # Every vignette in turn, so even a tiny cohort covers them all.
    flags, tags, pain = VIGNETTES[index % len(VIGNETTES)]
    day = rng.randrange(3, DAYS - 2)
    if pain is not None:
        scores[day] = pain
    return Patient(cohort, scores, tags, day, flags)


def cohort(patients_per_cohort: int, seed: int) -> list[Patient]:
    """The whole synthetic cohort, the same for the same seed."""
    rng = random.Random(seed)
    return [
        make_patient(name, rng, index) for name in COHORTS for index in range(patients_per_cohort)
    ]


@dataclass(frozen=True)
class CheckInResult:
    """One simulated check-in: its day, whether it was a follow-up, and the assessment."""

    day: int
    followup: bool
    assessment: Assessment
    emergency: bool
    screened_today: bool


def run_patient(
    patient: Patient, rules: EscalationRules, rng: random.Random
) -> Iterator[CheckInResult]:
    """Yield the patient's check-ins in time order, each assessed on the history before it."""
    history: list[PastCheckIn] = []
    asked = {flag.id for flag in screen_for(patient.tags, rules)}
    missing = patient.emergency_flags - asked
    if missing:
        raise ValueError(f"vignette flags not asked of this patient: {sorted(missing)}")

    def one(at: datetime, score: int, flags: frozenset[str]) -> tuple[Assessment, bool]:
        past = [p for p in history if at - timedelta(days=HISTORY_LOOKUP_DAYS) <= p.at < at]
        # Today's screen (services/checkins.py): the full screen only when needs_screen says
        # so or new back pain was answered Yes; otherwise just the back-pain question.
        screened = needs_screen(score, past, at, rules) or BACK_PAIN_FLAG in flags
        result = assess(Answers(score=score, red_flags=flags), past, at, rules)
        history.append(PastCheckIn(at, score, result.worsened, result.tier))
        return result, screened

    for day, score in enumerate(patient.scores):
        at = START + timedelta(days=day, minutes=rng.randrange(60))
        emergency = day == patient.emergency_day
        flags = patient.emergency_flags if emergency else frozenset()
        result, screened = one(at, score, flags)
        yield CheckInResult(day, False, result, emergency, screened)
        if result.follow_up:
            later = at + timedelta(hours=rules.followup_hours)
            again, _ = one(later, score, frozenset())
            yield CheckInResult(day, True, again, False, False)


def simulate(patients: Sequence[Patient], rules: EscalationRules, seed: int) -> dict[str, Tally]:
    """Run every patient through the rules; return one tally per cohort."""
    tallies = {name: Tally() for name in COHORTS}
    rng = random.Random(seed + 1)
    for patient in patients:
        tally = tallies[patient.cohort]
        tally.patients += 1
        tally.days += len(patient.scores)
        alerted_days: set[int] = set()
        t1_days: list[int] = []
        for result in run_patient(patient, rules, rng):
            tier = result.assessment.tier
            tally.checkins += 1
            tally.followups += result.followup
            tally.by_tier[tier] += 1
            if tier >= 1:
                alerted_days.add(result.day)
            if tier == 1 and not result.followup:
                t1_days.append(result.day)
            if result.emergency:
                tally.emergencies += 1
                tally.emergencies_alerted += tier >= EMERGENCY_TIER
                tally.emergencies_screened_today += result.screened_today
        tally.weeks += WHOLE_WEEKS
        tally.weeks_alerted += sum(
            any(7 * week <= day < 7 * (week + 1) for day in alerted_days)
            for week in range(WHOLE_WEEKS)
        )
        if patient.cohort.startswith("stable"):
            tally.daily_t1_runs += _has_run(t1_days, 3)
    return tallies


def _has_run(days: list[int], length: int) -> bool:
    run = 0
    for previous, day in zip([None, *days], days, strict=False):
        run = run + 1 if previous is not None and day == previous + 1 else 1  # days in a row
        if run >= length:
            return True
    return False


def _percent(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def print_cohorts(label: str, tallies: dict[str, Tally]) -> None:
    """Print alerts per patient-week by tier and cohort, with the share of weeks alerted."""
    total = Tally()
    for tally in tallies.values():
        total.add(tally)
    header = (
        "cohort",
        "patients",
        "T1/pw",
        "T2/pw",
        "T3/pw",
        "any/pw",
        "weeks alerted %",
        "follow-ups/pw",
    )
    rows = []
    for name, tally in [*tallies.items(), ("all", total)]:
        alerts = sum(tally.by_tier[t] for t in (1, 2, 3))
        weeks = _percent(tally.weeks_alerted, tally.weeks)
        rows.append(
            (
                name,
                f"{tally.patients}",
                *(f"{tally.per_week(tally.by_tier[t]):.2f}" for t in (1, 2, 3)),
                f"{tally.per_week(alerts):.2f}",
                "n/a" if weeks is None else f"{weeks:.0f}",
                f"{tally.per_week(tally.followups):.2f}",
            )
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"\n== alerts per patient-week (pw), rules: {label} ==")
    for row in [header, *rows]:
        cells = zip(row, widths, strict=True)
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(cells)))
    sys.stdout.flush()


def summary(label: str, tallies: dict[str, Tally]) -> list[Figure]:
    """The headline figures of one rule set."""
    total = Tally()
    for tally in tallies.values():
        total.add(tally)
    alerts = sum(total.by_tier[t] for t in (1, 2, 3))
    stable = [tallies["stable_low"], tallies["stable_moderate"]]
    stable_patients = sum(t.patients for t in stable)
    return [
        Figure(f"{label}: alerts per patient-week", total.per_week(alerts), digits=2),
        Figure(
            f"{label}: patient-weeks with any alert",
            _percent(total.weeks_alerted, total.weeks),
            "%",
        ),
        Figure(
            f"{label}: stable patients with daily tier-1 alerts (3+ days running)",
            _percent(sum(t.daily_t1_runs for t in stable), stable_patients),
            "%",
            Target("==", 0) if label == "new" else None,
        ),
        Figure(
            f"{label}: true emergencies alerted (tier 3)",
            _percent(total.emergencies_alerted, total.emergencies),
            "%",
            Target("==", 100),
        ),
        Figure(
            f"{label}: true emergencies screened by today's screen",
            _percent(total.emergencies_screened_today, total.emergencies),
            "%",
        ),
    ]


RULE_SETS: dict[str, Callable[[EscalationRules], EscalationRules]] = {
    "old": old_rules,
    "new": lambda rules: rules,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Simulate the cohort under the chosen rule sets and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--smoke", action="store_true", help="7 patients per cohort")
    parser.add_argument("--patients", type=int, default=200, help="patients per cohort")
    parser.add_argument("--seed", type=int, default=11, help="random seed (deterministic)")
    parser.add_argument("--rules", choices=("old", "new", "both"), default="both")
    args = parser.parse_args(argv)
    per_cohort = len(VIGNETTES) if args.smoke else args.patients
    print_header("alert_burden")
    print(f"{per_cohort} patients per cohort, {DAYS} days, seed {args.seed}")
    shipped = load_escalation_rules()
    patients = cohort(per_cohort, args.seed)
    labels = ("old", "new") if args.rules == "both" else (args.rules,)
    figures: list[Figure] = []
    for label in labels:
        tallies = simulate(patients, RULE_SETS[label](shipped), args.seed)
        print_cohorts(label, tallies)
        figures += summary(label, tallies)
    print_table("alert burden (STAR 13 %, PRO-TECT 37 % of patient-weeks)", figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
