"""Charts as inline SVG, drawn on the server with no network and no JavaScript.

The same markup goes into the HTML page, the PDF (WeasyPrint renders inline
SVG) and the email. Every label is escaped, since platform names, authors
and institution names are data, not markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from markupsafe import Markup, escape

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

_W, _H = 640, 240
_L, _R, _T, _B = 48, 150, 16, 36  # margins: left axis, right legend, top, bottom labels


def _fmt(v: float, percent: bool = False) -> str:
    if percent:
        return f"{v * 100:.0f} %"
    if v >= 1_000_000:
        return f"{v / 1_000_000:.1f} M"
    if v >= 10_000:
        return f"{v / 1000:.0f} k"
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"


def _nice_max(v: float) -> float:
    if v <= 0:
        return 1.0
    mag = 10 ** (len(str(int(v))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if v <= step * mag:
            return float(step * mag)
    return float(10 * mag)


def _svg(body: list[str], title: str, height: int = _H) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="{_W}" '
        f'height="{height}" viewBox="0 0 {_W} {height}" role="img" '
        f'font-family="DejaVu Sans, sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>"
    )
    return Markup(head + "".join(body) + "</svg>")  # noqa: S704  (every label escaped above)


def _axes(ymax: float, percent: bool) -> list[str]:
    out = []
    ph = _H - _T - _B
    for i in range(5):
        v = ymax * i / 4
        y = _T + ph - ph * i / 4
        out.append(
            f'<line x1="{_L}" y1="{y:.1f}" x2="{_W - _R}" y2="{y:.1f}" stroke="#e0e0e0"/>'
            f'<text x="{_L - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#555">'
            f"{escape(_fmt(v, percent))}</text>"
        )
    return out


def _legend(names: Sequence[str], colours: Sequence[str]) -> list[str]:
    out = []
    for i, (name, colour) in enumerate(zip(names, colours, strict=True)):
        y = _T + 4 + i * 16
        out.append(
            f'<rect x="{_W - _R + 10}" y="{y}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{_W - _R + 24}" y="{y + 9}">{escape(str(name)[:22])}</text>'
        )
    return out


def _x_labels(categories: Sequence[str], step: float) -> list[str]:
    every = max(1, len(categories) // 10)
    out = []
    for i, c in enumerate(categories):
        if i % every:
            continue
        x = _L + step * (i + 0.5)
        out.append(
            f'<text x="{x:.1f}" y="{_H - _B + 14}" text-anchor="middle" fill="#555">'
            f"{escape(str(c))}</text>"
        )
    return out


def _colour(name: str, i: int) -> str:
    return SENTIMENT_COLOURS.get(name, PALETTE[i % len(PALETTE)])


def stacked_bars(
    categories: Sequence[str], series: Mapping[str, Sequence[float]], title: str
) -> Markup:
    """Stacked columns: e.g. mentions per day, one colour per platform."""
    names = list(series)
    colours = [_colour(n, i) for i, n in enumerate(names)]
    totals = [sum(series[n][i] for n in names) for i in range(len(categories))]
    ymax = _nice_max(max(totals, default=0))
    pw, ph = _W - _L - _R, _H - _T - _B
    step = pw / max(len(categories), 1)
    body = _axes(ymax, False)
    for i in range(len(categories)):
        base = 0.0
        for name, colour in zip(names, colours, strict=True):
            v = float(series[name][i])
            if v <= 0:
                continue
            h = ph * v / ymax
            y = _T + ph - ph * base / ymax - h
            body.append(
                f'<rect x="{_L + step * i + step * 0.15:.1f}" y="{y:.1f}" '
                f'width="{step * 0.7:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{escape(str(categories[i]))} {escape(name)}: {v:.0f}</title></rect>"
            )
            base += v
    body += _x_labels(categories, step) + _legend(names, colours)
    return _svg(body, title)


def lines(
    categories: Sequence[str],
    series: Mapping[str, Sequence[float]],
    title: str,
    *,
    percent: bool = False,
) -> Markup:
    """One line per series: e.g. the share of negative mentions per day."""
    names = list(series)
    colours = [_colour(n, i) for i, n in enumerate(names)]
    top = max((float(v) for n in names for v in series[n]), default=0.0)
    ymax = min(1.0, _nice_max(top * 100) / 100) if percent else _nice_max(top)
    ymax = ymax or 1.0
    pw, ph = _W - _L - _R, _H - _T - _B
    step = pw / max(len(categories), 1)
    body = _axes(ymax, percent)
    for name, colour in zip(names, colours, strict=True):
        pts = [
            f"{_L + step * (i + 0.5):.1f},{_T + ph - ph * float(v) / ymax:.1f}"
            for i, v in enumerate(series[name])
        ]
        if pts:
            body.append(
                f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{" ".join(pts)}"/>'
            )
            for p in pts:
                x, y = p.split(",")
                body.append(f'<circle cx="{x}" cy="{y}" r="2.5" fill="{colour}"/>')
    body += _x_labels(categories, step) + _legend(names, colours)
    return _svg(body, title)


def hbars(items: Sequence[tuple[str, float]], title: str, *, percent: bool = False) -> Markup:
    """Horizontal bars with their value: rankings such as share of voice."""
    row = 22
    height = _T + row * max(len(items), 1) + 8
    vmax = max((v for _, v in items), default=0.0) or 1.0
    label_w, bar_w = 190, _W - 190 - 80
    body = []
    for i, (label, v) in enumerate(items):
        y = _T + i * row
        w = bar_w * v / vmax
        body.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">'
            f"{escape(str(label)[:30])}</text>"
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 6}" '
            f'fill="{PALETTE[i % len(PALETTE)]}"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 14}">{escape(_fmt(v, percent))}</text>'
        )
    return _svg(body, title, height)


def share_bar(shares: Mapping[str, float], title: str) -> Markup:
    """One 100 % bar split by category (sentiment share), with a legend."""
    height = max(70, 16 * len(shares) + 24)
    x = float(_L)
    width = _W - _L - _R
    total = sum(shares.values()) or 1.0
    body = []
    names = [n for n, v in shares.items() if v > 0]
    for i, name in enumerate(names):
        w = width * shares[name] / total
        body.append(
            f'<rect x="{x:.1f}" y="12" width="{w:.1f}" height="26" fill="{_colour(name, i)}">'
            f"<title>{escape(name)}</title></rect>"
        )
        if w > 34:
            body.append(
                f'<text x="{x + w / 2:.1f}" y="29" text-anchor="middle" fill="#fff">'
                f"{escape(_fmt(shares[name] / total, True))}</text>"
            )
        x += w
    body += _legend(names, [_colour(n, i) for i, n in enumerate(names)])
    return _svg(body, title, height)
