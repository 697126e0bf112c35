"""The in-process readiness checks: tick, dispatcher and Bot API, each failing when stale."""

from __future__ import annotations

from reminderbot.delivery.stats import DispatchStats
from reminderbot.ops.health import (
    API_HEARTBEAT_SECONDS,
    DISPATCH_STALL_SECONDS,
    Activity,
    check_bot_api,
    check_dispatcher,
    check_tick,
)


def test_tick_must_have_run_within_three_intervals() -> None:
    activity = Activity(tick_seconds=5.0, started_at=100.0)
    assert check_tick(activity, now=110.0).ok  # starting: no tick yet, within 15 s
    assert not check_tick(activity, now=116.0).ok
    activity.last_tick_at = 120.0
    assert check_tick(activity, now=134.0).ok
    failed = check_tick(activity, now=136.0)
    assert not failed.ok and "16s ago" in failed.detail
    activity.tick_running_since = 130.0  # a long tick (a big wave) is still a live tick
    assert check_tick(activity, now=200.0).ok


def test_dispatcher_must_keep_cycling() -> None:
    activity = Activity(tick_seconds=5.0, started_at=0.0)
    stats = DispatchStats()
    assert check_dispatcher(stats, activity, now=DISPATCH_STALL_SECONDS - 1).ok
    assert not check_dispatcher(stats, activity, now=DISPATCH_STALL_SECONDS + 1).ok
    stats.cycles = 7
    assert check_dispatcher(stats, activity, now=100.0).ok  # counting again
    assert check_dispatcher(stats, activity, now=100.0 + DISPATCH_STALL_SECONDS - 1).ok
    stalled = check_dispatcher(stats, activity, now=100.0 + DISPATCH_STALL_SECONDS + 1)
    assert not stalled.ok and "stalled" in stalled.detail


def test_bot_api_must_have_answered_lately() -> None:
    limit = 3 * API_HEARTBEAT_SECONDS
    activity = Activity(tick_seconds=5.0, started_at=0.0)
    assert check_bot_api(activity, now=limit - 1).ok
    assert not check_bot_api(activity, now=limit + 1).ok
    activity.last_api_answer_at = 500.0
    assert check_bot_api(activity, now=500.0 + limit - 1).ok
    assert not check_bot_api(activity, now=500.0 + limit + 1).ok
