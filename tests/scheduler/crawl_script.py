"""Test helper: a crawl with the storage pattern of the real runner.

Usage: ``crawl_script.py CONFIG SOURCE``. Mentions ``m0 .. m{total-1}`` are
stored in batches through ``store.db.insert_ignore``; each batch and the
cursor are committed in one transaction, and the next run resumes from the
cursor, exactly like ``crawlers.runner``. ``source.options`` sets ``total``,
``batch`` and ``delay`` (seconds between batches). SIGTERM stops it after the
batch being stored.
"""

from __future__ import annotations

import signal
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from sqlmodel import select

from store.db import insert_ignore, session_scope
from store.models import CrawlState, Mention, Source
from veille.config import load_settings

STOP: list[int] = []


def main(config: str, name: str) -> None:
    # Like the real crawler: SIGTERM means "finish this batch, save the cursor, exit 0".
    signal.signal(signal.SIGTERM, lambda signum, _frame: STOP.append(signum))
    settings = load_settings(Path(config))
    src = settings.source(name)
    total = int(src.options.get("total", 30))
    size = int(src.options.get("batch", 3))
    delay = float(src.options.get("delay", 0.3))
    url = settings.database_url
    with session_scope(url) as s:
        insert_ignore(
            s,
            Source,
            [{"name": name, "kind": src.kind, "query": "", "settings": {}, "enabled": True}],
            ["name"],
        )
    with session_scope(url) as s:
        source_id = s.exec(select(Source.id).where(Source.name == name)).one()
        state = s.get(CrawlState, source_id)
        pos = int(state.cursor.get("pos", 0)) if state else 0
    while pos < total:
        end = min(total, pos + size)
        rows = [
            Mention(
                platform="testfeed",
                platform_id=f"m{i}",
                url=f"https://example.org/m{i}",
                source_id=source_id,
                text=f"mention {i}",
                published_at=datetime(2026, 1, 1, tzinfo=UTC),
            ).model_dump(exclude={"id"})
            for i in range(pos, end)
        ]
        with session_scope(url) as s:
            insert_ignore(s, Mention, rows, ["platform", "platform_id"])
            state = s.get(CrawlState, source_id) or CrawlState(source_id=source_id)
            state.cursor = {"pos": end}
            state.status = "ok"
            s.add(state)
        print(f"stored {pos}..{end - 1}", flush=True)
        pos = end
        if STOP:
            print("stopping after a complete batch", flush=True)
            return
        time.sleep(delay)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
