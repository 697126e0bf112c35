"""/trend: draw the pain chart a service allowed and prepared, and send it with its caption."""

from __future__ import annotations

import asyncio
import logging

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from reminderbot.charts.trend import can_draw, render_trend_png
from reminderbot.runtime import Runtime
from reminderbot.services import trends
from reminderbot.services.replies import Asker
from reminderbot.telegram.replies import send_replies

log = logging.getLogger(__name__)


async def send_trend(rt: Runtime, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/trend [patient id]: the chart and a one-line summary, for those allowed to see it."""
    user, chat = update.effective_user, update.effective_chat
    assert user is not None
    assert chat is not None
    asker = Asker(user.id, user.first_name, user.language_code)
    chart = await trends.pain_trend(rt, asker, context.args or [], rt.clock.now())
    if isinstance(chart, list):
        await send_replies(update, context, chart)
        return
    labels = chart.labels
    if not can_draw(labels.title, labels.y_label, labels.no_data, *labels.bands):
        # Without a CJK font Chinese labels would be empty boxes; English ones stay readable,
        # and the caption below the chart is still in the reader's language.
        log.warning("no CJK font for chart labels; drawing them in English (fonts-noto-cjk)")
        name = chart.name if can_draw(chart.name) else f"#{chart.patient_id}"
        labels = trends.trend_labels(rt, "en", name)
    # Rendering is CPU work; a worker thread keeps the bot answering meanwhile.
    png = await asyncio.to_thread(
        render_trend_png, chart.points, chart.alert_times, chart.now, chart.zone, labels
    )
    photo = InputFile(png, filename="pain-chart.png")
    await context.bot.send_photo(chat.id, photo, caption=chart.caption)
