"""The pipeline runner: order, skipped-not-faked stages, failures isolated."""

from __future__ import annotations

import json
import sys
import types
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import make_settings
from veille import stages
from veille.demo.replay import ReplayServer, Route
from veille.errors import VeilleError
from veille.pipeline import run_pipeline
from veille.stages import StageContext, StageResult, StageSpec


@pytest.fixture
def fake_pipeline(monkeypatch: pytest.MonkeyPatch):
    module = types.ModuleType("tests_pipeline_stages")
    calls: list[str] = []

    def first(ctx: StageContext) -> StageResult:
        calls.append("first")
        return StageResult(counts={"items": 3})

    def broken(ctx: StageContext) -> StageResult:
        calls.append("broken")
        raise VeilleError("model missing: run `veille models install`")

    def last(ctx: StageContext) -> StageResult:
        calls.append("last")
        return StageResult()

    module.first, module.broken, module.last = first, broken, last  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "tests_pipeline_stages", module)
    monkeypatch.setattr(
        stages,
        "PIPELINE",
        (
            StageSpec("first", "tests_pipeline_stages:first", ""),
            StageSpec("absent", "veille_not_installed_module:run", ""),
            StageSpec("broken", "tests_pipeline_stages:broken", ""),
            StageSpec("last", "tests_pipeline_stages:last", ""),
        ),
    )
    import veille.pipeline

    monkeypatch.setattr(veille.pipeline, "PIPELINE", stages.PIPELINE)
    return calls


def _ctx(tmp_path: Path) -> StageContext:
    return StageContext(settings=make_settings(), db_url="sqlite://", output_dir=tmp_path)


def test_runs_in_order_skips_absent_and_isolates_failures(fake_pipeline, tmp_path: Path) -> None:
    outcomes = run_pipeline(_ctx(tmp_path))
    assert [(o.spec.name, o.status) for o in outcomes] == [
        ("first", "ok"),
        ("absent", "skipped"),
        ("broken", "failed"),
        ("last", "ok"),
    ]
    assert fake_pipeline == ["first", "broken", "last"]
    assert "pas encore livrée" in outcomes[1].reason  # the `veille run` screen, in French
    assert "veille models install" in outcomes[2].reason


def test_unknown_stage_is_an_error(fake_pipeline, tmp_path: Path) -> None:
    with pytest.raises(VeilleError, match="unknown stage"):
        run_pipeline(_ctx(tmp_path), ["nope"])


def test_an_import_error_inside_a_present_module_is_not_hidden(monkeypatch) -> None:
    module = types.ModuleType("tests_pipeline_broken_import")
    monkeypatch.setitem(sys.modules, "tests_pipeline_broken_import", module)
    with pytest.raises(stages.StageNotDeliveredError):
        stages.load("tests_pipeline_broken_import:missing_attr")
    with pytest.raises(ModuleNotFoundError):
        # a delivered module whose own dependency is missing must surface, not be "skipped"
        stages.load("tests.veille.broken_dependency_module:x")


def test_replay_server_serves_routes_and_pages(tmp_path: Path) -> None:
    (tmp_path / "page1.json").write_text(
        json.dumps({"request": {}, "status": 200, "body": {"page": 1}})
    )
    (tmp_path / "empty.json").write_text(json.dumps({"page": None}))
    routes = [
        Route(path="/api", file="page1.json", unless_param="cursor"),
        Route(path="/api", file="empty.json", when_param="cursor"),
    ]
    with ReplayServer(routes, tmp_path) as server:
        with urllib.request.urlopen(f"{server.base_url}/api?q=x") as r:
            assert json.load(r) == {"page": 1}
        with urllib.request.urlopen(f"{server.base_url}/api?cursor=2") as r:
            assert json.load(r) == {"page": None}
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{server.base_url}/other")
        assert err.value.code == 404
        assert server.hits == {"/api": 2, "/other": 1}
