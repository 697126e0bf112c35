"""Message kinds: declared once, each with a policy; an unknown kind is refused where it enters."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from reminderbot.clock import FakeClock
from reminderbot.delivery import outbox
from reminderbot.delivery.kinds import MessageKind, UnknownKindError, message_kind
from reminderbot.delivery.outbox import Message, enqueue, text_message
from reminderbot.delivery.policy import POLICIES, policy
from reminderbot.store.database import create_engine, session_factory
from reminderbot.store.migrations import upgrade
from reminderbot.store.models import DeliveryState, OutboxDelivery

NOW = datetime(2026, 3, 27, 10, 0, tzinfo=UTC)


def test_every_kind_has_a_policy_and_every_policy_a_kind() -> None:
    assert set(POLICIES) == set(MessageKind)
    for kind in MessageKind:
        assert policy(kind) is POLICIES[kind]


def test_the_stored_strings_are_the_ones_already_in_databases() -> None:
    # Rows already queued carry these strings; renaming one would need a migration.
    assert sorted(k.value for k in MessageKind) == sorted(
        [
            "alert",
            "notice",
            "followup",
            "checkin",
            "calcium",
            "reminder",
            "tip",
            "summary",
            "broadcast",
            "reply",
        ]
    )


def test_a_stored_string_reads_back_as_its_kind() -> None:
    assert message_kind("checkin") is MessageKind.CHECKIN
    with pytest.raises(UnknownKindError, match="unknown message kind 'chekin'"):
        message_kind("chekin")


def test_a_message_with_an_unknown_kind_is_refused_when_built() -> None:
    with pytest.raises(ValueError, match=r"unknown message kind 'urgent'; the known kinds are"):
        text_message(
            chat_id=1,
            recipient_id=None,
            unique_key="k",
            text="hi",
            now=NOW,
            kind="urgent",  # type: ignore[arg-type]
        )


def test_a_message_built_from_a_known_string_carries_the_enum() -> None:
    message = Message(
        chat_id=1,
        recipient_id=None,
        kind="tip",  # type: ignore[arg-type]
        unique_key="k",
        payload={},
        not_before=NOW,
    )
    assert message.kind is MessageKind.TIP


def test_policy_of_an_unknown_kind_is_an_error_not_the_urgent_lane() -> None:
    with pytest.raises(UnknownKindError):
        policy("newsletter")  # type: ignore[arg-type]


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """A migrated database."""
    upgrade(db_url)
    engine = create_engine(db_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def test_a_row_of_an_unknown_kind_is_failed_and_logged_not_sent(
    sessions: async_sessionmaker[AsyncSession],
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    now = clock.now()
    async with sessions.begin() as session:
        known = text_message(chat_id=2, recipient_id=None, unique_key="known", text="a", now=now)
        await enqueue(session, [known], now)
        # What a newer version (or a hand-written insert) might leave: a kind this one lacks,
        # at the most urgent priority.
        await session.execute(
            insert(OutboxDelivery).values(
                chat_id=1,
                recipient_id=None,
                kind="newsletter",
                priority=-1,
                unique_key="stranger",
                payload={"text": "b", "buttons": []},
                state=DeliveryState.PENDING,
                attempts=0,
                not_before=now,
                created_at=now,
            )
        )
    with caplog.at_level(logging.ERROR, logger="reminderbot.delivery.outbox"):
        async with sessions.begin() as session:
            claimed = await outbox.claim_ready(session, "w", now, timedelta(minutes=1), 10)
    assert [row.unique_key for row in claimed] == ["known"]
    async with sessions() as session:
        stranger = await session.scalar(
            select(OutboxDelivery).where(OutboxDelivery.unique_key == "stranger")
        )
    assert stranger is not None
    assert stranger.state == DeliveryState.FAILED
    assert "unknown message kind 'newsletter'" in (stranger.last_error or "")
    assert f"delivery={stranger.id}" in caplog.text
