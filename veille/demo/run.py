"""Run the whole pipeline on replayed real data, into a fresh SQLite database."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from store.alumni import upsert_alumni
from store.db import dispose_engines, ensure_schema, session_scope
from store.stats import busiest_day
from veille.alumni_csv import read_alumni_csv
from veille.config import Settings, load_settings
from veille.demo.replay import ReplayServer, load_routes
from veille.pipeline import StageOutcome, run_pipeline
from veille.stages import PIPELINE, StageContext, StageSpec


@dataclass
class DemoResult:
    settings: Settings
    outcomes: list[StageOutcome]
    report_week: str | None


def demo_data_dir() -> Path:
    return Path(str(resources.files("veille.demo").joinpath("data")))


def write_demo_config(workdir: Path, base_url: str) -> Path:
    """The demo's veille.toml: the packaged template with the replay server's URL."""
    template = Template((demo_data_dir() / "demo.toml").read_text(encoding="utf-8"))
    db_path = (workdir / "veille-demo.db").resolve()
    text = template.substitute(
        base=base_url,
        replay_host=base_url.split("://", 1)[1].split("/", 1)[0],
        database_url=f"sqlite:///{db_path}",
        output_dir=str(workdir.resolve()),
    )
    config = workdir / "veille.toml"
    config.write_text(text, encoding="utf-8")
    return config


def run_demo(
    workdir: Path,
    *,
    on_start: Callable[[StageSpec], None] | None = None,
    on_done: Callable[[StageOutcome], None] | None = None,
) -> DemoResult:
    """Crawl -> sentiment -> routing -> job changes -> matching -> suggestions -> report."""
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    data = demo_data_dir()
    # The replay server checks no credential; the production X client still wants a
    # bearer token, so the demo gives it a placeholder unless one is already set.
    os.environ.setdefault("VEILLE_TWITTER_BEARER_TOKEN", "demo-replay-needs-no-token")
    with ReplayServer(load_routes(data / "routes.json"), data) as server:
        settings = load_settings(write_demo_config(workdir, server.base_url))
        # The demo always uses its own embedded database, whatever DATABASE_URL says.
        settings.database_url = f"sqlite:///{(workdir / 'veille-demo.db').resolve()}"
        url = settings.database_url
        ensure_schema(url)
        rows = read_alumni_csv(data / "alumni.csv")
        with session_scope(url) as session:
            upsert_alumni(session, (r.values for r in rows), actor="demo")
        ctx = StageContext(settings=settings, db_url=url, output_dir=workdir)
        before_report = [s.name for s in PIPELINE if s.name != "weekly_report"]
        outcomes = run_pipeline(ctx, before_report, on_start=on_start, on_done=on_done)

    # The replayed responses span years (2014 feeds to 2025 posts): report on the
    # week of the busiest day rather than on a last week that holds nothing.
    with session_scope(url) as session:
        latest = busiest_day(session)
    week = None
    if latest is not None:
        iso = latest.isocalendar()
        week = f"{iso.year}-W{iso.week:02d}"
        ctx.options["week"] = week
    outcomes += run_pipeline(ctx, ["weekly_report"], on_start=on_start, on_done=on_done)
    dispose_engines()
    return DemoResult(settings=settings, outcomes=outcomes, report_week=week)
