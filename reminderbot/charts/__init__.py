"""Charts rendered to PNG for Telegram: pain check-in trends."""

from reminderbot.charts.trend import (
    TrendLabels,
    TrendPoint,
    TrendSummary,
    render_trend_png,
    summarize,
)

__all__ = ["TrendLabels", "TrendPoint", "TrendSummary", "render_trend_png", "summarize"]
