"""Report charts, drawn by pygal, embedded as SVG images (HTML page, PDF, UI archive).

Why pygal and images: a kept library draws the axes (integer ticks on
counts, no repeated tick, readable labels, gaps where there is no data)
instead of hand-drawn SVG; embedding the SVG as a ``data:`` image keeps its
style under the UI's Content-Security-Policy (``img-src 'self' data:``) and
WeasyPrint renders it in the PDF. Labels are data (platforms, institution
names): pygal escapes them, and no script is embedded.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence

import pygal
from markupsafe import Markup, escape
from pygal.style import Style

from reports.plots import STYLE, chart_config, integer_ticks, percent_ticks, render_svg
from veille.i18n import label

PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
SENTIMENT_COLOURS = {
    "positive": "#2ca02c",
    "neutral": "#9e9e9e",
    "negative": "#d62728",
    "unknown": "#cfd8dc",
}


def _name(key: str) -> str:
    """A series name as people read it: sentiment and platform keys via the catalogue."""
    return label("sentiment" if key in SENTIMENT_COLOURS else "platform", key)


def _style(names: Sequence[str]) -> Style:
    colours = tuple(
        SENTIMENT_COLOURS.get(n, PALETTE[i % len(PALETTE)]) for i, n in enumerate(names)
    )
    return Style(**{**STYLE.to_dict(), "colors": colours or PALETTE})


def as_image(svg: bytes, title: str, width: int = 720, height: int = 300) -> Markup:
    data = base64.b64encode(svg).decode("ascii")
    return Markup(  # noqa: S704  (title escaped; the SVG is base64, inert in the page)
        f'<img class="chart" src="data:image/svg+xml;base64,{data}" width="{width}" '
        f'height="{height}" alt="{escape(title)}">'
    )


def stacked_bars(
    categories: Sequence[str], series: Mapping[str, Sequence[float]], title: str
) -> Markup:
    """Stacked columns of counts (e.g. mentions per day and platform), integer ticks."""
    names = list(series)
    totals = [sum(float(series[n][i]) for n in names) for i in range(len(categories))]
    ticks = integer_ticks(max(totals, default=0))
    config = chart_config(title, categories, ticks)
    config["style"] = _style(names)
    chart = pygal.StackedBar(**config)
    chart.value_formatter = lambda v: f"{v:.0f}"
    for n in names:
        chart.add(_name(n), [float(v) or None for v in series[n]])
    return as_image(render_svg(chart), title)


def lines(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    title: str,
    *,
    percent: bool = False,
) -> Markup:
    """One line per series; ``None`` is a period without data, drawn as a gap (not as 0)."""
    names = list(series)
    values = [float(v) for n in names for v in series[n] if v is not None]
    if percent:
        ticks: list[float] = list(percent_ticks(max(values, default=0.1)))
    else:
        ticks = [float(t) for t in integer_ticks(max(values, default=0))]
    config = chart_config(title, categories, ticks)
    config["style"] = _style(names)
    chart = pygal.Line(**config)
    chart.value_formatter = (lambda v: f"{v * 100:.0f} %") if percent else (lambda v: f"{v:.0f}")
    for n in names:
        chart.add(_name(n), [None if v is None else float(v) for v in series[n]])
    return as_image(render_svg(chart), title)


def hbars(items: Sequence[tuple[str, float]], title: str, *, percent: bool = False) -> Markup:
    """Horizontal bars with their value: rankings such as share of voice."""
    height = 90 + 34 * max(len(items), 1)
    chart = pygal.HorizontalBar(
        title=title,
        style=STYLE,
        js=[],
        width=720,
        height=height,
        show_legend=False,
        print_values=True,
        print_values_position="top",
        x_labels=[str(name)[:40] for name, _ in items],
        range=(0, 1) if percent else None,
        y_labels=percent_ticks(max((v for _, v in items), default=0.1)) if percent else None,
    )
    chart.value_formatter = (lambda v: f"{v * 100:.0f} %") if percent else (lambda v: f"{v:.0f}")
    chart.add(title, [float(v) for _, v in items])
    return as_image(render_svg(chart), title, height=height)


def share_bar(shares: Mapping[str, float], title: str) -> Markup:
    """The split of one total by category (sentiment share), as a half pie with a legend."""
    names = [n for n, v in shares.items() if v > 0]
    total = sum(shares[n] for n in names) or 1.0
    chart = pygal.Pie(
        title=title,
        style=_style(names),
        js=[],
        width=720,
        height=260,
        half_pie=True,
        inner_radius=0.4,
        legend_at_bottom=True,
        print_values=True,
        no_data_text="—",
    )
    chart.value_formatter = lambda v: f"{v * 100:.0f} %"
    for n in names:
        chart.add(_name(n), shares[n] / total)
    return as_image(render_svg(chart), title, height=260)
