"""Routing: keyword rules first, the seed classifier for the rest, configured teams only."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from enrich.routing import SEED_PATH, Router, routing_stage
from store.db import session_scope
from store.models import Mention
from tests.conftest import make_settings
from tests.reports.conftest import add_mentions, mention
from veille.cli import app
from veille.cli._common import state
from veille.config import Settings
from veille.errors import ConfigError, ImportFileError
from veille.stages import StageContext

ALL_TEAMS = (
    "it",
    "student_services",
    "alumni",
    "communications",
    "hr",
    "international",
    "research",
)


def _settings(**teams: dict) -> Settings:
    cfg = {t: {} for t in ALL_TEAMS}
    cfg.update(teams)
    return make_settings(teams=cfg)


def test_rules_are_accent_and_case_insensitive() -> None:
    router = Router(
        _settings(
            it={"keywords": ["wifi", "mot de passe", "ENT"]},
            student_services={"keywords": ["bours*", "logement"]},
        )
    )
    assert router.route("Le WIFI est tombé").team == "it"
    r = router.route("J'ai perdu mon mot-de-passe de l'ENT")
    assert (r.team, r.method, set(r.keywords)) == ("it", "rule", {"mot de passe", "ENT"})
    assert router.route("Les boursiers attendent").team == "student_services"  # prefix
    # Most keywords win; a tie goes to the team configured first.
    assert router.route("wifi et logement et bourse").team == "student_services"
    assert router.route("wifi et logement").team == "it"


def test_bad_keyword_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        Router(_settings(it={"keywords": ["  "]}))


def test_classifier_routes_unseen_fr_en_texts() -> None:
    router = Router(_settings())
    seed = {json.loads(line)["text"] for line in SEED_PATH.open(encoding="utf-8")}
    held_out = {
        "Le mot de passe de ma messagerie a expiré et je n'arrive pas à le changer": "it",
        "No housing allowance yet and the scholarship office is closed": "student_services",
        "Retrouvailles des anciens de la promotion 2005 samedi soir": "alumni",
        "A journalist from the regional paper wants to interview the president": "communications",
        "Offre d'emploi : l'université recrute un technicien informatique en CDD": "hr",
        "Exchange students from partner universities need help with visas": "international",
        "Notre laboratoire publie une étude sur le climat dans une revue scientifique": "research",
        "The research team received a European grant for its cancer study": "research",
    }
    assert not seed & set(held_out)
    routes = router.route_many(list(held_out))
    correct = sum(r.team == want for r, want in zip(routes, held_out.values(), strict=True))
    assert correct >= 7, [(r.team, r.score) for r in routes]
    assert all(r.method == "classifier" for r in routes)


def test_only_configured_teams_and_fallback() -> None:
    router = Router(make_settings(teams={"communications": {}, "it": {}}))
    r = router.route("Researchers publish a breakthrough study in Nature on quantum physics")
    assert r.team in {"communications", "it"}
    assert router.route("").team == "communications"
    assert router.route("").method == "fallback"


def test_routing_stage_fills_missing_teams(db_url, settings, tmp_path) -> None:
    s = _settings(it={"keywords": ["wifi"]})
    s.database_url = db_url
    t = datetime(2026, 11, 20, tzinfo=UTC)
    add_mentions(
        db_url,
        s,
        [
            mention(t, text="Le wifi ne marche pas", team=None),
            mention(t, text="Soutenance de thèse en biologie au laboratoire", team=None),
            mention(t, text="Le wifi encore", team="hr"),  # already routed: left alone
        ],
    )
    result = routing_stage(StageContext(s, db_url, tmp_path))
    assert result.counts["routed"] == 2 and result.counts["rule"] == 1
    with session_scope(db_url) as sess:
        teams = {m.text: m.team for m in sess.exec(select(Mention)).all()}
    assert teams == {
        "Le wifi ne marche pas": "it",
        "Soutenance de thèse en biologie au laboratoire": "research",
        "Le wifi encore": "hr",
    }
    assert routing_stage(StageContext(s, db_url, tmp_path)).counts["routed"] == 0


def test_cli_tag_route_keeps_keys_and_adds_team(tmp_path, monkeypatch) -> None:
    cfg = tmp_path / "veille.toml"
    cfg.write_text(
        '[institution]\nslug = "u"\nname = "U"\n'
        '[teams.it]\nkeywords = ["wifi"]\n[teams.communications]\n[teams.alumni]\n',
        encoding="utf-8",
    )
    src = tmp_path / "in.jsonl"
    src.write_text(
        json.dumps({"id": 1, "text": "WiFi en panne", "extra": {"k": [1]}})
        + "\n\n"
        + json.dumps({"id": 2, "title": "Gala des anciens élèves, promo 2010", "text": ""})
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    monkeypatch.setattr(state, "_settings", None)
    result = CliRunner().invoke(
        app, ["--config", str(cfg), "tag", "route", "--input", str(src), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows == [
        {"id": 1, "text": "WiFi en panne", "extra": {"k": [1]}, "team": "it"},
        {"id": 2, "title": "Gala des anciens élèves, promo 2010", "text": "", "team": "alumni"},
    ]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(
        app, ["--config", str(cfg), "tag", "route", "--input", str(bad), "--output", str(out)]
    )
    assert result.exit_code == ImportFileError.exit_code and "line 2" in result.output
