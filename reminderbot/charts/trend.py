"""Pain check-in trend: a PNG chart of the last days' scores, and the figures that describe it.

Rendering uses matplotlib's object API (Figure + Agg canvas, never pyplot): pyplot keeps a
global registry of figures and a GUI backend, neither of which is safe in a bot that renders
in worker threads (asyncio.to_thread). No global rcParams are touched for the same reason;
fonts and sizes are passed to each artist instead.

The module holds no user-facing words: titles, band names and the no-data sentence come in
as TrendLabels in the viewer's language. Dates are printed as numbers only (date_format).
"""

from __future__ import annotations

import io
import logging
import math
import re
import statistics
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from typing import Literal, TypedDict

from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.transforms import Bbox, blended_transform_factory

MIN_SCORE = 0
MAX_SCORE = 10
# A change of one whole point on the 0–10 scale between weekly medians is the smallest
# difference worth telling a patient about; anything less is "steady".
DIRECTION_THRESHOLD = 1.0

Direction = Literal["up", "down", "steady", "unknown"]
# Width and height in pixels of a text at a font size.
_Measure = Callable[[str, float], tuple[float, float]]

# About 900×500 px: fills a phone screen's width in Telegram without being downscaled much.
_FIG_SIZE_IN = (9.0, 5.0)
_DPI = 100
# Large type, because the picture is read on a phone, often by people who are unwell.
_FONT_SIZE = 15
_TITLE_SIZE = 19
# Below this text is unreadable on a phone; a longer title or band name is cut off instead.
_MIN_TEXT_SIZE = 11
# At most this share of the width goes to the band names right of the plot.
_MAX_BAND_SHARE = 0.25
_NO_DATA_SIZE = 20
_ALERT_MARKER_SIZE = 13
# Pixel spacing of the hand-made layout (see _draw).
_MARGIN_PX = 10.0
_GAP_PX = 8.0
_MARKER_OVERHANG_PX = _ALERT_MARKER_SIZE * _DPI / 72 / 2
# Legend handle (line sample with a marker) plus its padding, in pixels.
_LEGEND_HANDLE_PX = 2.0 * _FONT_SIZE * _DPI / 72

# Latin, Greek and Cyrillic come from DejaVu Sans (always shipped with matplotlib); the CJK
# families behind it are used, through matplotlib's per-glyph fallback, for Chinese text.
_BASE_FAMILY = "DejaVu Sans"
_CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "SimHei",
    "Droid Sans Fallback",
)

# Score bands (lower, upper edge in score units, fill, text colour): none 0, mild 1–3,
# moderate 4–6, severe 7–10. Edges sit half-way between whole scores so every score lies
# inside one band; the fills stay pale so the line and markers remain the strongest ink.
_BANDS = (
    (-0.5, 0.5, "#e6f4ea", "#1e6b34"),
    (0.5, 3.5, "#f1f8e9", "#3d7a1f"),
    (3.5, 6.5, "#fff3d6", "#8a5a00"),
    (6.5, 10.5, "#fde3e1", "#a32020"),
)
_BAND_LABEL_AT = (0.0, 2.0, 5.0, 8.5)
_LINE_COLOUR = "#1f4e79"
_ALERT_COLOUR = "#c62828"
# A line drawn across several days without a check-in would suggest scores nobody gave.
_GAP_BREAK = timedelta(days=3)
# Keep the date axis readable on a phone: at most this many date labels.
_MAX_DATE_LABELS = 7

# matplotlib reports a glyph missing from every font (Chinese text on a machine without a CJK
# font) as a UserWarning per character; the chart is still usable, so they are silenced. The
# filter names this module, where matplotlib attributes the warning, so it hides nothing else.
_GLYPH_MESSAGE = r"Glyph \d+ .* missing from font"
_GLYPH_MODULE = re.escape(__name__) + r"\Z"
_FONT_LOGGER = logging.getLogger("matplotlib.font_manager")
_rendering = threading.local()


@dataclass(frozen=True)
class TrendPoint:
    """One answered check-in: when (timezone-aware), the 0–10 score and the tier it gave."""

    at: datetime
    score: int
    tier: int | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise ValueError("TrendPoint.at must be timezone-aware")
        # Kept in UTC: arithmetic between datetimes sharing a zone is wall-clock arithmetic,
        # which is off by an hour across a DST change.
        object.__setattr__(self, "at", self.at.astimezone(UTC))
        # bool is an int subclass; True must not pass as a score of 1.
        if isinstance(self.score, bool) or not isinstance(self.score, int):
            raise TypeError("TrendPoint.score must be an int")
        if not MIN_SCORE <= self.score <= MAX_SCORE:
            raise ValueError(f"TrendPoint.score must be {MIN_SCORE}–{MAX_SCORE}")
        if self.tier is not None and (isinstance(self.tier, bool) or self.tier < 0):
            raise ValueError("TrendPoint.tier must be None or a whole number >= 0")


@dataclass(frozen=True)
class TrendLabels:
    """Texts drawn on the chart, already in the viewer's language."""

    title: str
    y_label: str
    no_data: str
    # Names of the bands for scores 0, 1–3, 4–6 and 7–10.
    bands: tuple[str, str, str, str]
    # Legend text for alert markers; empty draws the markers without a legend.
    alert: str = ""
    # strftime pattern for the date axis; numeric by default, as month names would be
    # English whatever the viewer's language.
    date_format: str = "%d.%m"

    def __post_init__(self) -> None:
        if len(self.bands) != len(_BANDS):
            raise ValueError(f"TrendLabels.bands needs {len(_BANDS)} names")


@dataclass(frozen=True)
class TrendSummary:
    """Figures describing the scores in a window: count, latest, weekly medians and direction."""

    count: int
    last: int | None
    last_at: datetime | None
    median_7d: float | None
    median_prev_7d: float | None
    direction: Direction
    highest: int | None
    alerts: int


def summarize(
    points: Sequence[TrendPoint],
    now: datetime,
    days: int = 30,
    alerts: Sequence[datetime] = (),
) -> TrendSummary:
    """Summarise the scores and alerts in the `days` days ending at `now` (later ones ignored)."""
    now, start = _window(now, days)
    inside = _points_in(points, start, now)
    week = timedelta(days=7)
    # Both weeks are clipped to the window, so a window shorter than 14 days says "unknown"
    # rather than reaching back to scores the chart does not show.
    recent = [p.score for p in inside if p.at > now - week]
    previous = [p.score for p in inside if now - 2 * week < p.at <= now - week]
    median_7d = float(statistics.median(recent)) if recent else None
    median_prev = float(statistics.median(previous)) if previous else None
    last = inside[-1] if inside else None
    return TrendSummary(
        count=len(inside),
        last=last.score if last else None,
        last_at=last.at if last else None,
        median_7d=median_7d,
        median_prev_7d=median_prev,
        direction=_direction(median_7d, median_prev),
        highest=max((p.score for p in inside), default=None),
        alerts=len(_instants_in(alerts, start, now)),
    )


def render_trend_png(
    points: Sequence[TrendPoint],
    alerts: Sequence[datetime],
    now: datetime,
    zone: tzinfo,
    labels: TrendLabels,
    days: int = 30,
) -> bytes:
    """Draw the scores and alerts of the `days` days ending at `now` as a PNG (900×500 px)."""
    now, start = _window(now, days)
    inside = _points_in(points, start, now)
    alert_instants = _instants_in(alerts, start, now)
    fig = Figure(figsize=_FIG_SIZE_IN, dpi=_DPI, facecolor="white")
    try:
        canvas = FigureCanvasAgg(fig)
        with _quiet_font_messages():
            _draw(fig, canvas.get_renderer(), inside, alert_instants, start, now, zone, labels)
            out = io.BytesIO()
            canvas.print_png(out)
        return out.getvalue()
    finally:
        # A figure and its canvas form a reference cycle that only the garbage collector
        # frees; clearing drops the artists (about half the memory) right away instead.
        fig.clear()


def _window(now: datetime, days: int) -> tuple[datetime, datetime]:
    """The window's end and start in UTC, so `days` days are days × 24 real hours."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError("days must be a whole number >= 1")
    end = now.astimezone(UTC)
    return end, end - timedelta(days=days)


def _points_in(points: Sequence[TrendPoint], start: datetime, end: datetime) -> list[TrendPoint]:
    # Half-open (start, end]: a check-in exactly `days` ago belongs to the previous window.
    return sorted((p for p in points if start < p.at <= end), key=lambda p: p.at)


def _instants_in(instants: Sequence[datetime], start: datetime, end: datetime) -> list[datetime]:
    for instant in instants:
        if instant.tzinfo is None or instant.utcoffset() is None:
            raise ValueError("alert instants must be timezone-aware")
    return sorted(i.astimezone(UTC) for i in instants if start < i <= end)


def _direction(recent: float | None, previous: float | None) -> Direction:
    if recent is None or previous is None:
        return "unknown"
    if recent - previous >= DIRECTION_THRESHOLD:
        return "up"
    if previous - recent >= DIRECTION_THRESHOLD:
        return "down"
    return "steady"


log = logging.getLogger(__name__)

# File names of CJK fonts from Debian, Noto and Adobe packages.
_CJK_FILE_RE = re.compile(
    r"wqy|NotoSansCJK|NotoSerifCJK|NotoSansSC|SourceHanSans|DroidSansFallback", re.I
)
# Han ideographs, CJK punctuation and full-width forms: text that DejaVu Sans cannot draw.
_CJK_TEXT_RE = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


@cache
class _TextStyle(TypedDict):
    """The keyword arguments every label of the chart is drawn with."""

    fontfamily: list[str]
    fontsize: float
    parse_math: bool


def _font_families() -> tuple[str, ...]:
    """DejaVu Sans first, then the CJK families this machine has (asking for absent ones logs)."""
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    if not installed & set(_CJK_FAMILIES):
        # matplotlib's font list is cached on first use; a font installed later (e.g. apt
        # install fonts-noto-cjk) is found by scanning the system folders once.
        for path in font_manager.findSystemFonts():
            if _CJK_FILE_RE.search(path.rsplit("/", 1)[-1]):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    log.warning("chart font could not be loaded path=%s", path)
        installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return (_BASE_FAMILY, *(name for name in _CJK_FAMILIES if name in installed))


def can_draw(*texts: str) -> bool:
    """Whether the chart's fonts cover these texts (Chinese needs a CJK font installed)."""
    if not any(_CJK_TEXT_RE.search(text) for text in texts):
        return True
    return len(_font_families()) > 1


class _FontNoiseFilter(logging.Filter):
    """Drop font_manager's "findfont" records, only while this thread renders a chart."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(_rendering, "active", False):
            return True
        return not str(record.msg).startswith("findfont")


# Installed once: the filter only acts in a thread whose flag is set, so concurrent renders
# and the rest of the program are unaffected (unlike swapping filters in and out per call).
_FONT_LOGGER.addFilter(_FontNoiseFilter())


@contextmanager
def _quiet_font_messages() -> Iterator[None]:
    # warnings.catch_warnings() swaps the process-wide filter list and is not thread-safe
    # before Python 3.14, so a module-scoped "ignore" filter is put first instead (again on
    # each call, because test runners and resetwarnings() discard filters).
    if not warnings.filters or warnings.filters[0][1:4] != _glyph_filter_key():
        warnings.filterwarnings(
            "ignore", message=_GLYPH_MESSAGE, category=UserWarning, module=_GLYPH_MODULE
        )
    _rendering.active = True
    try:
        yield
    finally:
        _rendering.active = False


@cache
def _glyph_filter_key() -> tuple[re.Pattern[str], type[Warning], re.Pattern[str]]:
    """The (message, category, module) part of the filter tuple warnings.filterwarnings makes."""
    return (
        re.compile(_GLYPH_MESSAGE, re.IGNORECASE),
        UserWarning,
        re.compile(_GLYPH_MODULE),
    )


def _draw(
    fig: Figure,
    renderer: RendererAgg,
    points: list[TrendPoint],
    alerts: list[datetime],
    start: datetime,
    now: datetime,
    zone: tzinfo,
    labels: TrendLabels,
) -> None:
    families = list(_font_families())
    # parse_math=False: labels are translators' text, and two "$" signs must not turn into
    # TeX (or a parse error).
    text: _TextStyle = {"fontfamily": families, "fontsize": _FONT_SIZE, "parse_math": False}
    width_px, height_px = fig.bbox.width, fig.bbox.height

    def measure(s: str, size: float) -> tuple[float, float]:
        w, h, _ = renderer.get_text_width_height_descent(
            s, FontProperties(family=families, size=size), ismath=False
        )
        return w, h

    # Margins are measured rather than left to constrained layout, which measures every tick
    # label twice and would double the rendering time.
    _, line_h = measure("0", _FONT_SIZE)
    y_label_w = max(measure(labels.y_label, _FONT_SIZE)[1], line_h) if labels.y_label else 0.0
    # Long band names are shrunk (together, so they match) rather than squeeze the plot.
    band_room = width_px * _MAX_BAND_SHARE
    band_size = min(_fitting_size(name, _FONT_SIZE, band_room, measure) for name in labels.bands)
    band_w = max(measure(name, band_size)[0] for name in labels.bands)
    left = _MARGIN_PX + y_label_w + _GAP_PX + measure("10", _FONT_SIZE)[0] + _GAP_PX
    right = _MARGIN_PX + band_w + _GAP_PX
    bottom = _MARGIN_PX + line_h + _GAP_PX
    title_h = measure(labels.title, _TITLE_SIZE)[1] if labels.title else 0.0
    # Room above the plot for the title and for alert triangles poking over its top edge.
    top = _MARGIN_PX + title_h + 2 * _GAP_PX + _MARKER_OVERHANG_PX
    ax = fig.add_axes(
        (
            left / width_px,
            bottom / height_px,
            1 - (left + right) / width_px,
            1 - (top + bottom) / height_px,
        )
    )
    span = (now - start) / timedelta(days=1)

    # x is real elapsed time in days since the window start, so a 23- or 25-hour local day
    # (DST) is drawn at its true width; local dates only decide where the labels go.
    def x_of(instant: datetime) -> float:
        return (instant - start) / timedelta(days=1)

    for low, high, fill, _ in _BANDS:
        ax.axhspan(low, high, facecolor=fill, edgecolor="none", zorder=0)
    # Band names at the right edge, in the band's colour (text, not a second axis: cheaper).
    band_transform = blended_transform_factory(ax.transAxes, ax.transData)
    for name, at, (*_, ink) in zip(labels.bands, _BAND_LABEL_AT, _BANDS, strict=True):
        ax.text(
            1.0 + _GAP_PX / ax.bbox.width,
            at,
            name,
            transform=band_transform,
            va="center",
            ha="left",
            color=ink,
            clip_on=False,
            fontfamily=families,
            fontsize=band_size,
            parse_math=False,
        )

    midnights, noons = _local_day_marks(start, now, zone)
    # Day boundaries as one line collection: 30 minor Tick objects would cost more to lay
    # out than the rest of the chart.
    ax.vlines(
        [x_of(m) for m in midnights],
        _BANDS[0][0],
        _BANDS[-1][1],
        colors="#d0d0d0",
        linewidths=0.6,
        zorder=1,
    )
    step = max(1, math.ceil(len(noons) / _MAX_DATE_LABELS))
    # Counted back from today so the latest day is always labelled.
    shown = [(d, n) for d, n in noons[::-1][::step] if 0.0 <= x_of(n) <= span][::-1]
    ax.set_xticks(
        [x_of(n) for _, n in shown],
        [d.strftime(labels.date_format) for d, _ in shown],
        **text,
    )
    ax.tick_params(axis="x", length=0, pad=_GAP_PX * 72 / _DPI)
    ax.set_yticks(range(MIN_SCORE, MAX_SCORE + 1), [str(s) for s in range(11)], **text)
    for spine in ax.spines.values():
        spine.set_color("#999999")
    if labels.y_label:
        fig.text(
            _MARGIN_PX / width_px,
            (bottom + ax.bbox.height / 2) / height_px,
            labels.y_label,
            rotation=90,
            ha="left",
            va="center",
            **text,
        )
    if labels.title:
        # A long translated title is shrunk to fit rather than run off the picture (or under
        # the alert legend); one too long even at the smallest readable size is cut off.
        room = width_px - 2 * _MARGIN_PX
        if alerts and labels.alert:
            room = width_px - _MARGIN_PX - right - _legend_width(labels, measure)
        fig.text(
            _MARGIN_PX / width_px,
            1 - _MARGIN_PX / height_px,
            labels.title,
            ha="left",
            va="top",
            fontfamily=families,
            fontsize=_fitting_size(labels.title, _TITLE_SIZE, room, measure),
            parse_math=False,
            clip_box=Bbox.from_extents(0, 0, _MARGIN_PX + room, height_px),
            clip_on=True,
        )

    if points:
        xs, ys = _line_with_gaps(points, x_of)
        ax.plot(xs, ys, color=_LINE_COLOUR, linewidth=2.5, zorder=3)
        ax.plot(
            [x_of(p.at) for p in points],
            [p.score for p in points],
            linestyle="none",
            marker="o",
            markersize=8,
            color=_LINE_COLOUR,
            zorder=4,
        )
        # Check-ins that escalated get a red ring, so they can be told apart on the line.
        escalated = [p for p in points if p.tier]
        if escalated:
            ax.plot(
                [x_of(p.at) for p in escalated],
                [p.score for p in escalated],
                linestyle="none",
                marker="o",
                markersize=13,
                markerfacecolor="none",
                markeredgecolor=_ALERT_COLOUR,
                markeredgewidth=2.5,
                zorder=5,
            )
    else:
        ax.text(
            0.5,
            0.5,
            labels.no_data,
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontfamily=families,
            fontsize=_NO_DATA_SIZE,
            parse_math=False,
            color="#444444",
            bbox={"boxstyle": "round,pad=0.6", "facecolor": "white", "edgecolor": "#bbbbbb"},
            zorder=6,
        )

    if alerts:
        alert_xs = [x_of(a) for a in alerts]
        ax.vlines(
            alert_xs,
            _BANDS[0][0],
            _BANDS[-1][1],
            colors=_ALERT_COLOUR,
            linewidths=1.5,
            linestyles="--",
            zorder=2,
        )
        # Triangles sit on the top edge (x in data units, y in axes units) whatever the scores.
        (triangles,) = ax.plot(
            alert_xs,
            [1.0] * len(alert_xs),
            transform=blended_transform_factory(ax.transData, ax.transAxes),
            linestyle="none",
            marker="v",
            markersize=_ALERT_MARKER_SIZE,
            color=_ALERT_COLOUR,
            clip_on=False,
            zorder=6,
        )
        if labels.alert:
            # In the title row, right-aligned with the plot, so it never covers data.
            legend = fig.legend(
                [triangles],
                [labels.alert],
                loc="upper right",
                bbox_to_anchor=(1 - right / width_px, 1 - _MARGIN_PX / height_px),
                frameon=False,
                borderpad=0,
                borderaxespad=0,
                handletextpad=0.4,
                prop=FontProperties(family=families, size=_FONT_SIZE),
            )
            for legend_text in legend.get_texts():
                legend_text.set_parse_math(False)

    ax.set_xlim(0.0, span)
    ax.set_ylim(_BANDS[0][0], _BANDS[-1][1])


def _fitting_size(s: str, size: float, room: float, measure: _Measure) -> float:
    """The largest font size up to `size` (not below _MIN_TEXT_SIZE) at which `s` fits."""
    for _ in range(4):
        # Hinting makes widths shrink a little less than the size, hence a few rounds.
        width = measure(s, size)[0]
        if width <= room or size <= _MIN_TEXT_SIZE:
            break
        size = max(_MIN_TEXT_SIZE, size * room / width * 0.98)
    return size


def _legend_width(labels: TrendLabels, measure: _Measure) -> float:
    """Room the alert legend takes in the title row, in pixels."""
    if not labels.alert:
        return 0.0
    return measure(labels.alert, _FONT_SIZE)[0] + _LEGEND_HANDLE_PX + 2 * _GAP_PX


def _line_with_gaps(
    points: list[TrendPoint], x_of: Callable[[datetime], float]
) -> tuple[list[float], list[float]]:
    """Line coordinates with a NaN break wherever check-ins are more than _GAP_BREAK apart."""
    xs: list[float] = []
    ys: list[float] = []
    previous: datetime | None = None
    for p in points:
        if previous is not None and p.at - previous > _GAP_BREAK:
            xs.append(math.nan)
            ys.append(math.nan)
        xs.append(x_of(p.at))
        ys.append(float(p.score))
        previous = p.at
    return xs, ys


def _local_day_marks(
    start: datetime, end: datetime, zone: tzinfo
) -> tuple[list[datetime], list[tuple[date, datetime]]]:
    """Local midnights inside the window, and each local date with its local noon."""
    first = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    midnights: list[datetime] = []
    noons: list[tuple[date, datetime]] = []
    day = first
    while day <= last:
        # A midnight skipped by DST (e.g. America/Santiago) still resolves to an instant
        # with zoneinfo; noon is never skipped, so date labels always have a place.
        midnight = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        if start < midnight <= end:
            midnights.append(midnight)
        noons.append((day, datetime.combine(day, time(12), tzinfo=zone).astimezone(UTC)))
        day += timedelta(days=1)
    return midnights, noons
