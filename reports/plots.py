"""Charts drawn by pygal (a kept library), as standalone SVG documents.

Why standalone: pygal embeds its style in the SVG, which the UI's
Content-Security-Policy forbids inline; served as an image
(``<img src=...svg>``) the SVG keeps its style and runs no script (pygal's
tooltips script is switched off: ``js=[]``). Counts get integer ticks, no
tick repeats, and a missing value (``None``) is drawn as a gap, not as 0.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence

import pygal
from pygal.style import Style

from veille.i18n import gettext as _

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#333",
    foreground_strong="#111",
    foreground_subtle="#ddd",
    font_family="DejaVu Sans, sans-serif",
    colors=("#1f77b4", "#d62728", "#7f7f7f", "#bdbdbd", "#2ca02c", "#ff7f0e"),
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=11,
    title_font_size=13,
)


_SCRIPT = re.compile(rb"<script\b.*?</script>", re.DOTALL)


_UUID = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_COMMENT = re.compile(rb"<!--.*?-->", re.DOTALL)


def render_svg(chart: pygal.graph.graph.Graph) -> bytes:
    """The SVG, reproducible: no config script, no dated comment, a stable id.

    pygal gives each chart a random id and a "generated on <date>" comment;
    a frozen weekly report must render byte for byte the same, so the id
    is derived from the content instead.
    """
    if not chart.raw_series:  # pygal needs a series to draw its "no data" text
        chart.add(_("No data"), [None])
    svg = _COMMENT.sub(b"", _SCRIPT.sub(b"", chart.render()))
    stable = hashlib.sha256(_UUID.sub(b"", svg)).hexdigest()[:12].encode()
    return _UUID.sub(b"c" + stable, svg)


def integer_ticks(top: float, most: int = 6) -> list[int]:
    """0..top in whole steps of 1, 2, 5, 10, 20, 50...: never 3.8, never twice the same tick."""
    top = max(1.0, float(top))
    raw = top / max(1, most - 1)
    mag = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    step = max(1, int(step))
    last = int(math.ceil(top / step) * step)
    return list(range(0, last + 1, step))


def percent_ticks(top: float) -> list[float]:
    """Shares 0..1 in steps of 10 or 20 points (labels never repeat)."""
    top = min(1.0, max(0.1, top))
    step = 0.1 if top <= 0.5 else 0.2
    n = math.ceil(round(top / step, 6))
    return [round(i * step, 2) for i in range(n + 1)]


def chart_config(title: str, x_labels: Sequence[str], ticks: Sequence[float]) -> dict[str, object]:
    every = max(1, math.ceil(len(x_labels) / 8))
    return {
        "title": title,
        "style": STYLE,
        "js": [],
        "width": 720,
        "height": 300,
        "x_labels": list(x_labels),
        "x_labels_major_every": every,
        "show_minor_x_labels": False,
        "truncate_label": -1,
        "y_labels": list(ticks),
        "range": (ticks[0], ticks[-1]),
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 4,
        "allow_interruptions": True,
        "print_values": False,
        "dots_size": 2,
        "no_data_text": _("No data"),
    }


def counts_with_band(
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
    *,
    baseline: float | None = None,
    spread: float | None = None,
) -> bytes:
    """Count series (gaps as ``None``) and the expected band (mean ± spread)."""
    values = [v for _name, s in series for v in s if v is not None]
    top = max([*values, (baseline or 0) + (spread or 0), 1])
    ticks = integer_ticks(top)
    chart = pygal.Line(**chart_config(title, x_labels, ticks))
    chart.value_formatter = lambda v: f"{v:.0f}"
    for name, s in series:
        chart.add(name, list(s))
    if baseline is not None:
        n = len(x_labels)
        chart.add(
            _("usual"), [round(baseline, 2)] * n, stroke_style={"dasharray": "6,4"}, show_dots=False
        )
        if spread:
            high = round(baseline + spread, 2)
            low = round(max(0.0, baseline - spread), 2)
            chart.add(
                _("usual + spread"), [high] * n, stroke_style={"dasharray": "2,4"}, show_dots=False
            )
            chart.add(
                _("usual − spread"), [low] * n, stroke_style={"dasharray": "2,4"}, show_dots=False
            )
    return render_svg(chart)


def shares(
    title: str, x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]]
) -> bytes:
    """Share series (0..1; a period with no data is ``None``, a gap)."""
    values = [v for _name, s in series for v in s if v is not None]
    ticks = percent_ticks(max([*values, 0.1]))
    chart = pygal.Line(**chart_config(title, x_labels, ticks))
    chart.value_formatter = lambda v: f"{v * 100:.0f} %"
    for name, s in series:
        chart.add(name, list(s))
    return render_svg(chart)
