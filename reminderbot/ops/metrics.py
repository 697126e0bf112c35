"""/metrics in Prometheus' text format: in-process counters and database gauges.

The database gauges are read when Prometheus scrapes (one short, bounded read transaction);
the counters come from the dispatcher's DispatchStats and the tick observer. Metric names
are listed in the README.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    Metric,
    SummaryMetricFamily,
)
from prometheus_client.process_collector import ProcessCollector

from reminderbot.delivery.stats import DispatchStats
from reminderbot.ops.facts import DatabaseFacts
from reminderbot.ops.health import Activity

PREFIX = "reminderbot"
# Send outcomes as DispatchStats counts them ("given_up_unknown": a crash left the outcome
# unknown for a routine message, which is never sent twice).
OUTCOMES = (
    "sent",
    "retried",
    "failed",
    "unreachable",
    "rate_limited",
    "given_up_unknown",
    "timed_out_unknown",
)
# Replies sent at once through the same paced path (queued: handed to the outbox).
REPLY_OUTCOMES = {
    "sent": "replies_sent",
    "retried": "replies_retried",
    "queued": "replies_queued",
    "rate_limited": "replies_rate_limited",
}


class InProcessCollector:
    """Counters of this process: sends by outcome, 429 pauses, tick and cycle durations."""

    def __init__(self, stats: Callable[[], DispatchStats], activity: Activity) -> None:
        self._stats = stats
        self._activity = activity

    def collect(self) -> Iterator[Metric]:
        """Yield the current values (called by the registry on each scrape)."""
        stats = self._stats()
        sends = CounterMetricFamily(
            f"{PREFIX}_sends", "Send attempts by outcome, since start.", labels=["outcome"]
        )
        for outcome in OUTCOMES:
            sends.add_metric([outcome], getattr(stats, outcome))
        yield sends
        replies = CounterMetricFamily(
            f"{PREFIX}_replies", "Direct replies by outcome, since start.", labels=["outcome"]
        )
        for outcome, attribute in REPLY_OUTCOMES.items():
            replies.add_metric([outcome], getattr(stats, attribute))
        yield replies
        yield CounterMetricFamily(
            f"{PREFIX}_rate_limited",
            "429 answers (Too Many Requests) from Telegram, since start.",
            value=stats.rate_limited,
        )
        yield CounterMetricFamily(
            f"{PREFIX}_rate_limit_paused_seconds",
            "Seconds every send was held because Telegram answered 429, since start.",
            value=stats.paused_seconds,
        )
        yield SummaryMetricFamily(
            f"{PREFIX}_dispatch_cycle_seconds",
            "Dispatcher cycles (record outcomes, lease, start sends) and their total time.",
            count_value=stats.cycle_seconds.count,
            sum_value=stats.cycle_seconds.total,
        )
        activity = self._activity
        yield SummaryMetricFamily(
            f"{PREFIX}_tick_seconds",
            "Ticks (due schedules turned into outbox rows) and their total time.",
            count_value=activity.ticks,
            sum_value=activity.tick_total_seconds,
        )


class DatabaseCollector:
    """Gauges read from the database just before each scrape (see facts.read_facts)."""

    def __init__(self) -> None:
        self.facts: DatabaseFacts | None = None
        self.error: str | None = None

    def collect(self) -> Iterator[Metric]:
        """Yield the gauges of the last read, or only `database_up 0` when it failed."""
        yield GaugeMetricFamily(
            f"{PREFIX}_database_up",
            "1 when the scrape's database read succeeded in time, else 0.",
            value=0 if self.facts is None else 1,
        )
        facts = self.facts
        if facts is None:
            return
        depth = GaugeMetricFamily(
            f"{PREFIX}_outbox_depth",
            "Outbox rows still to send, by kind and state (pending or sending).",
            labels=["kind", "state"],
        )
        for (kind, state), n in sorted(facts.outbox_depth.items()):
            depth.add_metric([kind, state], n)
        yield depth
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_oldest_due_seconds",
            "Age of the oldest message that is due and not sent yet; 0 when none waits.",
            value=facts.oldest_due_seconds,
        )
        alerts = GaugeMetricFamily(
            f"{PREFIX}_alerts_open", "Alerts not yet acknowledged, by tier.", labels=["tier"]
        )
        for tier in range(4):
            alerts.add_metric([str(tier)], facts.open_alerts.get(tier, 0))
        yield alerts
        yield GaugeMetricFamily(
            f"{PREFIX}_emergency_alert_unacknowledged_oldest_seconds",
            "How long the oldest unacknowledged emergency (tier 3) alert has waited; 0 when none.",
            value=facts.oldest_emergency_seconds,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_checkin_prompts_recent",
            "Check-in prompts sent 1 to 25 hours ago (newest 50,000 outbox rows).",
            value=facts.prompts_sent,
        )
        rate = facts.answer_rate
        yield GaugeMetricFamily(
            f"{PREFIX}_checkin_answer_ratio",
            "Share of those prompts that were answered (NaN when none were sent).",
            value=float("nan") if rate is None else rate,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_workers_live",
            "Workers holding a live lease on outbox rows (several only on PostgreSQL).",
            value=facts.live_workers,
        )


def build_registry(
    stats: Callable[[], DispatchStats], activity: Activity
) -> tuple[CollectorRegistry, DatabaseCollector]:
    """A registry of this process's collectors; set the database one's facts, then render."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(InProcessCollector(stats, activity))
    database = DatabaseCollector()
    registry.register(database)
    ProcessCollector(namespace=PREFIX, registry=registry)
    return registry, database


def render(registry: CollectorRegistry) -> bytes:
    """The registry in Prometheus' text exposition format."""
    return generate_latest(registry)
