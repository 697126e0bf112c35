"""What an alert says: its causes (a check-in, a calcium result) rendered per recipient."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reminderbot.care.escalation import Assessment
from reminderbot.content.renderer import Renderer
from reminderbot.store.models import CheckIn, Person


def _flag_name(r: Renderer, locale: str, flag: str) -> str:
    key = f"alert.flag.{flag}"
    return r.text(locale, key) if r.has(key) else flag


def _reason_name(r: Renderer, locale: str, reason: str) -> str:
    code = reason.split(":", 1)[0]
    return r.text(locale, f"alert.reason.{code}")


def _told(r: Renderer, locale: str, told_keys: Sequence[str]) -> str:
    # The first paragraph of the first advice is what the patient acts on; the rest is detail.
    if not told_keys:
        return r.text(locale, "alert.none")
    return r.text(locale, told_keys[0]).split("\n\n", 1)[0]


@dataclass(frozen=True)
class PainCause:
    """A check-in that needs the team: its assessment, recent trend and what was advised."""

    checkin: CheckIn
    assessment: Assessment
    trend: Sequence[int]
    told_keys: Sequence[str]
    caregiver_name: str | None = None

    @property
    def tier(self) -> int:
        """The assessment's tier."""
        return self.assessment.tier

    @property
    def reasons(self) -> list[str]:
        """Why the check-in alerts, as stored on the alert."""
        return list(self.assessment.reasons)

    @property
    def checkin_id(self) -> int | None:
        """The check-in the alert belongs to."""
        return self.checkin.id

    def render(self, r: Renderer, locale: str, patient: Person) -> str:
        """The alert text in one recipient's language."""
        return render_alert(
            r,
            locale,
            patient=patient,
            checkin=self.checkin,
            assessment=self.assessment,
            trend=self.trend,
            told_keys=self.told_keys,
            caregiver_name=self.caregiver_name,
        )


@dataclass(frozen=True)
class CalciumCause:
    """An abnormal blood calcium result: its band, the reading as typed and in mmol/L."""

    tier: int
    band: str
    reading: str
    mmol: str
    advice_key: str

    @property
    def reasons(self) -> list[str]:
        """Why the result alerts, as stored on the alert."""
        return [f"calcium:{self.band}"]

    @property
    def checkin_id(self) -> int | None:
        """A calcium result belongs to no check-in."""
        return None

    def render(self, r: Renderer, locale: str, patient: Person) -> str:
        """The alert text in one recipient's language."""
        return r.text(
            locale,
            "alert.calcium_message",
            urgency=r.text(locale, f"alert.urgency.t{self.tier}"),
            patient_name=patient.display_name or "—",
            patient_id=patient.id,
            reading=self.reading,
            mmol=self.mmol,
            told=_told(r, locale, [self.advice_key]),
        )


AlertCause = PainCause | CalciumCause


def render_alert(
    r: Renderer,
    locale: str,
    *,
    patient: Person,
    checkin: CheckIn,
    assessment: Assessment,
    trend: Sequence[int],
    told_keys: Sequence[str],
    caregiver_name: str | None,
) -> str:
    """The alert text in one recipient's language: who, score and trend, flags, what was told."""
    flags = [x.split(":", 1)[1] for x in assessment.reasons if x.startswith("red_flag:")]
    none = r.text(locale, "alert.none")
    separator = r.text(locale, "common.list_separator")
    reasons = [x for x in assessment.reasons if not x.startswith("red_flag:")]
    usual = f"{assessment.usual:g}" if assessment.usual is not None else "—"
    return r.text(
        locale,
        "alert.message",
        urgency=r.text(locale, f"alert.urgency.t{assessment.tier}"),
        patient_name=patient.display_name or "—",
        patient_id=patient.id,
        proxy=(
            r.text(locale, "alert.proxy", caregiver_name=caregiver_name) if caregiver_name else ""
        ),
        score=checkin.score,
        usual=usual,
        trend=" → ".join(str(s) for s in trend) or r.text(locale, "alert.no_history"),
        flags=separator.join(_flag_name(r, locale, f) for f in flags) or none,
        reasons=separator.join(_reason_name(r, locale, x) for x in reasons) or none,
        told=_told(r, locale, told_keys),
        note=r.text(locale, "alert.note", note=checkin.note) if checkin.note else "",
    )
