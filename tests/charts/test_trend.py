"""Pain trend chart: PNG output, no-data and window handling, summary figures, threads and DST."""

from __future__ import annotations

import dataclasses
import io
import itertools
import logging
import struct
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib import font_manager
from matplotlib.image import imread

from reminderbot.charts import (
    TrendLabels,
    TrendPoint,
    TrendSummary,
    render_trend_png,
    summarize,
    trend,
)

NOW = datetime(2026, 4, 5, 18, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
LABELS = TrendLabels(
    title="Pain over the last 30 days",
    y_label="Pain (0–10)",
    no_data="No check-ins yet",
    bands=("none", "mild", "moderate", "severe"),
    alert="alert",
)
CHINESE = TrendLabels(
    title="过去30天的疼痛",
    y_label="疼痛 (0–10)",
    no_data="暂无记录",
    bands=("无", "轻度", "中度", "重度"),
    alert="警报",
)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _daily(now: datetime = NOW, days: int = 30, offset: int = 0) -> list[TrendPoint]:
    """One check-in a day, a few hours before `now`'s time of day, scores cycling over 0–10."""
    return [
        TrendPoint(now - timedelta(days=d, hours=3), (d * 7 + offset) % 11) for d in range(days)
    ]


def _png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which the PNG format puts first."""
    assert png[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR"
    assert length == 13
    return struct.unpack(">II", png[16:24])


def _render(
    points: list[TrendPoint],
    alerts: list[datetime] | None = None,
    labels: TrendLabels = LABELS,
    days: int = 30,
) -> bytes:
    """Render with the window ending at NOW, dated in Berlin."""
    return render_trend_png(points, alerts or [], NOW, BERLIN, labels, days)


# --- the picture ---------------------------------------------------------------------------


def test_output_is_a_phone_sized_png() -> None:
    png = _render(_daily(), [NOW - timedelta(days=2)])

    assert png.startswith(PNG_SIGNATURE)
    assert _png_size(png) == (900, 500)
    assert png.endswith(b"IEND\xaeB`\x82")


def test_different_scores_give_different_images() -> None:
    assert _render(_daily(offset=0)) != _render(_daily(offset=1))


def test_alerts_are_drawn() -> None:
    points = _daily()

    assert _render(points, [NOW - timedelta(days=3)]) != _render(points)


def test_escalated_check_ins_are_marked() -> None:
    plain = _daily()
    escalated = [TrendPoint(p.at, p.score, tier=2 if p.score >= 7 else 0) for p in plain]

    assert _render(escalated) != _render(plain)


def test_date_format_and_window_length_are_used() -> None:
    points = _daily()
    us_dates = dataclasses.replace(LABELS, date_format="%m/%d")

    assert _render(points, labels=us_dates) != _render(points)
    assert _render(points, days=7) != _render(points)
    assert _png_size(_render(points, days=1)) == (900, 500)


def test_no_data_draws_the_no_data_text() -> None:
    with_text = _render([])
    without_text = _render([], labels=dataclasses.replace(LABELS, no_data=""))

    assert _png_size(with_text) == (900, 500)
    assert with_text != without_text


def test_points_outside_the_window_are_not_drawn() -> None:
    outside = [
        TrendPoint(NOW - timedelta(days=30), 9),  # exactly `days` ago: previous window
        TrendPoint(NOW - timedelta(days=45), 5),
        TrendPoint(NOW + timedelta(minutes=1), 7),  # not yet happened
    ]

    # Nothing inside the window: the chart is the no-data chart.
    assert _render(outside) == _render([])


def test_alerts_outside_the_window_are_not_drawn() -> None:
    points = _daily()

    assert _render(points, [NOW - timedelta(days=31), NOW + timedelta(hours=1)]) == _render(points)


def test_chinese_labels_render_without_warnings_or_findfont_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # U+F0000 (private use) is in no font, so a glyph is missing even where a CJK font exists.
    labels = TrendLabels(
        CHINESE.title + "\U000f0000", CHINESE.y_label, CHINESE.no_data, CHINESE.bands, "警报"
    )
    caplog.set_level(logging.DEBUG, logger="matplotlib.font_manager")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = _render(_daily(), [NOW - timedelta(days=1)], labels=labels)
        no_data = _render([], labels=labels)

    assert _png_size(png) == (900, 500)
    assert _png_size(no_data) == (900, 500)
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
    assert [r.getMessage() for r in caplog.records if "findfont" in r.getMessage()] == []


def test_warnings_from_other_code_are_not_hidden() -> None:
    _render([], labels=CHINESE)  # leaves the chart module's glyph filter first in line
    message = "Glyph 1 (\\x01) missing from font(s) X."

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", append=True)  # behind the chart module's filter
        warnings.warn(message, UserWarning, stacklevel=1)

    assert [str(w.message) for w in caught] == [message]


def test_findfont_logs_are_dropped_only_in_the_rendering_thread(
    caplog: pytest.LogCaptureFixture,
) -> None:
    font_log = logging.getLogger("matplotlib.font_manager")
    caplog.set_level(logging.WARNING, logger="matplotlib.font_manager")

    with trend._quiet_font_messages():
        font_log.warning("findfont: Font family 'X' not found.")  # this thread: dropped
        with ThreadPoolExecutor(max_workers=1) as pool:  # another thread: kept
            pool.submit(font_log.warning, "findfont: from another thread").result()
        font_log.warning("something else")  # not a findfont message: kept
    font_log.warning("findfont: after rendering")  # after the render: kept

    assert [r.getMessage() for r in caplog.records] == [
        "findfont: from another thread",
        "something else",
        "findfont: after rendering",
    ]


def test_font_families_are_all_installed() -> None:
    families = trend._font_families()

    assert families[0] == "DejaVu Sans"
    for family in families:
        # Raises when absent; asking matplotlib for absent families logs "findfont" warnings.
        font_manager.fontManager.findfont(
            font_manager.FontProperties(family=family), fallback_to_default=False
        )


def test_dollar_signs_in_labels_are_text_not_tex() -> None:
    odd = TrendLabels("$\\frac{$", "$\\undefined$", "$x^$", ("$", "$$", "$\\a$", "b$"), "$\\q$")

    assert _png_size(_render([], labels=odd)) == (900, 500)
    assert _png_size(_render(_daily(), [NOW - timedelta(days=1)], labels=odd)) == (900, 500)


def _title_ink(title: str) -> tuple[int, bool]:
    """Rows of the title band with dark pixels, and whether its right-hand margin is blank."""
    labels = TrendLabels(title, "y", "n", LABELS.bands)
    pixels = imread(io.BytesIO(_render(_daily(), labels=labels)), format="png")
    title_band = pixels[:45, :, :3].min(axis=2)
    dark_rows = int((title_band < 0.5).any(axis=1).sum())
    return dark_rows, bool(title_band[:, -8:].min() == 1.0)


def test_a_very_long_title_is_shrunk_to_fit() -> None:
    short_rows, short_blank_edge = _title_ink("Schmerzverlauf der Tage, Ende")
    long_rows, long_blank_edge = _title_ink("Schmerzverlauf der letzten Tage, " * 2 + "Ende")

    assert short_blank_edge
    assert long_blank_edge  # did not run off the picture
    assert long_rows < short_rows  # smaller type, not cut off


def test_long_band_names_do_not_squeeze_the_plot() -> None:
    wordy = TrendLabels("t", "y", "", ("no pain at all today",) + ("unbearable, worst ever",) * 3)

    pixels = imread(io.BytesIO(_render([], labels=wordy)), format="png")

    # 71 % across, the column is still inside the shaded plot: no white pixels.
    column = pixels[80:450, 640, :3]
    assert (column.min(axis=1) < 1.0).all()


def test_empty_labels_render() -> None:
    blank = TrendLabels("", "", "", ("", "", "", ""), "")

    assert _png_size(_render(_daily(), [NOW - timedelta(days=1)], labels=blank)) == (900, 500)


def test_rendering_in_several_threads_gives_the_same_images() -> None:
    inputs = [(_daily(offset=k), [NOW - timedelta(days=k + 1)]) for k in range(8)]
    expected = [_render(points, alerts) for points, alerts in inputs]

    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda args: _render(*args), inputs))

    assert got == expected
    assert len(set(got)) == len(got)


@pytest.mark.parametrize(
    ("now", "zone"),
    [
        (datetime(2026, 4, 10, 9, 0, tzinfo=UTC), "Europe/Berlin"),  # spring forward 29 Mar
        (datetime(2026, 11, 5, 9, 0, tzinfo=UTC), "Europe/Berlin"),  # fall back 25 Oct
        (datetime(2026, 4, 20, 9, 0, tzinfo=UTC), "America/Santiago"),  # change at midnight
        (datetime(2026, 9, 20, 9, 0, tzinfo=UTC), "America/Santiago"),  # midnight skipped
    ],
)
def test_windows_across_dst_changes_render(now: datetime, zone: str) -> None:
    # Every hour for 30 days, so check-ins fall inside the skipped and the repeated hour.
    hourly = [TrendPoint(now - timedelta(hours=h), h % 11) for h in range(30 * 24)]

    png = render_trend_png(hourly, [now - timedelta(days=5)], now, ZoneInfo(zone), LABELS)

    assert _png_size(png) == (900, 500)


def test_day_boundaries_are_local_midnights_across_dst() -> None:
    now = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
    start = now - timedelta(days=7)

    midnights, noons = trend._local_day_marks(start, now, BERLIN)

    assert all(m.astimezone(BERLIN).time().hour == 0 for m in midnights)
    gaps = {b - a for a, b in itertools.pairwise(midnights)}
    # 29 March 2026 has 23 hours in Berlin.
    assert gaps == {timedelta(hours=24), timedelta(hours=23)}
    assert [d.isoformat() for d, _ in noons][:2] == ["2026-03-26", "2026-03-27"]
    assert noons[-1][0].isoformat() == "2026-04-02"


def test_times_in_a_local_zone_mean_the_same_instants() -> None:
    # A window ending after Berlin's spring-forward: wall-clock arithmetic would be an hour off.
    now = datetime(2026, 4, 10, 9, 0, tzinfo=UTC)
    points = _daily(now)
    alerts = [now - timedelta(days=12)]
    local_points = [TrendPoint(p.at.astimezone(BERLIN), p.score) for p in points]
    local_alerts = [a.astimezone(BERLIN) for a in alerts]
    local_now = now.astimezone(BERLIN)

    assert render_trend_png(local_points, local_alerts, local_now, BERLIN, LABELS) == (
        render_trend_png(points, alerts, now, BERLIN, LABELS)
    )
    assert summarize(local_points, local_now, alerts=local_alerts) == summarize(
        points, now, alerts=alerts
    )
    assert local_points[0].at.tzinfo is UTC


def test_line_breaks_across_long_gaps_only() -> None:
    base = NOW - timedelta(days=20)
    points = [
        TrendPoint(base, 1),
        TrendPoint(base + timedelta(days=2), 2),  # 2 days later: joined
        TrendPoint(base + timedelta(days=9), 3),  # a week later: line broken
    ]

    xs, ys = trend._line_with_gaps(points, lambda at: (at - base) / timedelta(days=1))

    assert xs[:2] == [0.0, 2.0]
    assert xs[2] != xs[2]  # NaN
    assert xs[3:] == [9.0]
    assert ys[3] == 3.0


def test_render_rejects_naive_times() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        render_trend_png([], [], NOW.replace(tzinfo=None), BERLIN, LABELS)
    with pytest.raises(ValueError, match="timezone-aware"):
        render_trend_png([], [NOW.replace(tzinfo=None)], NOW, BERLIN, LABELS)
    with pytest.raises(ValueError, match="days"):
        render_trend_png([], [], NOW, BERLIN, LABELS, days=0)


# --- the values --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("at", "score"),
    [(datetime(2026, 4, 1), 3), (NOW, 11), (NOW, -1)],
)
def test_points_are_validated(at: datetime, score: int) -> None:
    with pytest.raises(ValueError, match="TrendPoint"):
        TrendPoint(at, score)


def test_bool_is_not_a_score() -> None:
    with pytest.raises(TypeError):
        TrendPoint(NOW, True)


def test_labels_need_four_band_names() -> None:
    with pytest.raises(ValueError, match="bands"):
        TrendLabels("t", "y", "n", ("a", "b", "c"))  # type: ignore[arg-type]


def _at(days_ago: float, score: int) -> TrendPoint:
    return TrendPoint(NOW - timedelta(days=days_ago), score)


def test_summary_rising() -> None:
    points = [
        # previous 7 days (7–14 days ago): 1, 3, 3 → median 3
        _at(13, 1),
        _at(10, 3),
        _at(7, 3),  # exactly 7 days ago belongs to the previous week
        # last 7 days: 2, 4, 6, 8 → median 5
        _at(6, 2),
        _at(4, 8),
        _at(2, 4),
        _at(0.5, 6),
    ]
    alerts = [NOW - timedelta(days=4), NOW - timedelta(days=40)]

    assert summarize(points, NOW, alerts=alerts) == TrendSummary(
        count=7,
        last=6,
        last_at=NOW - timedelta(days=0.5),
        median_7d=5.0,
        median_prev_7d=3.0,
        direction="up",
        highest=8,
        alerts=1,
    )


def test_summary_falling_by_exactly_one_point() -> None:
    points = [_at(12, 6), _at(9, 5), _at(8, 4), _at(5, 4), _at(1, 4)]
    # previous week 4, 5, 6 → 5; last week 4, 4 → 4: a drop of exactly 1 counts.
    summary = summarize(points, NOW)

    assert (summary.median_prev_7d, summary.median_7d, summary.direction) == (5.0, 4.0, "down")


def test_summary_rising_by_exactly_one_point() -> None:
    points = [_at(9, 2), _at(2, 3)]

    summary = summarize(points, NOW)

    assert (summary.median_prev_7d, summary.median_7d, summary.direction) == (2.0, 3.0, "up")


def test_summary_steady_below_one_point() -> None:
    points = [_at(10, 4), _at(8, 5), _at(3, 5), _at(1, 5)]
    # previous week 4, 5 → 4.5; last week 5, 5 → 5: +0.5 is steady.
    summary = summarize(points, NOW)

    assert (summary.median_prev_7d, summary.median_7d, summary.direction) == (4.5, 5.0, "steady")


def test_summary_unknown_without_a_previous_week() -> None:
    summary = summarize([_at(1, 7), _at(20, 2)], NOW)

    # 20 days ago is in the window (count, highest) but in neither week.
    assert summary.count == 2
    assert summary.highest == 7
    assert (summary.median_7d, summary.median_prev_7d, summary.direction) == (7.0, None, "unknown")


def test_summary_without_points() -> None:
    assert summarize([], NOW) == TrendSummary(0, None, None, None, None, "unknown", None, 0)


def test_summary_ignores_points_outside_the_window() -> None:
    points = [
        _at(30, 10),  # exactly 30 days ago: outside
        _at(31, 10),
        TrendPoint(NOW + timedelta(seconds=1), 10),  # future
        _at(29.9, 2),
        _at(0, 1),  # exactly now: inside
    ]

    summary = summarize(points, NOW)

    assert (summary.count, summary.highest, summary.last, summary.last_at) == (2, 2, 1, NOW)


def test_summary_window_length_follows_days() -> None:
    points = [_at(10, 9), _at(3, 1)]

    assert summarize(points, NOW, days=14).count == 2
    short = summarize(points, NOW, days=7)
    assert (short.count, short.highest, short.median_prev_7d) == (1, 1, None)


def test_summary_orders_by_time_not_input_order() -> None:
    summary = summarize([_at(1, 3), _at(5, 9), _at(3, 6)], NOW)

    assert (summary.last, summary.last_at) == (3, NOW - timedelta(days=1))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=-5 * 24, max_value=40 * 24), st.integers(0, 10)),
        max_size=40,
    )
)
def test_summary_matches_a_direct_count(raw: list[tuple[int, int]]) -> None:
    points = [TrendPoint(NOW - timedelta(hours=h), s) for h, s in raw]
    inside = [s for h, s in raw if 0 <= h < 30 * 24]

    summary = summarize(points, NOW)

    assert summary.count == len(inside)
    assert summary.highest == (max(inside) if inside else None)
    if summary.median_7d is not None:
        recent = [s for h, s in raw if 0 <= h < 7 * 24]
        assert min(recent) <= summary.median_7d <= max(recent)
    assert (summary.direction == "unknown") == (
        summary.median_7d is None or summary.median_prev_7d is None
    )


def test_can_draw_latin_always_and_chinese_only_with_a_cjk_font(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert trend.can_draw("Pain over 30 days", "Zoë")
    monkeypatch.setattr(trend, "_font_families", lambda: ("DejaVu Sans",))
    assert not trend.can_draw("Pain", "30 天疼痛")
    monkeypatch.setattr(trend, "_font_families", lambda: ("DejaVu Sans", "WenQuanYi Micro Hei"))
    assert trend.can_draw("30 天疼痛")


@pytest.mark.skipif(
    not any(
        trend._CJK_FILE_RE.search(path.rsplit("/", 1)[-1])
        for path in font_manager.findSystemFonts()
    ),
    reason="no CJK font installed on this machine (CI installs fonts-wqy-microhei)",
)
def test_a_cjk_font_installed_on_the_system_is_found() -> None:
    assert len(trend._font_families()) > 1
    assert trend.can_draw("王芳的疼痛")
