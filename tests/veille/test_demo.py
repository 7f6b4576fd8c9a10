"""`veille demo` runs the production pipeline end to end on replayed data."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from veille.cli import app


@pytest.mark.slow
def test_demo_runs_every_stage_and_writes_a_report(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "failed" not in result.output
    assert (out / "veille-demo.db").exists()
    # Every stage either ran or says plainly that it is not delivered.
    for stage in ("crawl", "sentiment", "routing", "job_changes", "matching", "suggestions"):
        assert stage in result.output
    reports = list(out.glob("**/*.html"))
    if "weekly_report" in result.output and "weekly_report skipped" not in result.output:
        assert reports, result.output
