"""Run the whole pipeline on replayed real data, into a fresh SQLite database.

The recorded feeds are from May-June 2014. Every stage that looks at "now"
(alert windows, the weekly report's week, the brand report's period) runs on
a fixed clock: the end of the data's last day. The spike and crisis rules
then see the bursts of the data as they happened, and the demo tells the
same story on every run.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from string import Template

from store.alumni import upsert_alumni
from store.db import dispose_engines, ensure_schema, session_scope
from store.stats import latest_mention_at
from veille.alumni_csv import read_alumni_csv
from veille.config import Settings, load_settings
from veille.demo.replay import ReplayServer, load_routes
from veille.pipeline import StageOutcome, run_pipeline
from veille.stages import PIPELINE, StageContext, StageSpec

#: Weeks covered by the demo's brand report, ending on the data's last day.
BRAND_WEEKS = 6


@dataclass
class DemoResult:
    settings: Settings
    outcomes: list[StageOutcome]
    report_week: str | None
    #: The fixed clock every time-dependent stage ran on (end of the data's last day).
    clock: datetime | None = None
    #: Files written besides the stages' own (brand report, alert digests).
    outputs: list[Path] = field(default_factory=list)


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


def demo_clock(last: datetime) -> datetime:
    """The end of the day (UTC) of the latest stored mention."""
    day = last.astimezone(UTC) if last.tzinfo else last.replace(tzinfo=UTC)
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)


def brand_query(settings: Settings) -> str:
    """Our query OR each peer's: the share of voice compares all of them."""
    return " OR ".join(f"({i.effective_query()})" for i in settings.institutions())


def _write_brand(settings: Settings, workdir: Path, clock: datetime) -> Path:
    from reports.brand import brand_report

    end = (clock - timedelta(days=1)).date()
    start = end - timedelta(weeks=BRAND_WEEKS) + timedelta(days=1)
    html = brand_report(
        settings,
        query=brand_query(settings),
        start=start,
        end=end,
        compare_peers=True,
        fmt="html",
    )
    path = workdir / f"brand-{start}-{end}.html"
    path.write_bytes(html)
    return path


def _write_digests(settings: Settings, url: str, workdir: Path) -> list[Path]:
    """The daily digest each team would receive, built but not sent (the demo mails nobody)."""
    from reports.digest import build_digests

    digests, _ = build_digests(settings, url)
    out = []
    for d in digests:
        path = workdir / f"digest-{d.team}.html"
        path.write_text(d.html, encoding="utf-8")
        out.append(path)
    return out


def run_demo(
    workdir: Path,
    *,
    on_start: Callable[[StageSpec], None] | None = None,
    on_done: Callable[[StageOutcome], None] | None = None,
) -> DemoResult:
    """Crawl -> sentiment -> routing -> job changes -> matching -> suggestions -> alerts
    -> weekly report, then the brand report and the teams' digests."""
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
        outcomes = run_pipeline(ctx, ["crawl"], on_start=on_start, on_done=on_done)

    # The clock is the data's: set once the crawl has stored it, before any stage that dates
    # what it finds (job changes) or looks back from "now" (alerts, the weekly report).
    with session_scope(url) as session:
        latest = latest_mention_at(session)
    clock = demo_clock(latest) if latest is not None else None
    week = None
    outputs: list[Path] = []
    if clock is not None:
        ctx.options["now"] = clock
        iso = (clock - timedelta(days=1)).isocalendar()
        week = f"{iso.year}-W{iso.week:02d}"
        ctx.options["week"] = week
    outcomes += run_pipeline(
        ctx, [s.name for s in PIPELINE if s.name != "crawl"], on_start=on_start, on_done=on_done
    )
    if clock is not None:
        outputs.append(_write_brand(settings, workdir, clock))
    outputs += _write_digests(settings, url, workdir)
    dispose_engines()
    return DemoResult(
        settings=settings,
        outcomes=outcomes,
        report_week=week,
        clock=clock,
        outputs=outputs,
    )


def report_day(clock: datetime) -> date:
    """The data's last day, as the demo's summary names it."""
    return (clock - timedelta(days=1)).date()
