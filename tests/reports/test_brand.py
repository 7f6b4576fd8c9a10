"""Brand reports: boolean query, share of voice index, themes; inert in HTML, PDF, CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from reports.brand import BrandReportError, brand_report, build_brand
from tests.reports.conftest import EVIL, add_mentions, mention
from tests.reports.test_weekly import pdf_text
from veille.query import QuerySyntaxError

D0 = datetime(2026, 11, 2, 10, tzinfo=UTC)


@pytest.fixture
def brand_data(db_url, settings):
    ours = [
        mention(
            D0 + timedelta(days=i % 10),
            text=f"L'intelligence artificielle à l'Université Exemple, cours {i}",
            sentiment_label="positive" if i % 2 else "neutral",
            reach=100 + i,
        )
        for i in range(12)
    ]
    ours += [
        mention(
            D0 + timedelta(days=8),
            text="Intelligence artificielle : hackathon étudiants robotique",
            sentiment_label="negative",
        ),
        mention(
            D0 + timedelta(days=9),
            text="Hackathon robotique et intelligence artificielle",
            sentiment_label="negative",
        ),
        mention(
            D0 + timedelta(days=3),
            title=EVIL,
            text="intelligence artificielle",
            reach=99_999,
            url="javascript:alert(1)",
            author_handle="jdupont",
            author_key="feedbeef00",
        ),
        mention(D0 + timedelta(days=3), text="Rien à voir : le restaurant universitaire"),
        mention(D0 + timedelta(days=40), text="intelligence artificielle mais hors période"),
    ]
    add_mentions(db_url, settings, ours, institution="univ-exemple")
    peers = [
        mention(
            D0 + timedelta(days=i),
            text="L'Université Voisine ouvre un master d'intelligence artificielle",
        )
        for i in range(5)
    ]
    add_mentions(db_url, settings, peers, institution="univ-voisine")
    return settings


def test_query_share_of_voice_index_and_themes(db_url, brand_data) -> None:
    ctx = build_brand(
        brand_data,
        query='"intelligence artificielle" OR IA',
        start=date(2026, 11, 1),
        end=date(2026, 11, 30),
        compare_peers=True,
    )
    assert ctx["h"]["total"] == 20  # 12 + 2 + evil + 5 peers; off-topic and out-of-period excluded
    assert ctx["granularity"] == "day"
    sov = {r["name"]: r for r in ctx["sov"]}
    assert sov["Université Exemple"]["mentions"] == 15 and sov["Université Exemple"]["rank"] == 1
    assert sov["Université Voisine"]["mentions"] == 5
    assert sov["Université Exemple"]["index"] == 150  # 75 % share x 2 institutions
    assert sov["Université Voisine"]["index"] == 50
    themes = {t["period"]: t["terms"] for t in ctx["themes"]}
    # keyphrases now (c-TF-IDF over adjacent content words): "hackathon étudiants robotique"
    day10 = " | ".join(themes["2026-11-10"])
    assert "hackathon" in day10 and "robotique" in day10
    # no numbers or times as themes ("cours 3", "10h", "1er")
    assert not any(c.isdigit() for terms in themes.values() for t in terms for c in t)
    assert all("intelligence" not in terms for terms in themes.values())  # query words excluded


def test_csv_html_pdf_keep_untrusted_text_inert(db_url, brand_data, tmp_path) -> None:
    args = {
        "query": '"intelligence artificielle"',
        "start": date(2026, 11, 1),
        "end": date(2026, 11, 30),
        "compare_peers": True,
    }
    raw = brand_report(brand_data, fmt="csv", **args).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(raw)))
    assert len(rows) == 20
    evil = next(r for r in rows if "HYPERLINK" in r["title"])
    assert evil["title"].startswith("'=HYPERLINK")  # neutralised formula
    assert evil["author"].startswith("auteur·rice #feed")  # pseudonymised
    assert "jdupont" not in raw

    html = brand_report(brand_data, fmt="html", **args).decode()
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html
    # charts are pygal SVG embedded as images (CSP-safe in the UI, rendered in the PDF)
    assert "Part de voix" in html and "data:image/svg+xml;base64," in html

    pdf = brand_report(brand_data, fmt="pdf", **args)
    assert pdf.startswith(b"%PDF")
    (tmp_path / "brand.pdf").write_bytes(pdf)
    text = pdf_text(tmp_path / "brand.pdf")
    assert "Rapport de marque" in text and "<script>" in text


def test_without_peers_and_errors(db_url, brand_data) -> None:
    ctx = build_brand(
        brand_data,
        query="hackathon",
        start=date(2026, 11, 1),
        end=date(2026, 11, 30),
        compare_peers=False,
    )
    assert ctx["h"]["total"] == 2 and ctx["sov"] == []
    wide = build_brand(
        brand_data,
        query="intelligence",
        start=date(2026, 6, 1),
        end=date(2026, 12, 31),
        compare_peers=False,
    )
    assert wide["granularity"] == "month"
    with pytest.raises(BrandReportError):
        brand_report(
            brand_data,
            query="x",
            start=date(2026, 11, 2),
            end=date(2026, 11, 1),
            compare_peers=False,
            fmt="html",
        )
    with pytest.raises(BrandReportError):
        brand_report(
            brand_data,
            query="x",
            start=date(2026, 11, 1),
            end=date(2026, 11, 2),
            compare_peers=False,
            fmt="docx",
        )
    with pytest.raises(QuerySyntaxError):
        brand_report(
            brand_data,
            query="(a OR",
            start=date(2026, 11, 1),
            end=date(2026, 11, 2),
            compare_peers=False,
            fmt="html",
        )
