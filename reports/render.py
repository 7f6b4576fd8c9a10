"""Templates to HTML, HTML to PDF: one Jinja environment with autoescape on.

Every template that produces HTML is autoescaped, so mention text, names
and titles can never become markup; only chart SVG (built by
:mod:`reports.charts`, which escapes its own labels) is marked safe. The PDF
is rendered by WeasyPrint with a URL fetcher that refuses everything: the
report is self-contained and rendering never touches the network.
"""

from __future__ import annotations

import copy
import logging
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.numbers import NumberPattern, format_decimal
from jinja2 import Environment, PackageLoader, StrictUndefined

from veille.i18n import active_locale, install_jinja, label
from veille.urls import http_url

log = logging.getLogger(__name__)


def fmt_int(value: Any) -> str:
    """A count in the report's language, by Babel: "12 345" in French, "12,345" in English."""
    try:
        return str(format_decimal(int(value), locale=active_locale()))
    except (TypeError, ValueError):
        return "—"


def fmt_number(value: Any, digits: int | None = 1) -> str:
    """A measured value in the report's language ("0,4" in French); ``digits=None`` keeps
    the value's own decimals ("2,5")."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(number, format=pattern, locale=active_locale()))


@lru_cache(maxsize=8)
def _percent(locale: str, digits: int) -> tuple[NumberPattern, Locale]:
    """The locale's percent pattern with ``digits`` decimals ("50,0 %" / "50.0%")."""
    where = Locale.parse(locale)
    pattern = copy.copy(where.percent_formats[None])
    pattern.frac_prec = (digits, digits)
    return pattern, where


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A share in the report's language: "0,0 %" in French (it printed "0.0 %")."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    pattern, where = _percent(active_locale(), digits)
    return str(pattern.apply(number, where))


def fmt_signed_pct(value: Any) -> str:
    if value is None:
        return "—"
    return ("+" if value >= 0 else "−") + fmt_pct(abs(value))


def fmt_date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%d/%m/%Y %H:%M")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return str(value or "")


def safe_url(value: Any) -> str:
    """Only http(s) links survive (:func:`veille.urls.http_url`); anything else becomes ``#``."""
    return http_url(value) or "#"


def _autoescape(name: str | None) -> bool:
    # Only the plain-text email parts are not HTML.
    return not (name or "").endswith(".txt.j2")


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=_autoescape,  # noqa: S701  (on for every HTML template, see _autoescape)
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        int=fmt_int,
        number=fmt_number,
        pct=fmt_pct,
        signed_pct=fmt_signed_pct,
        date=fmt_date,
        url=safe_url,
    )
    # Internal keys (sentiment, platform, rule, team) through the one catalogue.
    env.filters["label"] = lambda key, kind: label(kind, key)
    install_jinja(env)
    return env


def render(template: str, **context: Any) -> str:
    return environment().get_template(template).render(**context)


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    """WeasyPrint < 70: only inline ``data:`` resources (the charts), nothing from outside."""
    from weasyprint import default_url_fetcher

    if not url.startswith("data:"):
        raise ValueError(f"report rendering does not fetch external resources ({url[:60]})")
    fetched: dict[str, Any] = default_url_fetcher(url)
    return fetched


def _offline_fetcher() -> Any:
    """A fetcher of ``data:`` URLs only: charts are embedded, reports fetch nothing."""
    try:
        from weasyprint.urls import URLFetcher  # WeasyPrint >= 70
    except ImportError:
        return _no_fetch
    return URLFetcher(allowed_protocols={"data"})


def html_to_pdf(html: str) -> bytes:
    """Render a self-contained HTML document to PDF bytes (offline)."""
    from weasyprint import HTML

    pdf = HTML(string=html, url_fetcher=_offline_fetcher()).write_pdf()
    assert pdf is not None
    return bytes(pdf)
