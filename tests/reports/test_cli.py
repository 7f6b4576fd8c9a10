"""`veille report ...`: the thin CLI door over the same functions."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from reports.alerts import detect
from reports.weekly import parse_week
from tests.reports.conftest import EVIL, add_mentions, mention
from veille.cli import app
from veille.cli._common import state
from veille.config import load_settings

WEEK = parse_week("2026-W47")


@pytest.fixture
def cli(db_url, tmp_path, monkeypatch, smtp_server):
    host, port, inbox = smtp_server
    cfg = tmp_path / "veille.toml"
    cfg.write_text(
        f"""
output_dir = "{tmp_path / "out"}"
[institution]
slug = "univ-exemple"
name = "Université Exemple"
[[peers]]
slug = "univ-voisine"
name = "Université Voisine"
[teams.communications]
recipients = ["com@univ.example"]
[teams.it]
recipients = ["dsi@univ.example"]
keywords = ["wifi"]
[smtp]
host = "{host}"
port = {port}
sender = "veille@univ.example"
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("DATABASE_URL", db_url)  # the test's own database / schema

    def run(*args: str):
        monkeypatch.setattr(state, "_settings", None)
        result = CliRunner().invoke(app, ["--config", str(cfg), *args])
        assert result.exit_code == 0, (result.output, result.exception)
        return result.output

    return run, load_settings(cfg), inbox, tmp_path


def test_report_weekly_brand_and_digest(cli) -> None:
    run, settings, inbox, tmp = cli
    db = settings.database_url
    add_mentions(
        db,
        settings,
        [mention(WEEK.start + timedelta(hours=h), text=f"Le wifi du campus {h}") for h in range(30)]
        + [mention(WEEK.start + timedelta(days=1), text=EVIL, reach=5000)],
        institution="univ-exemple",
    )
    out = run("report", "weekly", "--week", "2026-W47", "--no-pdf")
    assert "2026-W47 : 31 mentions" in out
    assert (tmp / "out" / "weekly-2026-W47.html").exists()
    assert not (tmp / "out" / "weekly-2026-W47.pdf").exists()

    target = tmp / "brand.csv"
    run(
        "report",
        "brand",
        "--query",
        "wifi OR hyperlink",
        "--from",
        "2026-11-16",
        "--to",
        "2026-11-22",
        "--compare",
        "peers",
        "--format",
        "csv",
        "--output",
        str(target),
    )
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 31
    assert all(not r["text"].startswith(("=", "+", "-", "@")) for r in rows)

    burst = [
        mention(
            datetime(2026, 11, 20, 13, m, tzinfo=UTC),
            text="wifi en panne partout",
            sentiment_label="negative",
            platform="twitter",
        )
        for m in range(40)
    ]
    add_mentions(db, settings, burst)
    assert len(detect(settings, db, now=datetime(2026, 11, 20, 14, 5, tzinfo=UTC))) == 1

    dry = run("report", "digest", "--dry-run")
    assert "dsi@univ.example" in dry and "0 envoyé" in dry and inbox.messages == []
    sent = run("report", "digest")
    assert "1 envoyé" in sent and len(inbox.messages) == 1
    assert inbox.messages[0][0] == ["dsi@univ.example"]  # routed to IT by the wifi rule
    assert "Aucune alerte en attente : rien n'a été envoyé." in run("report", "digest")
    run("report", "digest", "--send-empty")
    assert len(inbox.messages) == 3


def test_weekly_send_attaches_pdf(cli) -> None:
    run, _, inbox, _ = cli
    run("report", "weekly", "--week", "2026-W47", "--send")
    assert len(inbox.messages) == 2  # one per team with recipients
    msg = inbox.messages[0][1]
    parts = {p.get_content_type() for p in msg.walk()}
    assert {"text/plain", "text/html", "application/pdf"} <= parts
