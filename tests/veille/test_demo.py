"""`veille demo` tells one story end to end, on replayed real data.

The demo runs once for the whole module (it loads the real models); each
test reads what it left: the database, the reports and its console output.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from store.db import dispose_engines, session_scope
from store.models import Alert, Mention, ProfileSnapshot, Suggestion
from store.provenance import missing_provenance
from store.report_queries import MI, about_self, ensure_institutions
from veille.cli import app
from veille.config import Settings, load_settings
from veille.demo.run import BRAND_WEEKS
from veille.query import Document, parse

pytestmark = pytest.mark.slow

#: Match levels that are not an agreement.
DISAGREE = {"missing", "different"}


@dataclass
class Demo:
    out: Path
    output: str
    settings: Settings

    @property
    def url(self) -> str:
        return f"sqlite:///{self.out / 'veille-demo.db'}"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    out = tmp_path_factory.mktemp("demo") / "demo"
    result = CliRunner().invoke(app, ["demo", "--output", str(out)], terminal_width=200)
    assert result.exit_code == 0, result.output
    dispose_engines()
    return Demo(out, result.output, load_settings(out / "veille.toml"))


def _text(m: Mention) -> str:
    return f"{m.title}\n{m.text}"


def test_every_stage_ran_and_wrote_its_outputs(demo: Demo) -> None:
    # table borders out, so a counter a table cell wraps still reads as one phrase
    said = " ".join(re.sub("[\u2500-\u257f]", " ", demo.output).split())
    said = said.replace("sources en échec : 0", "")
    assert "échec" not in said and "failed" not in said  # the stage states, in French
    # the counters read as words (veille/counts.py), never as internal keys
    assert "mentions enregistrées : " in said and "sous le seuil de confiance : " in said
    assert "=" not in said and "below_confidence" not in said and "PosixPath" not in said
    # the stages by their names ("Rapport hebdomadaire"), not their keys ("weekly_report")
    assert "▶ Routage" in said and "Rapport hebdomadaire" in said
    assert "weekly_report" not in said and "job_changes" not in said and "▶ routing" not in said
    assert sorted(demo.out.glob("weekly-*.html")) and sorted(demo.out.glob("weekly-*.pdf"))
    assert sorted(demo.out.glob("brand-*.html")), demo.output
    assert sorted(demo.out.glob("digest-*.html")), demo.output
    with session_scope(demo.url) as s:
        assert s.exec(select(func.count()).select_from(ProfileSnapshot)).one() > 0
        assert s.exec(select(func.count()).where(Mention.team.is_(None))).one() == 0  # type: ignore[union-attr]
        assert missing_provenance(s) == []
        # one replayed feed sends decomposed accents ("cre\u0301ation"): stored composed
        texts = [f"{m.title}\n{m.text}" for m in s.exec(select(Mention)).all()]
        assert texts and all(t == unicodedata.normalize("NFC", t) for t in texts)
    weekly = sorted(demo.out.glob("weekly-*.html"))[0].read_text(encoding="utf-8")
    assert "<script" not in weekly.split("</style>")[-1]
    # the job changes found are dated on the demo's clock, so its week's report lists them
    assert "Changements de poste des alumni" in weekly and "Aucun changement" not in weekly


def test_the_demo_ends_with_where_to_go_next(demo: Demo) -> None:
    for role, page in (
        ("alumni_officer", "/review"),
        ("community_manager", "/alerts"),
        ("communications", "/reports"),
    ):
        assert f"--role {role}" in demo.output
        assert f"http://127.0.0.1:8000{page}" in demo.output
    said = " ".join(demo.output.split())
    assert "Ensuite : créez un identifiant par rôle" in said
    assert "(alumni : Service alumni)" in said  # the role as people say it


def test_every_mention_stored_for_the_institution_matches_its_query(demo: Demo) -> None:
    query = parse(demo.settings.institution.effective_query())
    with session_scope(demo.url) as s:
        self_id = ensure_institutions(s, demo.settings)[demo.settings.institution.slug]
        ours = s.exec(select(Mention).where(about_self(self_id))).all()
        assert ours
        off_topic = [m.title for m in ours if not query.matches_document(Document.of(_text(m)))]
    assert off_topic == []


def test_an_explained_alert_fires_on_the_data_s_own_burst(demo: Demo) -> None:
    with session_scope(demo.url) as s:
        alerts = s.exec(select(Alert)).all()
        assert alerts
        assert all(a.title and a.details.get("sample_mention_ids") for a in alerts)
    digests = " ".join(p.read_text(encoding="utf-8") for p in demo.out.glob("digest-*.html"))
    assert demo.settings.institution.name in digests


def _agreeing(evidence: dict[str, object]) -> list[str]:
    match = evidence.get("match") or {}
    assert isinstance(match, dict)
    return [f for f, v in match.items() if isinstance(v, dict) and v.get("level") not in DISAGREE]


def test_announcements_reach_the_review_inbox(demo: Demo) -> None:
    with session_scope(demo.url) as s:
        pending = s.exec(select(Suggestion).where(Suggestion.status == "pending")).all()
        assert pending
        assert all(len(_agreeing(p.evidence)) >= 2 for p in pending)


def test_two_announcements_agree_on_three_fields(demo: Demo) -> None:
    """Jury members named with title and university match a generated record on
    first name, last name and employer; their new title waits for review.

    Appointment feeds are read for stated positions, without the deciding tagger's yes/no
    (crawlers/appointments.py, since the forty-fourth lead session): a jury line states a
    member's title and university whether or not it tells a move, so the profiles do not
    change with each retrain of the decider (round 90's dropped two of them)."""
    with session_scope(demo.url) as s:
        pending = s.exec(select(Suggestion).where(Suggestion.status == "pending")).all()
        strong = [p for p in pending if len(_agreeing(p.evidence)) >= 3]
    assert len({p.alumnus_id for p in strong}) >= 2, [(p.alumnus_id, p.field) for p in pending]
    assert all(p.provenance.get("source_url") for p in strong)


def _period(demo: Demo) -> tuple[datetime, datetime]:
    brand = sorted(demo.out.glob("brand-*.html"))[0].stem.removeprefix("brand-")
    start = datetime.fromisoformat(brand[:10]).replace(tzinfo=UTC)
    end = datetime.fromisoformat(brand[11:]).replace(tzinfo=UTC) + timedelta(days=1)
    assert end - start == timedelta(weeks=BRAND_WEEKS)
    return start, end


def test_both_peers_have_mentions_in_the_report_s_period(demo: Demo) -> None:
    start, end = _period(demo)
    with session_scope(demo.url) as s:
        ids = ensure_institutions(s, demo.settings)
        for peer in demo.settings.peers:
            n = s.exec(
                select(func.count())
                .select_from(Mention)
                .join(MI, MI.c.mention_id == Mention.id)
                .where(
                    MI.c.institution_id == ids[peer.slug],
                    Mention.published_at >= start,
                    Mention.published_at < end,
                )
            ).one()
            assert n > 0, peer.slug
    brand = sorted(demo.out.glob("brand-*.html"))[0].read_text(encoding="utf-8")
    for peer in demo.settings.peers:
        assert peer.name in brand


def test_weekly_report_is_about_the_institution(demo: Demo) -> None:
    from reports.weekly import parse_week, weekly_report_data

    report = sorted(demo.out.glob("weekly-*.html"))[0]
    assert demo.settings.institution.name in report.read_text(encoding="utf-8")
    week = parse_week(report.stem.removeprefix("weekly-"))
    query = parse(demo.settings.institution.effective_query())
    with session_scope(demo.url) as s:
        data = weekly_report_data(demo.settings, s, week)
    tops = data["tops"]
    assert tops
    assert sum(data["alerts"].values()) >= 1  # the week's alert is counted in its report
    off_topic = [
        t["title"]
        for t in tops[:10]
        if not query.matches_document(Document.of(f"{t['title'] or ''}\n{t['text'] or ''}"))
    ]
    assert off_topic == []
