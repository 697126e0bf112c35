"""The alert-burden simulation on the shipped rules: no daily alerts, no missed emergency."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest

from bench.alert_burden import (
    VIGNETTES,
    Patient,
    cohort,
    old_rules,
    run_patient,
    simulate,
)
from reminderbot.care.escalation import EMERGENCY_TIER, EscalationRules
from reminderbot.content.escalation_rules import load_escalation_rules

SEED = 11


@pytest.fixture(scope="module")
def shipped() -> EscalationRules:
    """The rules in messages/rules/escalation.yaml."""
    return load_escalation_rules()


@pytest.fixture(scope="module")
def patients() -> list[Patient]:
    """A small, deterministic cohort (two of each vignette)."""
    return cohort(2 * len(VIGNETTES), SEED)


def _daily_tiers(patient: Patient, rules: EscalationRules) -> list[int]:
    return [
        r.assessment.tier
        for r in run_patient(patient, rules, random.Random(SEED))
        if not r.followup
    ]


def test_the_cohort_is_the_same_for_the_same_seed() -> None:
    assert cohort(3, SEED) == cohort(3, SEED)


def test_stable_patients_raise_no_daily_tier_1_alert(
    patients: list[Patient], shipped: EscalationRules
) -> None:
    stable = [p for p in patients if p.cohort.startswith("stable")]
    for patient in stable:
        tiers = _daily_tiers(patient, shipped)
        # Never two tier-1 days in a row, and at most one a week (quiet days = 7).
        assert not any(a == b == 1 for a, b in pairwise(tiers)), tiers
        assert tiers.count(1) <= -(-len(tiers) // 7), tiers
    # The old rules did alert every day: the check above can fail.
    moderate = next(p for p in stable if p.cohort == "stable_moderate")
    assert _daily_tiers(moderate, old_rules(shipped)).count(1) >= 25


def test_every_emergency_vignette_alerts(patients: list[Patient], shipped: EscalationRules) -> None:
    emergencies = [p for p in patients if p.emergency_day is not None]
    assert {p.emergency_flags for p in emergencies} == {flags for flags, _, _ in VIGNETTES}
    for patient in emergencies:
        tiers = _daily_tiers(patient, shipped)
        assert tiers[patient.emergency_day or 0] == EMERGENCY_TIER, patient
    tallies = simulate(patients, shipped, SEED)
    red = tallies["red_flag"]
    assert red.emergencies == len(emergencies) == red.emergencies_alerted


def test_the_new_rules_lower_the_burden(patients: list[Patient], shipped: EscalationRules) -> None:
    def per_week(rules: EscalationRules) -> float:
        tallies = simulate(patients, rules, SEED)
        days = sum(t.days for t in tallies.values())
        alerts = sum(t.by_tier[1] + t.by_tier[2] + t.by_tier[3] for t in tallies.values())
        return alerts / (days / 7)

    assert per_week(shipped) < per_week(old_rules(shipped)) / 2
