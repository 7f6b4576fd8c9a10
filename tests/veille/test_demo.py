"""`veille demo` runs the production pipeline end to end on replayed data."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select
from typer.testing import CliRunner

from store.db import dispose_engines, session_scope
from store.models import Mention, ProfileSnapshot, Suggestion
from store.provenance import missing_provenance
from veille.cli import app


@pytest.mark.slow
def test_demo_runs_every_stage_and_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "failed" not in result.output.replace("failed_sources=0", "")
    reports = sorted(out.glob("weekly-*.html"))
    assert reports and sorted(out.glob("weekly-*.pdf")), result.output

    url = f"sqlite:///{out / 'veille-demo.db'}"
    with session_scope(url) as s:
        platforms = dict(
            s.exec(select(Mention.platform, func.count()).group_by(Mention.platform)).all()
        )
        assert set(platforms) >= {"news", "twitter", "mastodon", "bluesky", "reddit"}
        assert s.exec(select(func.count()).select_from(ProfileSnapshot)).one() > 0
        assert s.exec(select(func.count()).select_from(Suggestion)).one() > 0
        assert s.exec(select(func.count()).where(Mention.team.is_(None))).one() == 0  # type: ignore[union-attr]
        assert missing_provenance(s) == []
    dispose_engines()
    assert "<script" not in reports[0].read_text(encoding="utf-8").split("</style>")[-1]
