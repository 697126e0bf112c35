"""SQLAlchemy 2 typed models: the whole mission's data, one class per table."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

# Fixed constraint names keep Alembic migrations (and SQLite batch rebuilds) reproducible.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Refuse naive datetimes so that local wall times never sneak in as instants."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Attach UTC to values that come back naive."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the project's naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def table_of(model: type[Base]) -> Table:
    """The Table a model maps, for Core statements (SQLAlchemy types `__table__` loosely)."""
    table = model.__table__
    # Every model here maps one plain table; a join or subquery mapping would be a new design.
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} does not map a plain Table")
    return table


class Role(enum.StrEnum):
    """What a person is to the bot."""

    PATIENT = "patient"
    CAREGIVER = "caregiver"
    COORDINATOR = "coordinator"


class PatientStatus(enum.StrEnum):
    """Where a patient's subscription stands."""

    ONBOARDING = "onboarding"
    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"
    UNREACHABLE = "unreachable"


class ScheduleKind(enum.StrEnum):
    """What a schedule sends."""

    TIP = "tip"
    CHECKIN = "checkin"
    CALCIUM = "calcium"
    FOLLOWUP = "followup"


class DeliveryState(enum.StrEnum):
    """Life of one outbox row."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    CANCELLED = "cancelled"
    MISSED = "missed"


class AlertState(enum.StrEnum):
    """Life of one alert."""

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Stored as VARCHAR with a CHECK constraint: portable, and readable in psql and sqlite3.
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


def _now_column() -> Mapped[datetime]:
    return mapped_column(UTCDateTime(), nullable=False, server_default=func.now())


class Person(Base):
    """Anyone who talks to the bot after consenting: patient, caregiver or coordinator."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, unique=True, nullable=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    display_name: Mapped[str | None] = mapped_column(String(128))
    language: Mapped[str] = mapped_column(String(16), nullable=False, default="en")
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), nullable=False, default=Role.PATIENT)
    # What free text from this person answers next (e.g. "timezone"); kept in the database so a
    # restart or another worker continues the same conversation.
    awaiting: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = _now_column()

    patient: Mapped[PatientProfile | None] = relationship(
        back_populates="person", uselist=False, cascade="all, delete-orphan", passive_deletes=True
    )


class PatientProfile(Base):
    """The patient side of a person: consent, subscription status, quiet hours, program."""

    __tablename__ = "patient_profile"

    person_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    status: Mapped[PatientStatus] = mapped_column(
        _enum(PatientStatus, "patient_status"), nullable=False, default=PatientStatus.ONBOARDING
    )
    status_changed_at: Mapped[datetime] = _now_column()
    quiet_start: Mapped[time | None] = mapped_column(Time())
    quiet_end: Mapped[time | None] = mapped_column(Time())
    program: Mapped[str] = mapped_column(String(64), nullable=False, default="default")
    # Profile facts that tips and rules match against, e.g. ["on_opioids", "on_denosumab"].
    tags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    # Which tips this patient has seen, per topic, and whose turn is next (care.tips owns it).
    tip_rotation: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    person: Mapped[Person] = relationship(back_populates="patient")
    schedules: Mapped[list[Schedule]] = relationship(
        back_populates="patient",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Schedule.id",
    )


class CaregiverLink(Base):
    """A caregiver following a patient, with what they chose to receive."""

    __tablename__ = "caregiver_link"
    __table_args__ = (
        Index("ix_caregiver_link_active", "patient_id", "caregiver_id", "revoked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient_profile.person_id", ondelete="CASCADE"), nullable=False
    )
    caregiver_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), nullable=False, index=True
    )
    receives_alerts: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    receives_copies: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    receives_weekly: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_at: Mapped[datetime] = _now_column()
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Schedule(Base):
    """A recurring (or one-off) message for a patient; local times in the patient's zone."""

    __tablename__ = "schedule"
    __table_args__ = (Index("ix_schedule_due", "active", "next_fire_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient_profile.person_id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind: Mapped[ScheduleKind] = mapped_column(_enum(ScheduleKind, "schedule_kind"), nullable=False)
    # The recurrence rule as data, e.g. {"type": "weekly", "weekdays": ["mon", "wed"]}.
    rule: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    local_times: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    # Which of the patient's preferred times this schedule follows ("checkin", "morning"), so
    # that changing a preference moves every schedule tied to it; None for fixed times.
    time_slot: Mapped[str | None] = mapped_column(String(16))
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = _now_column()

    patient: Mapped[PatientProfile] = relationship(back_populates="schedules")


class OutboxDelivery(Base):
    """One message waiting to be sent, being sent, or sent: the dispatcher's work queue."""

    __tablename__ = "outbox_delivery"
    __table_args__ = (Index("ix_outbox_ready", "state", "priority", "not_before"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The schedule occurrence or event this message comes from, for replies to its buttons.
    schedule_id: Mapped[int | None] = mapped_column(ForeignKey("schedule.id", ondelete="SET NULL"))
    recipient_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    chat_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    priority: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    unique_key: Mapped[str] = mapped_column(String(160), nullable=False, unique=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    state: Mapped[DeliveryState] = mapped_column(
        _enum(DeliveryState, "delivery_state"), nullable=False, default=DeliveryState.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(String(500))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = _now_column()
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CheckIn(Base):
    """One pain check-in: the prompt, the score and follow-up answers, and the tier it gave."""

    __tablename__ = "checkin"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient_profile.person_id", ondelete="CASCADE"), nullable=False, index=True
    )
    # The caregiver who answered on the patient's behalf, if any.
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(16), nullable=False, default="scheduled")
    # The prompt this answers (schedule and occurrence), so a late or double tap counts once.
    prompt_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    prompted_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[int | None] = mapped_column(SmallInteger)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    tier: Mapped[int | None] = mapped_column(SmallInteger)


class Alert(Base):
    """An escalation raised for a patient, until a coordinator acknowledges and resolves it."""

    __tablename__ = "alert"
    __table_args__ = (Index("ix_alert_open", "state", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient_profile.person_id", ondelete="CASCADE"), nullable=False, index=True
    )
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkin.id", ondelete="SET NULL"))
    tier: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    reasons: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    state: Mapped[AlertState] = mapped_column(
        _enum(AlertState, "alert_state"), nullable=False, default=AlertState.OPEN
    )
    created_at: Mapped[datetime] = _now_column()
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str | None] = mapped_column(Text)


class CalciumResult(Base):
    """A blood calcium result the patient logged, in the unit given and normalised."""

    __tablename__ = "calcium_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient_profile.person_id", ondelete="CASCADE"), nullable=False, index=True
    )
    measured_on: Mapped[date] = mapped_column(Date, nullable=False)
    value: Mapped[float] = mapped_column(Float, nullable=False)
    unit: Mapped[str] = mapped_column(String(8), nullable=False)
    albumin: Mapped[float | None] = mapped_column(Float)
    albumin_unit: Mapped[str | None] = mapped_column(String(8))
    corrected_mmol_l: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = _now_column()


class InviteToken(Base):
    """A single-use caregiver invite; only a hash of the token is stored."""

    __tablename__ = "invite_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patient_profile.person_id", ondelete="CASCADE"), nullable=False, index=True
    )
    created_at: Mapped[datetime] = _now_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    used_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuditEvent(Base):
    """Who did what to whose data, and when."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64), nullable=False)
    subject_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL")
    )
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class BroadcastDraft(Base):
    """A coordinator's broadcast waiting for Send or Cancel; one open draft per coordinator.

    Kept in the database, not in the chat library's per-user memory, so a restart or another
    webhook worker between the preview and the confirmation does not lose it.
    """

    __tablename__ = "broadcast_draft"

    coordinator_id: Mapped[int] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), primary_key=True
    )
    audience: Mapped[str] = mapped_column(String(32), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


__all__ = [
    "Alert",
    "AlertState",
    "AuditEvent",
    "Base",
    "BroadcastDraft",
    "CalciumResult",
    "CaregiverLink",
    "CheckIn",
    "DeliveryState",
    "InviteToken",
    "OutboxDelivery",
    "PatientProfile",
    "PatientStatus",
    "Person",
    "Role",
    "Schedule",
    "ScheduleKind",
]
