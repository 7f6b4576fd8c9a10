"""The weekly report on a real database: figures, sections, privacy, inert text, PDF."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from reports.render import fmt_int
from reports.weekly import (
    WeekFormatError,
    parse_week,
    render_weekly_text,
    weekly_report_stage,
    write_weekly,
)
from store.db import insert_ignore, session_scope
from store.models import Alumnus, JobChange
from tests.reports.conftest import EVIL, add_mentions, mention
from veille.stages import StageContext

WEEK = parse_week("2026-W47")
MON = WEEK.start


def pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext missing: run `bash scripts/system-deps.sh`")
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(out.stdout.replace("\u00a0", " ").split())


def test_parse_week() -> None:
    assert parse_week("2026-W47").start == datetime(2026, 11, 16, tzinfo=UTC)
    assert parse_week("2026w1").label == "2026-W01"
    last = parse_week(None, now=datetime(2026, 11, 25, 9, tzinfo=UTC))
    assert last.label == "2026-W47"
    with pytest.raises(WeekFormatError):
        parse_week("novembre")
    with pytest.raises(WeekFormatError):
        parse_week("2026-W60")


@pytest.fixture
def week_data(db_url, settings):
    with session_scope(db_url) as s:
        s.add(Alumnus(id="A1", first_name="Camille", last_name="Martin", graduation_year=2015))
        s.add(Alumnus(id="A2", first_name="Opt", last_name="Out", opt_out=True))
        s.flush()
        insert_ignore(
            s,
            JobChange,
            [
                {
                    "dedupe_key": "jc1",
                    "person_name": "Camille Martin",
                    "organization": "Airbus",
                    "title": "Directrice R&D",
                    "alumnus_id": "A1",
                    "detected_at": MON + timedelta(days=2),
                },
                # the same appointment read earlier in another source: one line in the report
                {
                    "dedupe_key": "jc1-bis",
                    "person_name": "Camille Martin",
                    "organization": "Airbus Group",
                    "title": "directrice  R&D",
                    "alumnus_id": "A1",
                    "detected_at": MON + timedelta(days=1),
                },
            ],
            ["dedupe_key"],
        )
    ours = [
        mention(MON + timedelta(days=d, hours=h), platform=p, sentiment_label=lab, reach=10)
        for d in range(7)
        for h, p, lab in (
            (9, "twitter", "positive"),
            (12, "rss", "neutral"),
            (15, "mastodon", "negative"),
        )
    ]
    ours.append(
        mention(
            MON + timedelta(days=1),
            text=EVIL,
            reach=90_000,
            url="javascript:alert(1)",
            author_handle="secret_person",
            author_key="ab12cd34ef",
        )
    )
    ours.append(mention(MON + timedelta(days=3), alumnus_id="A1", sentiment_label="positive"))
    ours.append(
        mention(MON + timedelta(days=3), alumnus_id="A2", author_handle="presse_officielle")
    )
    # A syndicated copy is not counted twice; last week's mentions feed the comparison.
    ours.append(mention(MON + timedelta(days=4), duplicate_of_id=None, platform_id="dup-src"))
    add_mentions(db_url, settings, ours, institution="univ-exemple")
    src = add_mentions(db_url, settings, [mention(MON - timedelta(days=3)) for _ in range(12)])
    add_mentions(db_url, settings, [mention(MON + timedelta(days=4), duplicate_of_id=src[0])])
    add_mentions(
        db_url,
        settings,
        [mention(MON + timedelta(days=2), reach=5) for _ in range(8)],
        institution="univ-voisine",
    )
    return settings


def test_weekly_report_figures_sections_and_pdf(db_url, week_data, tmp_path) -> None:
    settings = week_data
    settings.privacy.allow_listed_handles = ["presse_officielle"]
    paths, ctx = write_weekly(settings, db_url, tmp_path, WEEK, pdf=True)
    h = ctx["h"]
    # 21 + evil + 2 alumni + 1 = 25 about us; the duplicate and the peer's 8 are excluded.
    assert h["total"] == 25 and h["previous"] == 12
    assert h["change"] == pytest.approx((25 - 12) / 12)
    assert h["negative"] == 7 and h["positive"] == 8
    assert ctx["top_mentions"][0]["reach"] == 90_000
    sov = {r["slug"]: r["mentions"] for r in ctx["sov"]}
    assert sov == {"univ-exemple": 25, "univ-voisine": 8}
    assert [a["last_name"] for a in ctx["ambassadors"]] == ["Martin"]  # opted-out hidden
    assert [j["organization"] for j in ctx["job_changes"]] == ["Airbus"]

    html = paths[0].read_text(encoding="utf-8")
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert "javascript:" not in html
    assert "secret_person" not in html and "auteur·rice #ab12" in html  # pseudonymised
    assert "presse_officielle" in html  # allow-listed
    assert "Camille Martin" in html and "Directrice R&amp;D" in html
    assert html.count("data:image/svg+xml;base64,") >= 4  # pygal charts, embedded as images

    text = pdf_text(paths[1])
    assert "Veille hebdomadaire" in text
    assert f"En bref : {fmt_int(25)} mentions" in text.replace("\u00a0", " ")
    assert "28,0 % négatives" in text
    assert "&lt;" not in text and "<script>" in text  # shown as text, not executed markup


def test_weekly_stage_writes_html_and_pdf(db_url, week_data, tmp_path) -> None:
    ctx = StageContext(week_data, db_url, tmp_path, {"week": "2026-W47", "pdf": False})
    result = weekly_report_stage(ctx)
    assert [p.name for p in result.outputs] == ["weekly-2026-W47.html"]
    assert result.counts["mentions"] == 25


def test_empty_week_renders(db_url, settings, tmp_path) -> None:
    paths, ctx = write_weekly(settings, db_url, tmp_path, parse_week("2026-W01"), pdf=False)
    assert ctx["h"]["total"] == 0 and ctx["h"]["change"] is None
    assert "Aucune mention cette semaine" in paths[0].read_text(encoding="utf-8")
    assert date(2026, 1, 4) == ctx["last_day"]


def test_retention_purge_leaves_the_purged_weeks_report_identical(
    db_url, week_data, tmp_path
) -> None:
    """RGPD retention blanks old mentions; the weekly report of that week must not change."""
    from sqlmodel import select

    from reports.render import render
    from reports.weekly import build_weekly, weekly_report_data
    from store.models import Mention
    from store.retention import purge

    settings = week_data
    week = parse_week(MON.strftime("%G-W%V"))

    def html() -> str:
        context = build_weekly(settings, db_url, week)
        context["generated_at"] = MON  # the only field meant to differ between renders
        return render("weekly.html.j2", **context)

    before = html()
    assert EVIL not in before and "Directrice R&amp;D" in before
    settings.privacy.retention_days_mentions = 30
    with session_scope(db_url) as s:
        summary = purge(s, settings, now=MON + timedelta(days=400), report_data=weekly_report_data)
    assert week.label in summary.weeks_frozen
    with session_scope(db_url) as s:
        texts = {m.text for m in s.exec(select(Mention).where(Mention.published_at >= MON))}
    assert texts == {""}, "the purge really blanked the week's mentions"
    assert html() == before


def test_weekly_report_in_english(db_url, week_data, tmp_path) -> None:
    """``locale = "en"``: headings, figures' captions and pseudonyms read English."""
    from veille.i18n import set_locale

    set_locale("en")
    try:
        paths, ctx = write_weekly(week_data, db_url, tmp_path, WEEK, pdf=False)
        text = render_weekly_text(ctx)
    finally:
        set_locale("fr")
    html = paths[0].read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Weekly listening" in html
    assert f"In short: {fmt_int(25)} mentions" in html and "Most seen mentions" in html
    assert "28.0% negative" in html  # numbers in the report's language (French: "28,0 %")
    assert "author #" in html and "auteur·rice" not in html
    assert "Veille hebdomadaire" not in html and "En bref" not in html
    assert "Total reach:" in text and "Audience cumulée" not in text
