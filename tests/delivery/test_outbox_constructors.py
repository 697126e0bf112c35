"""The outbox's message constructors: plain texts, texts about a patient, snoozed copies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reminderbot.delivery.outbox import about_patient, later_copy, text_message
from reminderbot.store.models import DeliveryState, OutboxDelivery

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)


def test_a_text_message_has_no_buttons_unless_given_and_is_due_now() -> None:
    message = text_message(chat_id=1, recipient_id=2, unique_key="k", text="Hi", now=NOW)
    assert (message.kind, message.not_before, message.payload) == (
        "notice",
        NOW,
        {"text": "Hi", "buttons": []},
    )
    rows = [[["OK", "ok|1|"]]]
    assert (
        text_message(
            chat_id=1, recipient_id=2, unique_key="k", text="Hi", now=NOW, buttons=rows
        ).payload["buttons"]
        == rows
    )


def test_a_message_about_a_patient_names_them_beside_extra_fields() -> None:
    message = about_patient(
        7, chat_id=1, recipient_id=None, unique_key="k", text="Hi", now=NOW, alert_id=3
    )
    assert message.payload == {"text": "Hi", "buttons": [], "patient_id": 7, "alert_id": 3}


def test_a_later_copy_keeps_payload_kind_and_schedule() -> None:
    row = OutboxDelivery(
        chat_id=1,
        recipient_id=2,
        kind="checkin",
        unique_key="s1@1",
        payload={"text": "How?", "buttons": [[["0", "ci|s1@1|0"]]]},
        state=DeliveryState.SENT,
        not_before=NOW,
        schedule_id=5,
    )
    at = NOW + timedelta(hours=1)
    copy = later_copy(row, chat_id=1, recipient_id=2, unique_key="s1@1~9", at=at)
    assert (copy.kind, copy.payload, copy.schedule_id, copy.not_before, copy.unique_key) == (
        "checkin",
        row.payload,
        5,
        at,
        "s1@1~9",
    )
    assert copy.state == DeliveryState.PENDING
