"""Communications' reports page: weekly archive, a form that starts where the data is, CSV
for French Excel, no ranking on empty data.

Mention texts are real items of a vendored university feed
(``tests/fixtures/rss/unm-backend_univ-paris10_001.rss``, LGPL-3.0).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from reports.weekly import parse_week, weekly_report_stage
from store import report_snapshots
from store.db import session_scope
from tests.reports.conftest import add_mentions, mention
from tests.web.conftest import Browser, build_app, seed_database, web_settings
from tests.web.pipeline_data import feed_texts
from veille.stages import StageContext

WEEK = parse_week("2026-W45")


@pytest.fixture
def comms(sqlite_url: str, tmp_path: Path) -> Browser:
    seed_database(sqlite_url)
    settings = web_settings(sqlite_url, tmp_path)
    texts = feed_texts()
    rows = [
        mention(
            WEEK.start + timedelta(days=i % 7, hours=9),
            text=texts[i % len(texts)],
            sentiment_label=("positive", "neutral", "negative")[i % 3],
        )
        for i in range(30)
    ]
    add_mentions(sqlite_url, settings, rows, institution="univ-exemple")
    ctx = StageContext(
        settings=settings,
        db_url=sqlite_url,
        output_dir=tmp_path / "out",
        options={"week": WEEK.label, "pdf": False},
    )
    result = weekly_report_stage(ctx)
    assert result.counts["archived"] == 1
    browser = Browser(build_app(sqlite_url, tmp_path))
    assert browser.login("comms").status_code == 303
    return browser


def test_weekly_stage_archives_and_the_ui_opens_past_weeks(comms: Browser, sqlite_url) -> None:
    with session_scope(sqlite_url) as s:
        assert report_snapshots.periods(s, report_snapshots.WEEKLY) == [WEEK.label]
    page = comms.get("/reports").text
    assert f'data-week="{WEEK.label}"' in page and "semaine 45 de 2026" in page
    html = comms.get(f"/reports/weekly/{WEEK.label}.html")
    assert html.status_code == 200 and "Veille hebdomadaire" in html.text
    assert "data:image/svg+xml;base64," in html.text
    pdf = comms.get(f"/reports/weekly/{WEEK.label}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert comms.get("/reports/weekly/2020-W01.html").status_code == 404  # not archived


def test_form_period_defaults_to_where_the_data_is(sqlite_url: str, tmp_path: Path) -> None:
    from web.ui import default_period

    today = date(2026, 12, 20)
    assert default_period(sqlite_url, today) == (today - timedelta(days=30), today)  # no data
    rows = [mention(WEEK.start + timedelta(days=d, hours=9)) for d in range(7)]
    add_mentions(sqlite_url, web_settings(sqlite_url, tmp_path), rows)
    first, last = WEEK.start.date(), WEEK.start.date() + timedelta(days=6)
    assert default_period(sqlite_url, today) == (first, last)  # not the empty last 30 days


def test_csv_for_french_excel_and_no_ranking_on_empty_data(comms: Browser) -> None:
    form = {
        "query": "université OR universite OR étudiants",
        "start": WEEK.start.date().isoformat(),
        "end": (WEEK.start.date() + timedelta(days=6)).isoformat(),
        "fmt": "csv",
        "compare_peers": "yes",
        "csv_excel": "yes",
    }
    r = comms.post("/reports", form)
    assert r.status_code == 200, r.text[:300]
    assert r.content.startswith("\ufeff".encode())
    text = r.content.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("id;published_at;platform")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert rows
    plain = comms.post("/reports", {**form, "csv_excel": ""})
    assert plain.content.decode("utf-8-sig").splitlines()[0].startswith("id,published_at")
    empty = comms.post(
        "/reports", {**form, "fmt": "html", "start": "2020-01-01", "end": "2020-01-31"}
    )
    assert empty.status_code == 200
    assert "pas de classement" in empty.text
    assert not re.search(r"<tr><td>[123]</td>", empty.text)  # no rank 1/2/3 on zero mentions
