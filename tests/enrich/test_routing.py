"""Routing: keyword rules first, the trained head for the rest; standard teams built in."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from enrich.routing import Router, routing_stage, standard_router
from enrich.routing_data import SPENT_HELDOUT_PARTS, map_label, read_file, spent_part_files
from enrich.routing_model import HEAD_DIR, Head, combine, load_head
from enrich.routing_train import (
    Prototypes,
    calibrate_threshold,
    fold_of,
    keep_or_best,
    oof_probs,
    source_weights,
    train,
)
from store.db import session_scope
from store.models import Mention
from tests.conftest import make_settings
from tests.reports.conftest import add_mentions, mention
from veille.cli import app
from veille.cli._common import state
from veille.config import Settings
from veille.errors import ConfigError, ImportFileError
from veille.stages import StageContext

HELDOUT = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "routing" / "heldout.jsonl"

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
    cfg: dict[str, dict] = {t: {} for t in ALL_TEAMS}
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


class HashEncoder:
    """A tiny deterministic stand-in for e5-small: word hashes -> random unit vectors."""

    name = "hash-16"
    dim = 16

    def embed(self, texts: list[str], max_length: int = 128) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                seed = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
                out[i] += np.random.default_rng(seed).standard_normal(self.dim)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


TINY_TEAMS = ["it", "student_services", "alumni", "communications", "hr", "international"]


def _tiny_head(tmp_path: Path) -> tuple[Head, np.ndarray, dict]:
    """A head fitted on random vectors: each team lives around its own direction."""
    rng = np.random.default_rng(0)
    centres = np.zeros((len(TINY_TEAMS), 16), dtype=np.float32)
    centres[:, :8] = rng.standard_normal((len(TINY_TEAMS), 8))  # team texts: first half
    x = np.vstack([c + 0.3 * rng.standard_normal((30, 16)) for c in centres]).astype(np.float32)
    y = [t for t in TINY_TEAMS for _ in range(30)]
    groups = [f"src{i % 3}#{t}" for i, t in enumerate(y)]
    head, report = train(x, y, groups, c_grid=(1.0, 4.0))
    head.meta["proto_temperature"] = 0.05
    head.save(tmp_path / "head")
    return load_head(tmp_path / "head"), centres, report


class CentreEncoder(HashEncoder):
    """Team names embed at their team's centre; other texts hash in the other half.

    Descriptions and examples then have similarity 0 with every team centre, so
    prototype-only teams never steal a text the head knows.
    """

    def __init__(self, centres: np.ndarray) -> None:
        self.centres = centres

    def embed(self, texts: list[str], max_length: int = 128) -> np.ndarray:
        rows = []
        for t in texts:
            if t in TINY_TEAMS:
                rows.append(self.centres[TINY_TEAMS.index(t)])
            else:
                v = HashEncoder().embed([t])[0]
                v[:8] = 0
                rows.append(v / max(float(np.linalg.norm(v)), 1e-9))
        return np.vstack(rows).astype(np.float32)


def test_training_code_on_a_tiny_random_model(tmp_path) -> None:
    head, centres, report = _tiny_head(tmp_path)
    assert head.classes == sorted(TINY_TEAMS)
    assert report["C"] in (1.0, 4.0) and 0.0 <= head.threshold < 1.0
    probs = head.predict_proba(centres)
    assert [head.classes[i] for i in probs.argmax(1)] == TINY_TEAMS
    assert np.allclose(probs.sum(1), 1.0, atol=1e-5)


def test_prototype_prior_reweights_head_teams_and_leaves_them_alone_at_zero() -> None:
    head = np.array([[0.5, 0.5], [0.9, 0.1]], dtype=np.float32)
    sims = np.array([[0.1, 0.3, 0.0], [0.1, 0.3, 0.0]], dtype=np.float32)  # hr is closer
    names = ["it", "hr", "research"]
    teams, plain = combine(head, ["it", "hr"], sims, names, 0.1)
    teams_w, mixed = combine(head, ["it", "hr"], sims, names, 0.1, 1.0)
    assert teams == teams_w == ["it", "hr", "research"]
    assert np.isclose(plain[0, 0], plain[0, 1])  # the head alone: a tie
    assert mixed[0, 1] > mixed[0, 0]  # the prior breaks it towards the closer team
    assert mixed[1, 0] > mixed[1, 1]  # a confident head keeps its answer
    assert np.allclose(plain[:, 2], mixed[:, 2])  # prototype-only teams keep their share
    assert np.allclose(mixed.sum(axis=1), 1.0, atol=1e-5)


def test_training_chooses_the_prior_weight_by_grouped_cv() -> None:
    """Prototypes that know the teams get weight; the choice is stored with its CV figures."""
    rng = np.random.default_rng(1)
    teams = ["it", "hr", "international"]
    centres = rng.standard_normal((3, 16)).astype(np.float32)
    # each source phrases a team its own way: the head overfits the source, the prototype does not
    x, y, groups = [], [], []
    for src in range(4):
        shift = rng.standard_normal((3, 16)).astype(np.float32) * 1.2
        for k, team in enumerate(teams):
            rows = centres[k] + shift[k] + 0.4 * rng.standard_normal((20, 16))
            x.append(rows)
            y += [team] * 20
            groups += [f"s{src}#{team}"] * 20
    xs = np.vstack(x).astype(np.float32)
    xs /= np.linalg.norm(xs, axis=1, keepdims=True)
    protos = centres / np.linalg.norm(centres, axis=1, keepdims=True)
    head, report = train(
        xs, y, groups, c_grid=(16.0,), protos=Prototypes(xs @ protos.T, teams, 0.1)
    )
    cv = report["cv_proto_weight"]
    assert set(cv) == {"0.0", "0.25", "0.5", "0.75", "1.0", "1.5", "2.0"}
    assert report["proto_weight"] > 0 and cv[str(report["proto_weight"])] > cv["0.0"]
    assert head.proto_weight == report["proto_weight"] and head.temperature == 0.1
    plain, _ = train(xs, y, groups, c_grid=(16.0,))
    assert plain.proto_weight == 0.0


def test_a_retrain_keeps_the_current_settings_within_one_standard_error() -> None:
    """Round 13: on 2 % more lines the grid's maximum jumped (C 4 -> 32, triage 0.75 -> 0.90)
    by less than its own noise. The current value stays unless beaten by more than one
    standard error (0.58 point on 4,709 lines at 80 %); the first training takes the best."""
    accs = {1.0: 0.7687, 4.0: 0.7791, 16.0: 0.7808, 32.0: 0.7823, 64.0: 0.7738}
    assert keep_or_best(accs, 4709, None) == 32.0
    assert keep_or_best(accs, 4709, 4.0) == 4.0  # 0.32 point under the best: kept
    assert keep_or_best(accs, 4709, 1.0) == 32.0  # 1.36 points under: replaced
    assert keep_or_best(accs, 4709, 8.0) == 32.0  # not in the grid
    assert keep_or_best(accs, 400, 64.0) == 64.0  # few lines: wide noise
    assert keep_or_best({0.0: 0.8, 0.5: 0.8}, 100, None) == 0.0  # ties: the grid's first


def test_train_keeps_the_current_prior_weight_and_the_pipeline_reads_it(tmp_path) -> None:
    from enrich.routing_model import HEAD_META
    from enrich.routing_pipeline import current_settings

    rng = np.random.default_rng(3)
    teams = ["it", "hr", "international"]
    centres = rng.standard_normal((3, 16)).astype(np.float32)
    x = np.vstack([centres[k] + 0.8 * rng.standard_normal((40, 16)) for k in range(3)])
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
    y = [t for t in teams for _ in range(40)]
    groups = [f"{t}#{i % 4}" for t in teams for i in range(40)]
    protos = Prototypes(
        x @ (centres / np.linalg.norm(centres, axis=1, keepdims=True)).T, teams, 0.1
    )
    _, report = train(x, y, groups, c_grid=(16.0,), protos=protos)
    cv = {float(k): v for k, v in report["cv_proto_weight"].items()}
    near = [
        w for w, a in cv.items() if a >= max(cv.values()) - 0.01 and w != report["proto_weight"]
    ]
    assert near, cv  # an easy task: several weights tie within the noise
    kept, kept_report = train(
        x, y, groups, c_grid=(16.0,), protos=protos, current={"proto_weight": near[0]}
    )
    assert kept_report["proto_weight"] == near[0] == kept.proto_weight
    (tmp_path / HEAD_META).write_text(
        json.dumps({"C": 4, "text_weight": 1.0, "proto_weight": 0.25, "threshold": 0.8})
    )
    assert current_settings(tmp_path) == {"C": 4.0, "text_weight": 1.0, "proto_weight": 0.25}
    assert current_settings(tmp_path / "absent") == {}


def test_route_carries_score_runner_up_and_triage(tmp_path) -> None:
    head, centres, _ = _tiny_head(tmp_path)
    router = Router(_settings(), encoder=CentreEncoder(centres), head=head)
    r = router.route("international")
    assert (r.team, r.method, r.triage) == ("international", "model", False)
    assert r.runner_up not in (None, "international") and 0 <= r.runner_up_score < r.score
    empty = router.route("")
    assert empty.triage and empty.method == "fallback"


def test_standard_teams_rename_drop_and_add(tmp_path) -> None:
    assert list(make_settings().teams) == list(ALL_TEAMS)
    s = make_settings(
        teams={
            "dsi": {"replaces": "it", "recipients": ["dsi@univ.example"]},
            "hr": {"drop": True},
            "bibliotheque": {"description": "prêt de livres", "examples": ["livres en retard"]},
        }
    )
    assert "it" not in s.teams and "hr" not in s.teams
    assert list(s.teams)[:3] == ["dsi", "bibliotheque", "student_services"]
    assert s.teams["dsi"].description == make_settings().teams["it"].description
    head, centres, _ = _tiny_head(tmp_path)
    router = Router(s, encoder=CentreEncoder(centres), head=head)
    assert router.route("it").team == "dsi"
    assert router.route("hr").team != "hr"
    assert router.route("prêt de livres").team == "bibliotheque"
    with pytest.raises(ConfigError):
        make_settings(teams={"x": {"replaces": "nope"}})


def test_label_map_and_split_helpers(tmp_path) -> None:
    spec = {"labels": {"a": "it"}, "prefixes": {"Inter": "international", "": "student_services"}}
    assert map_label(spec, "a") == "it"
    assert map_label(spec, "International>Incoming") == "international"
    assert map_label(spec, "other") == "student_services"
    folds = fold_of(["s#a"] * 120 + ["s#b"] * 10)
    assert len(set(folds[:50])) == 1 and len(set(folds)) > 1  # a chunk stays together
    top = np.array([0.9, 0.8, 0.4, 0.3] * 10)
    correct = np.array([True, True, False, False] * 10)
    assert calibrate_threshold(top, correct) == 0.45
    bad = tmp_path / "unknown.jsonl"
    bad.write_text('{"text": "x", "intent_or_label_as_in_source": "y"}\n', encoding="utf-8")
    with pytest.raises(ImportFileError):
        read_file(bad)


def test_shipped_head_routes_real_fr_en_requests() -> None:
    """The real head and encoder on real requests (vendored held-out split, with sources).

    These six lines are lines of held-out part 1 (trained on since round 15); before round
    15 the shipped head was right on about 65 % of that split (docs/routing.md): the round-6
    and round-7 heads miss one of them ("MoUs with colleges worldwide", read as
    communications; the round-5 head also sent "International Relations Office" there); the
    round-4 candidate sent both timetable requests to hr and was not shipped.
    Four of six still fails a broken head and any constant answer (always
    student_services: 3 of 6).
    """
    by_text = {e.text: e.team for e in read_file(HELDOUT)}
    picked = [
        "je peux avoir mon emploi du temps ?",
        "Disponibilité enseignant ?",
        "je peux avoir mon emploi du temps de demain",
        "International Relations Office",
        "annual ISO certified sports cultural",
        "MoUs with colleges worldwide",
    ]
    picked = [t for t in picked if t in by_text]
    assert len(picked) >= 4
    routes = standard_router(head_dir=HEAD_DIR).route_many(picked)
    got = [r.team for r in routes]
    correct = sum(g == by_text[t] for g, t in zip(got, picked, strict=True))
    assert correct >= len(picked) - 2, list(zip(picked, got, strict=True))
    assert all(r.runner_up and 0 < r.score <= 1 for r in routes)


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
    # "soutenance de thèse" is one of the standard research keywords.
    assert result.counts["routed"] == 2 and result.counts["rule"] == 2
    with session_scope(db_url) as sess:
        teams = {m.text: m.team for m in sess.exec(select(Mention)).all()}
    with session_scope(db_url) as sess:
        statuses = {m.text: (m.team_status, m.team_score) for m in sess.exec(select(Mention)).all()}
    assert statuses["Le wifi ne marche pas"] == ("routed", 1.0)
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
    assert [{k: r[k] for k in ("id", "team", "team_score", "team_status")} for r in rows] == [
        {"id": 1, "team": "it", "team_score": 1.0, "team_status": "routed"},
        {"id": 2, "team": "alumni", "team_score": 1.0, "team_status": "routed"},
    ]
    assert rows[0]["extra"] == {"k": [1]} and "team_runner_up" in rows[0]
    # Without any veille.toml: the standard teams (and their keyword rules).
    monkeypatch.setattr(state, "_settings", None)
    none = tmp_path / "absent.toml"
    result = CliRunner().invoke(
        app, ["--config", str(none), "tag", "route", "--input", str(src), "--output", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert rows[1]["team"] == "alumni" and rows[0]["team"] in ALL_TEAMS
    assert 0 < rows[0]["team_score"] <= 1 and rows[0]["team_runner_up"] in ALL_TEAMS
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(
        app, ["--config", str(cfg), "tag", "route", "--input", str(bad), "--output", str(out)]
    )
    assert result.exit_code == ImportFileError.exit_code and "ligne 2" in result.output


def test_route_train_learns_corrections_and_data(db_url, settings, tmp_path) -> None:
    """``veille route train``'s code path: shipped vectors + UI corrections + --data."""
    from enrich.routing_pipeline import collect, fit_and_save, load_shipped
    from store.labels import add_team_correction

    t = datetime(2026, 11, 20, tzinfo=UTC)
    add_mentions(
        db_url,
        settings,
        [mention(t, text=f"imprimante en panne salle {i}", team=None) for i in range(6)]
        + [mention(t, text=f"gala annuel promo {i}", team=None) for i in range(6)],
    )
    with session_scope(db_url) as s:
        for m in s.exec(select(Mention)).all():
            team = "it" if "imprimante" in m.text else "alumni"
            assert m.id is not None
            add_team_correction(s, m.id, team, "cm", list(ALL_TEAMS))
    data = tmp_path / "data"
    data.mkdir()
    (data / "mine.jsonl").write_text(
        "".join(
            json.dumps(
                {"text": f"visa etudiant etranger {i}", "team": "international", "lang": "fr"}
            )
            + "\n"
            for i in range(6)
        ),
        encoding="utf-8",
    )
    ds = collect(HashEncoder(), data=data, db_url=db_url, shipped=False, spent=False)
    assert sorted(set(ds.teams)) == ["alumni", "international", "it"]
    # by default the benchmark's spent held-out parts come too (when the checkout has them)
    with_spent = collect(HashEncoder(), data=data, db_url=db_url, shipped=False)
    assert set(with_spent.sources) == {"mine.jsonl", "corrections"} | {
        p.name for p in spent_part_files()
    }
    assert ds.sources.count("corrections") == 12
    folder, report = fit_and_save(ds, tmp_path / "head")
    head = load_head(folder)
    assert head.classes == ["alumni", "international", "it"] and report["n"] == 18
    assert len(load_shipped(folder).teams) == 18  # vectors kept for the next retraining
    probs = head.predict_proba(HashEncoder().embed(["imprimante en panne salle 3"]))
    assert head.classes[int(probs.argmax())] == "it"


def test_route_eval_cli_prints_scores_per_language(tmp_path, monkeypatch) -> None:
    src = tmp_path / "gold.jsonl"
    src.write_text(
        json.dumps({"text": "Le wifi ne marche pas", "team": "it", "lang": "fr"})
        + "\n"
        + json.dumps({"text": "Alumni reunion next week", "team": "alumni", "lang": "en"})
        + "\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(state, "_settings", None)
    result = CliRunner().invoke(
        app, ["--config", str(tmp_path / "absent.toml"), "route", "eval", "--data", str(src)]
    )
    assert result.exit_code == 0, result.output
    said = result.output.replace("\u00a0", " ")
    assert "2 lignes : exactitude" in said and "macro-F1" in said
    assert "français : 1 ligne, exactitude" in said and "anglais : 1 ligne" in said
    assert "Confusion (toutes langues)" in said and "Équipe attendue" in said
    assert "Informatique" in said and "Alumni" in said
    # no team key, English word or Python float reaches the reader
    assert "accuracy" not in said and "line(s)" not in said and "student_" not in said
    assert not re.search(r"\b0\.\d", said)


def test_route_train_cli_writes_a_head_that_routes(tmp_path, monkeypatch) -> None:
    """``veille route train --data DIR --out DIR`` with the real encoder on a labelled file.

    The file is the vendored held-out split (real texts with teams), trained into a
    temporary folder only: the shipped head never sees it.
    """
    data = tmp_path / "data"
    data.mkdir()
    rows = [{"text": e.text, "team": e.team, "lang": e.lang} for e in read_file(HELDOUT)]
    (data / "mine.jsonl").write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    monkeypatch.setattr(state, "_settings", None)
    out = tmp_path / "head"
    result = CliRunner().invoke(
        app,
        [
            "--config", str(tmp_path / "absent.toml"), "route", "train", "--data", str(data),
            "--out", str(out), "--no-shipped", "--no-spent",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    head = load_head(out)
    assert set(head.classes) == {"student_services", "communications", "international"}
    assert "Tête de routage entraînée sur 269 exemples" in result.output.replace("\n", " ")


def test_collect_reads_several_folders_with_per_source_caps(tmp_path) -> None:
    """``--data`` repeated; a source's own ``cap`` in the label map wins; held-out names skipped."""
    from enrich.routing_pipeline import collect

    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()
    # lyon1_master_ds_chatbot_fr.jsonl has `cap = 150` in the label map (default team
    # student_services, "bonjour" dropped); the texts are placeholders, only counts matter.
    (one / "lyon1_master_ds_chatbot_fr.jsonl").write_text(
        "".join(
            json.dumps({"text": f"ligne {i}", "intent_or_label_as_in_source": lab, "lang": "fr"})
            + "\n"
            for i, lab in enumerate(["stages"] * 200 + ["bonjour"] * 5)
        ),
        encoding="utf-8",
    )
    (two / "mine.jsonl").write_text(
        "".join(
            json.dumps({"text": f"paie {i}", "team": "hr", "lang": "fr"}) + "\n" for i in range(30)
        ),
        encoding="utf-8",
    )
    (two / "clinc150_work_visa_en.jsonl").write_text(  # a held-out source: never read
        json.dumps({"text": "when is payday", "intent_or_label_as_in_source": "payday"}) + "\n",
        encoding="utf-8",
    )
    ds = collect(HashEncoder(), data=[one, two], shipped=False, cap=20, spent=False)
    assert ds.teams.count("student_services") == 150  # the source's cap, not --cap
    assert ds.teams.count("hr") == 20  # --cap for sources without their own
    assert "clinc150_work_visa_en.jsonl" not in ds.sources
    assert len(collect(HashEncoder(), data=one, shipped=False, spent=False).teams) == 150


def _jsonl_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _host(url: str) -> str:
    return urlparse(url).netloc.lower().rstrip(".").removeprefix("www.")


def _origin(source: str) -> str:
    """Where a line comes from: a GitHub repository as ``owner/repo``, whether cited by its
    address or as ``owner/repo@commit:path``; else the website's host."""
    host = _host(source)
    if host == "github.com":
        return "/".join(urlparse(source).path.strip("/").split("/")[:2]).lower()
    return host or source.split("@")[0].lower()


def test_round6_heldout_parts_share_no_website_or_text_with_training() -> None:
    """Parts 5 to 11 of the held-out split were split from their collections by institution: no
    website and no text of them may be in a training file (or the benchmark would flatter us)."""
    root = Path(__file__).resolve().parents[2]
    # parts 5 to 11: heldout_univ_texts, heldout_univ_news .. news5, heldout_requests
    parts = [root / "benchmarks" / "data" / "routing" / name for name in SPENT_HELDOUT_PARTS[4:11]]
    assert [p.name for p in parts][::6] == ["heldout_univ_texts.jsonl", "heldout_requests.jsonl"]
    train_dir = root / "enrich" / "data" / "routing" / "train"

    held = [r for part in parts for r in _jsonl_rows(part)]
    training = [r for path in sorted(train_dir.glob("*.jsonl")) for r in _jsonl_rows(path)]
    assert len(held) == 156 + 92 + 197 + 130 + 110 + 105 + 44
    assert {_host(r["source"]) for r in held}.isdisjoint(_host(r["source"]) for r in training)
    assert {r["text"] for r in held}.isdisjoint(r["text"] for r in training)
    assert {r["team"] for r in held} == set(ALL_TEAMS)


def test_spent_parts_train_the_head_and_the_fresh_parts_never() -> None:
    """Since round 15 the held-out parts 1-14 are training lines (spent as measures), part 15
    since round 16, part 16 since round 17, part 17 since round 18, part 18 since round 19,
    part 19 since round 20, part 20 since round 21, parts 21 to 24 (each scored once, in
    rounds 22, 24, 25 and 26) since round 27, parts 25 to 27 (rounds 27, 28, 29) since round
    30, parts 28 and 29 (rounds 30, 31) since round 32, parts 30 to 33 (rounds 32, 33) since
    round 34, parts 34 and 35 (round 34) since round 35, parts 36 to 38 (round 35) since
    round 36, parts 39 to 44 (rounds 36, 37) since round 38, parts 45 to 50 (rounds 38, 45)
    since round 46, parts 51 to 54 (rounds 46, 47) since round 48, parts 55 to 57 (round 48)
    since round 51, part 58 (round 51) since round 52, parts 59 and 60 (round 52) since
    round 53, part 61 (round 53) since round 54, part 62 (round 54) since round 55, parts 63
    to 65 (round 55) since round 56, parts 66 to 71 (round 56) since round 57, parts 72 and
    73 (round 57) since round 58, parts 74 and 75 (round 58) since round 59, parts 76 and 77
    (round 59) since round 60, parts 78 and 79 (round 60) since round 61, part 80 (round 61)
    since round 62, part 81 (round 62) since round 63, part 82 (round 63) since round 64,
    part 83 (round 64) since round 65, part 84 (round 65) since round 66, part 85 (round 66)
    since round 67, part 86 (round 67) since round 68, part 87 (round 68) since round 69,
    part 88 (round 69) since round 70, parts 89 and 90 (round 70) since round 71, parts 91
    and 92 (round 71) since round 72, part 93 (round 72) since round 73, parts 94 to 96
    (round 73) since round 74, parts 97 to 101 (round 74) since round 75, parts 102 and 103
    (round 75) since round 76, parts 104 to 108 (round 76) since round 77, parts 109 and 110
    (round 77) since round 78, part 111 (round 78) since round 79, parts 112 to 114 (round
    79) since round 80; parts 115 to 118 (scored once in round 80) are not trained on: they
    share no text, website, repository or institution with any training line, and the
    shipped head's vectors hold every spent part and never them. A part is frozen as it was
    collected (part 88 had no communications line), so a fresh part must cover most teams,
    not all seven."""
    from enrich.routing_data import read_files, spent_part_files
    from enrich.routing_pipeline import TRAIN_EMBEDDINGS, vendored_texts
    from enrich.routing_train import EmbeddingCache

    root = Path(__file__).resolve().parents[2]
    names = tuple(f"heldout_univ_mix{n}.jsonl" for n in range(102, 106))
    fresh = [root / "benchmarks" / "data" / "routing" / name for name in names]
    spent = spent_part_files()
    assert [p.name for p in spent][-1] == "heldout_univ_mix101.jsonl" and len(spent) == 114
    assert not set(fresh) & set(spent)
    train_dir = root / "enrich" / "data" / "routing" / "train"
    training = [r for p in [*sorted(train_dir.glob("*.jsonl")), *spent] for r in _jsonl_rows(p)]
    held = [r for part in fresh for r in _jsonl_rows(part)]
    teams = {r["team"] for r in held}
    assert len(held) == 33 + 54 + 53 + 56 and teams <= set(ALL_TEAMS) and len(teams) >= 6
    assert not any("reddit" in r["source"].casefold() for r in held)
    assert {r["text"].casefold() for r in held}.isdisjoint(r["text"].casefold() for r in training)

    assert {_origin(r["source"]) for r in held}.isdisjoint(
        _origin(r.get("source", "")) for r in training
    )
    institutions = {r["institution"].casefold() for r in training if r.get("institution")}
    assert not {r["institution"].casefold() for r in held} & institutions
    with np.load(HEAD_DIR / TRAIN_EMBEDDINGS) as shipped:
        sources, keys = set(shipped["source"].tolist()), set(shipped["key"].tolist())
    assert {p.name for p in spent} <= sources and not {p.name for p in fresh} & sources
    assert not {EmbeddingCache.key(r["text"]) for r in held} & keys
    # the text head finds the spent lines' texts again on a retrain from the shipped vectors
    known = vendored_texts()
    assert all(EmbeddingCache.key(e.text) in known for e in read_files(spent))


@pytest.mark.parametrize(
    ("name", "lines"), [("heldout_chatbots_fr.jsonl", 118), ("heldout_chatbots2.jsonl", 96)]
)
def test_chatbot_parts_share_no_repository_or_text_with_training(name: str, lines: int) -> None:
    """Parts 12 and 13 (round 13) hold the phrases of four francophone institutions' chatbots
    each; both collections were split by repository, so no repository and no text of them may
    be in a training file."""
    root = Path(__file__).resolve().parents[2]
    part = root / "benchmarks" / "data" / "routing" / name
    train_dir = root / "enrich" / "data" / "routing" / "train"

    held = _jsonl_rows(part)
    training = [r for path in sorted(train_dir.glob("*.jsonl")) for r in _jsonl_rows(path)]
    assert len(held) == lines
    assert len({_origin(r["source"]) for r in held}) == 4
    assert {_origin(r["source"]) for r in held}.isdisjoint(_origin(r["source"]) for r in training)
    assert {r["text"] for r in held}.isdisjoint(r["text"] for r in training)
    assert all(r["team"] in ALL_TEAMS and r["lang"] in {"fr", "en"} for r in held)


def test_listening_kind_sources_weigh_more_in_the_fit_and_in_cross_validation() -> None:
    """The label map's per-source ``weight`` (round 8): news and posts about an institution
    weigh 4 request lines each; a source without one weighs 1."""
    shipped = source_weights(
        ["university_news2_fr_en.jsonl", "usiu_student_handbook_rasa_en.jsonl"]
    )
    assert shipped.tolist() == [4.0, 1.0]
    assert source_weights(["a.jsonl", "b.jsonl"], {"a.jsonl": {"weight": 2.5}}).tolist() == [
        2.5,
        1.0,
    ]

    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4)).astype(np.float32)
    y = ["it" if v > 0 else "hr" for v in x[:, 0] + rng.normal(scale=2.0, size=60)]
    groups = [f"g{i % 10}" for i in range(60)]
    plain = oof_probs(x, y, groups, c=1.0)[1]
    heavy = np.where(np.arange(60) % 2 == 0, 8.0, 1.0)
    weighted = oof_probs(x, y, groups, c=1.0, sample_weight=heavy)[1]
    assert not np.allclose(plain, weighted)  # the weights reach the cross-validation fits


def test_max_tokens_comes_from_the_configuration_and_reaches_the_encoder() -> None:
    """``[routing] max_tokens`` (64 by default, round 11) sets how much of a mention the
    embedding head reads: a long post is read further, a short request is the same."""
    from veille.errors import ConfigError

    short = "Mot de passe ENT oublié"
    long = (
        "L'université annonce l'ouverture de sa nouvelle maison des étudiants sur le campus "
        "nord, avec une salle de concert, des bureaux pour les associations, une épicerie "
        "solidaire et un service de santé, après deux ans de travaux financés par la région. "
        "Les inscriptions aux ateliers de rentrée se font en ligne."
    )
    default = Router(_settings())
    assert default.max_tokens == 64
    short_read = Router(make_settings(teams={t: {} for t in ALL_TEAMS}, routing={"max_tokens": 32}))
    assert short_read.max_tokens == 32
    # one text per call: int8 activations are quantised per batch, padding included
    np.testing.assert_allclose(default.scores([short])[1], short_read.scores([short])[1], atol=1e-6)
    assert np.abs(default.scores([long])[1] - short_read.scores([long])[1]).max() > 1e-3
    with pytest.raises(ConfigError, match="max_tokens"):
        make_settings(routing={"max_tokens": 4})


def test_the_routing_encoder_asks_for_exact_int8_products_only_on_avx2_cpus_without_vnni(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The shipped heads read vectors made on a CPU with VNNI; on AVX2-only CPUs ONNX
    Runtime's default kernel saturates with this graph's 8-bit weights (an emulated Haswell
    drifted to cosine 0.9969 and read part 10 three points lower). The exact kernel is asked
    for there only: with VNNI it changes nothing but costs half again the time."""
    import sentiment.encoder as encoder_module
    from sentiment.device import int8_products_saturate
    from sentiment.encoder import AVX2_PRECISE_KEY, load_encoder

    avx2 = {"AVX2": True, "AVX512VNNI": False}
    assert int8_products_saturate(avx2, flags={"avx2"})
    assert not int8_products_saturate(avx2, flags={"avx2", "avx_vnni"})  # Alder Lake, Sierra Forest
    assert not int8_products_saturate({"AVX2": True, "AVX512VNNI": True}, flags=set())
    assert not int8_products_saturate({"AVX2": False}, flags=set())

    for saturates in (True, False):
        monkeypatch.setattr(encoder_module, "int8_products_saturate", lambda s=saturates: s)
        options = load_encoder().session.get_session_options()
        try:
            asked = options.get_session_config_entry(AVX2_PRECISE_KEY)
        except RuntimeError:  # ONNX Runtime raises for a key that was never set
            asked = ""
        assert asked == ("1" if saturates else "")


def test_the_int8_encoder_gives_a_text_the_same_vector_whatever_is_read_with_it() -> None:
    """The int8 graph quantises its activations per call over the whole tensor: read in a
    padded batch, a text's vector moved with its neighbours (0.04 in a component) and a
    route could change with the rest of the input file. Each text is now run alone, the
    cores running texts side by side. Texts: real posts of the vendored recordings."""
    from benchmarks.recorded_posts import recorded_post_texts
    from sentiment.encoder import load_encoder

    encoder = load_encoder()
    assert encoder.session.get_session_options().intra_op_num_threads == 1
    posts = recorded_post_texts()[:40]
    together = encoder.embed(posts, max_length=64)
    alone = np.vstack([encoder.embed([p], max_length=64) for p in posts[:8]])
    shuffled = encoder.embed(posts[::-1], max_length=64)[::-1]
    assert np.array_equal(together[:8], alone)
    assert np.array_equal(together, shuffled)
