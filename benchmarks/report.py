"""Weekly report over 1,000,000 synthetic mentions, on SQLite and PostgreSQL.

What it measures: ``reports.weekly.build_weekly`` + ``render_weekly`` (SQL
aggregates -> template -> HTML with inline SVG charts) for the last of 12
weeks of mentions, against a naive baseline measured in the same run: the
week's rows loaded into Python and aggregated there with loops, then the
same template. The PDF is produced too (timed separately) and its text,
extracted with pdftotext, must hold the headline figures.

Data: N mentions (default 1,000,000) over 12 weeks, sorted by time as a
crawler would store them; 80 % linked to our institution, 15 % to a peer,
5 % to none; 4 % are syndicated duplicates; 1 % by known alumni. Bulk
insert: executemany in big batches on SQLite, COPY on PostgreSQL.

    python benchmarks/report.py                 # 1,000,000, both backends
    python benchmarks/report.py --n 100000 --backends sqlite

PostgreSQL: ``DATABASE_URL`` or postgresql://postgres@127.0.0.1:5432/test,
in a dedicated schema dropped at the end. Ends with ``ratio: X`` (baseline
seconds / veille seconds, the worse backend).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from reports.render import fmt_int, fmt_pct, html_to_pdf
from reports.weekly import build_weekly, parse_week, render_weekly
from store import report_queries as q
from store.db import dispose_engines, get_engine, normalise_url, session_scope, upgrade
from veille.config import settings_from_dict

WEEK = parse_week("2026-W47")
PLATFORMS = ["twitter", "mastodon", "bluesky", "reddit", "rss", "web"]
P_WEIGHTS = [30, 20, 10, 10, 20, 10]
LABELS = ["positive", "neutral", "negative", None]
L_WEIGHTS = [30, 45, 20, 5]
WORDS = [
    "université",
    "campus",
    "étudiants",
    "inscription",
    "bourse",
    "recherche",
    "laboratoire",
    "master",
    "licence",
    "classement",
    "examen",
    "grève",
    "wifi",
    "logement",
    "alumni",
    "diplôme",
    "conférence",
    "partenariat",
    "colloque",
    "rentrée",
    "cours",
    "amphi",
    "bibliothèque",
    "stage",
    "emploi",
    "international",
    "erasmus",
    "thèse",
    "prix",
]


def settings():
    return settings_from_dict(
        {
            "institution": {"slug": "univ-exemple", "name": "Université Exemple"},
            "peers": [
                {"slug": "univ-voisine", "name": "Université Voisine"},
                {"slug": "ecole-rivale", "name": "École Rivale"},
            ],
        }
    )


_COLS = (
    "id platform platform_id url author_id author_handle author_name author_key title text "
    "published_at collected_at engagement reach is_repost content_hash raw provenance "
    "sentiment_label sentiment_uncertain alumnus_id duplicate_of_id"
)
MENTION_COLS = _COLS.split()


def generate(n: int, seed: int = 7):
    """Yield (mention tuple, institution index or None) in time order."""
    rnd = random.Random(seed)
    end = WEEK.end
    span = 12 * 7 * 86400
    times = sorted(rnd.random() * span for _ in range(n))
    platforms = rnd.choices(PLATFORMS, P_WEIGHTS, k=n)
    labels = rnd.choices(LABELS, L_WEIGHTS, k=n)
    for i in range(n):
        mid = i + 1
        published = end - timedelta(seconds=span - times[i])
        author = rnd.randrange(20000)
        text_ = " ".join(rnd.choices(WORDS, k=18))
        dup = rnd.randrange(1, mid) if mid > 10 and rnd.random() < 0.04 else None
        r = rnd.random()
        inst = 0 if r < 0.80 else (1 + (mid % 2)) if r < 0.95 else None
        alumnus = f"A{rnd.randrange(200)}" if rnd.random() < 0.01 else None
        yield (
            (
                mid,
                platforms[i],
                f"p{mid}",
                f"https://example.org/{platforms[i]}/{mid}",
                f"u{author}",
                f"user{author}",
                f"User {author}",
                f"{author * 2654435761 % 2**32:08x}",
                "",
                text_,
                published,
                published,
                "{}",
                int(rnd.paretovariate(1.2) * 50),
                False,
                "",
                "{}",
                "{}",
                labels[i],
                False,
                alumnus,
                dup,
            ),
            inst,
        )


def _sqlite_dt(d: datetime) -> str:
    return d.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def load(url: str, n: int, inst_ids: list[int]) -> float:
    """Bulk insert N mentions and their institution links; returns seconds."""
    t0 = time.perf_counter()
    engine = get_engine(url)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.executemany(
                "INSERT INTO alumnus (id, first_name, last_name, birth_name, program, emails, city,"
                " postcode, address, employer, job_title, linkedin_url, orcid, handles,"
                " profile_urls, opt_out, created_at, updated_at, graduation_year) VALUES"
                " (?, ?, ?, '', '', '[]', '', '', '', ?, '', '', '', '{}', '[]', 0, ?, ?, ?)",
                [
                    (
                        f"A{i}",
                        f"Prénom{i}",
                        f"Nom{i}",
                        f"Employeur {i}",
                        "2026-01-01 00:00:00",
                        "2026-01-01 00:00:00",
                        2000 + i % 25,
                    )
                    for i in range(200)
                ],
            )
            sql = (
                f"INSERT INTO mention ({', '.join(MENTION_COLS)}) "
                f"VALUES ({', '.join('?' * len(MENTION_COLS))})"
            )
            batch, links = [], []
            for row, inst in generate(n):
                row = list(row)
                row[10] = row[11] = _sqlite_dt(row[10])
                batch.append(row)
                if inst is not None:
                    links.append((row[0], inst_ids[inst]))
                if len(batch) >= 50_000:
                    cur.executemany(sql, batch)
                    batch = []
            cur.executemany(sql, batch)
            cur.executemany(
                "INSERT INTO mention_institution (mention_id, institution_id) VALUES (?, ?)", links
            )
            jc_time = _sqlite_dt(WEEK.start + timedelta(days=2))
        else:
            cur.execute(
                "INSERT INTO alumnus (id, first_name, last_name, birth_name, program, emails, city,"
                " postcode, address, employer, job_title, linkedin_url, orcid, handles,"
                " profile_urls, opt_out, created_at, updated_at, graduation_year) "
                "SELECT 'A' || i, 'Prénom' || i, 'Nom' || i, '', '', '[]', '', '', '',"
                " 'Employeur ' || i, '', '', '', '{}', '[]', false, now(), now(), 2000 + i % 25"
                " FROM generate_series(0, 199) AS i"
            )
            buf, links = io.StringIO(), io.StringIO()

            def flush() -> None:
                with cur.copy(f"COPY mention ({', '.join(MENTION_COLS)}) FROM STDIN") as cp:
                    cp.write(buf.getvalue())
                buf.seek(0)
                buf.truncate()

            for k, (row, inst) in enumerate(generate(n), 1):
                vals = [
                    "\\N" if v is None else v.isoformat() if isinstance(v, datetime) else str(v)
                    for v in row
                ]
                buf.write("\t".join(vals) + "\n")
                if inst is not None:
                    links.write(f"{row[0]}\t{inst_ids[inst]}\n")
                if k % 100_000 == 0:
                    flush()
            flush()
            with cur.copy("COPY mention_institution (mention_id, institution_id) FROM STDIN") as cp:
                cp.write(links.getvalue())
            jc_time = (WEEK.start + timedelta(days=2)).isoformat()
            cur.execute("SELECT setval('mention_id_seq', (SELECT max(id) FROM mention))")
        for i in range(40):
            cur.execute(
                "INSERT INTO job_change (dedupe_key, person_name, organization, title, method,"
                " evidence, detected_at, alumnus_id) VALUES"
                + (
                    " (?, ?, ?, ?, 'bench', '{}', ?, ?)"
                    if engine.dialect.name == "sqlite"
                    else " (%s, %s, %s, %s, 'bench', '{}', %s, %s)"
                ),
                (f"jc{i}", f"Prénom{i} Nom{i}", f"Org {i}", "Directeur·rice", jc_time, f"A{i}"),
            )
        raw.commit()
        if engine.dialect.name == "sqlite":
            cur.execute("ANALYZE")
            raw.commit()
    finally:
        raw.close()
    if engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load: statistics + visibility map
        # (index-only scans need the latter).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in ("mention", "mention_institution", "alumnus", "job_change"):
                conn.execute(text(f"VACUUM ANALYZE {table}"))
    return time.perf_counter() - t0


def naive_weekly(s, url: str) -> dict:
    """Baseline: the week's rows into Python, aggregated with loops, same template."""
    with session_scope(url) as sess:
        ids = q.ensure_institutions(sess, s)
        self_id = ids["univ-exemple"]
        links: dict[int, set[int]] = defaultdict(set)
        for mid, iid in sess.execute(
            q.MI.select()
            .with_only_columns(q.MI.c.mention_id, q.MI.c.institution_id)
            .join_from(q.MI, q.M, q.M.c.id == q.MI.c.mention_id)
            .where(
                q.M.c.published_at >= WEEK.start - timedelta(days=7),
                q.M.c.published_at < WEEK.end,
            )
        ):
            links[mid].add(iid)
        rows = sess.execute(
            q.M.select().where(
                q.M.c.published_at >= WEEK.start - timedelta(days=7),
                q.M.c.published_at < WEEK.end,
            )
        ).all()
    days = [d.isoformat() for d in WEEK.days]
    per_day_platform: Counter = Counter()
    sentiment: Counter = Counter()
    total = reach = previous = 0
    week_rows = []
    for r in rows:
        if r.duplicate_of_id is not None:
            continue
        ls = links.get(r.id)
        if ls and self_id not in ls:
            continue
        if r.published_at < WEEK.start:
            previous += 1
            continue
        week_rows.append(r)
        total += 1
        reach += r.reach
        per_day_platform[(r.published_at.date().isoformat(), r.platform)] += 1
        sentiment[r.sentiment_label or "unknown"] += 1
    authors: Counter = Counter((r.platform, r.author_key) for r in week_rows)
    top = sorted(week_rows, key=lambda r: -r.reach)[:10]
    return {
        "total": total,
        "previous": previous,
        "reach": reach,
        "days": days,
        "per_day_platform": per_day_platform,
        "sentiment": sentiment,
        "authors": authors.most_common(10),
        "top": top,
    }


def run_backend(name: str, url: str, n: int, workdir: Path) -> dict:
    s = settings()
    s.database_url = url
    upgrade(url)
    with session_scope(url) as sess:
        ids = q.ensure_institutions(sess, s)
    inst_ids = [ids["univ-exemple"], ids["univ-voisine"], ids["ecole-rivale"]]
    load_s = load(url, n, inst_ids)
    print(f"[{name}] loaded {n:,} mentions in {load_s:.1f} s")

    # Warm-up once (imports, template compilation, DB cache), then best of 3.
    render_weekly(build_weekly(s, url, WEEK))
    veille = []
    for _ in range(3):
        t0 = time.perf_counter()
        ctx = build_weekly(s, url, WEEK)
        html = render_weekly(ctx)
        veille.append(time.perf_counter() - t0)
    baseline = []
    for _ in range(2):
        t0 = time.perf_counter()
        naive = naive_weekly(s, url)
        render_weekly(ctx)  # same rendering cost as veille
        baseline.append(time.perf_counter() - t0)
    assert naive["total"] == ctx["h"]["total"], (naive["total"], ctx["h"]["total"])
    assert naive["previous"] == ctx["h"]["previous"]
    assert naive["reach"] == ctx["h"]["reach"]

    html_to_pdf(html)  # warm-up: WeasyPrint import and font set-up happen once per process
    pdf_times = []
    for _ in range(2):
        t0 = time.perf_counter()
        pdf = html_to_pdf(html)
        pdf_times.append(time.perf_counter() - t0)
    pdf_s = min(pdf_times)
    pdf_path = workdir / f"weekly-{name}.pdf"
    pdf_path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", str(pdf_path), "-"], capture_output=True, text=True)
    pdf_text = " ".join(out.stdout.split())
    h = ctx["h"]
    figures = [fmt_int(h["total"]), fmt_pct(h["negative_share"]), fmt_int(h["reach"])]
    figures = [" ".join(f.split()) for f in figures]
    missing = [f for f in figures if f not in pdf_text]
    best, base = min(veille), min(baseline)
    print(
        f"[{name}] week {WEEK.label}: {h['total']:,} mentions in the week "
        f"(previous {h['previous']:,}), reach {h['reach']:,}"
    )
    print(f"[{name}] veille weekly report (SQL aggregates + HTML): {best:.3f} s (best of 3)")
    print(f"[{name}] naive baseline (rows into Python + same HTML): {base:.3f} s (best of 2)")
    print(
        f"[{name}] PDF (weasyprint, warm, best of 2): {pdf_s:.3f} s, {len(pdf):,} bytes; "
        f"total HTML+PDF {best + pdf_s:.3f} s"
    )
    print(f"[{name}] pdftotext holds headline figures {figures}: {'yes' if not missing else 'NO'}")
    verdict = "PASS" if best < 2.0 and not missing else "FAIL"
    print(f"[{name}] under 2 s: {verdict}")
    return {"veille": best, "baseline": base, "pdf": pdf_s, "ok": verdict == "PASS"}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    if shutil.which("pdftotext") is None:
        print("pdftotext missing: run `bash scripts/system-deps.sh`")
        return 2
    results = {}
    with tempfile.TemporaryDirectory(prefix="veille-bench-") as tmp:
        work = Path(tmp)
        for backend in args.backends.split(","):
            if backend == "sqlite":
                results["sqlite"] = run_backend(
                    "sqlite", f"sqlite:///{work / 'bench.db'}", args.n, work
                )
                dispose_engines()
            elif backend == "postgresql":
                base = normalise_url(
                    os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/test"
                )
                schema = f"bench_{uuid.uuid4().hex[:10]}"
                admin = create_engine(base)
                with admin.begin() as conn:
                    conn.execute(text(f'CREATE SCHEMA "{schema}"'))
                sep = "&" if "?" in base else "?"
                url = f"{base}{sep}options={quote(f'-csearch_path={schema}')}"
                try:
                    results["postgresql"] = run_backend("postgresql", url, args.n, work)
                finally:
                    dispose_engines()
                    with admin.begin() as conn:
                        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
                    admin.dispose()
    print(json.dumps({k: {kk: round(vv, 3) for kk, vv in v.items()} for k, v in results.items()}))
    ratio = min(r["baseline"] / r["veille"] for r in results.values())
    print(f"ratio: {ratio:.1f}")
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
