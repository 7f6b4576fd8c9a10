"""Pages/s of veille's web crawler vs a bare scrapy spider over the same local site.

Both crawl the same N generated article pages (default 2,000) served by one
threaded local server, following links from ``/``:

- **bare**: a minimal scrapy spider (follow every ``<a href>``, yield the URL),
  run as its own process, same concurrency, no robots.txt;
- **veille**: ``crawlers.runner.crawl`` of a ``web`` source: scrapy child
  process with robots.txt, the SSRF guard, the 429 middleware, trafilatura's
  baseline text extraction, then query filtering, opt-out, canonical URLs,
  content hashes, grouping and idempotent storage in SQLite.

Both are timed end to end (process start included). Prints pages/s of each
and ``overhead: X`` = veille time / bare time (goal <= 1.3).

    python benchmarks/crawl.py [--pages 2000] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BARE_SPIDER = r"""
import json, sys, time
import scrapy
from scrapy.crawler import CrawlerProcess

start, concurrency, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

class Bare(scrapy.Spider):
    name = "bare"
    start_urls = [start]

    def parse(self, response):
        yield {"url": response.url}
        for href in response.css("a::attr(href)").getall():
            yield response.follow(href, callback=self.parse)

count = {"n": 0}

class Count:
    def process_item(self, item):
        count["n"] += 1
        return item

process = CrawlerProcess(settings={
    "LOG_LEVEL": "ERROR", "ROBOTSTXT_OBEY": False, "TELNETCONSOLE_ENABLED": False,
    "CONCURRENT_REQUESTS": concurrency, "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
    "DEPTH_LIMIT": limit, "COOKIES_ENABLED": False,
    "ITEM_PIPELINES": {"__main__.Count": 100},
})
process.crawl(Bare)
process.start()
print(json.dumps({"pages": count["n"]}))
"""


def build_site(n: int, fanout: int = 5) -> dict[str, bytes]:
    """A tree of synthetic French articles: page i links to i*fanout+1 .. i*fanout+fanout."""
    pages: dict[str, bytes] = {}
    for i in range(n):
        links = "".join(
            f'<li><a href="/p/{j}">article {j}</a></li>'
            for j in range(i * fanout + 1, min(n, i * fanout + fanout + 1))
        )
        subject = "l'Université Exemple" if i % 2 == 0 else "la vie du quartier"
        body = "".join(
            f"<p>Paragraphe {k} de l'article synthétique {i} sur {subject}. Ce texte est "
            "inventé pour mesurer le débit du robot et ne décrit rien de réel.</p>"
            for k in range(6)
        )
        pages[f"/p/{i}"] = (
            f"<!doctype html><html lang='fr'><head><meta charset='utf-8'><title>Article {i}"
            f"</title><meta property='article:published_time' "
            f"content='2025-06-0{1 + i % 9}T08:00:00Z'>"
            f"</head><body><nav><a href='/p/0'>accueil</a></nav><article><h1>Article {i}</h1>"
            f"{body}</article><ul>{links}</ul></body></html>"
        ).encode()
    pages["/"] = pages["/p/0"]
    pages["/robots.txt"] = b"User-agent: *\nDisallow: /private/\n"
    return pages


def serve(pages: dict[str, bytes]) -> tuple[ThreadingHTTPServer, str]:
    """A threaded server in this process (tests); the benchmark uses :func:`serve_process`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # Headers and body go out in two writes: without NODELAY, Nagle + delayed
            # ACK add ~40 ms to every keep-alive response.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_GET(self) -> None:
            body = pages.get(self.path)
            status = 200 if body is not None else 404
            body = body if body is not None else b"not found"
            ctype = "text/plain" if self.path.endswith(".txt") else "text/html; charset=utf-8"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _serve_forever(n: int, port_queue: multiprocessing.Queue[int]) -> None:
    server, _ = serve(build_site(n))
    port_queue.put(server.server_address[1])
    threading.Event().wait()


def serve_process(n: int) -> tuple[multiprocessing.Process, str]:
    """The site in its own process, so neither crawler competes with it for a GIL."""
    ctx = multiprocessing.get_context("fork")
    ports: multiprocessing.Queue[int] = ctx.Queue()
    proc = ctx.Process(target=_serve_forever, args=(n, ports), daemon=True)
    proc.start()
    return proc, f"http://127.0.0.1:{ports.get(timeout=60)}"


def _cpu(who: int) -> float:
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime


def run_bare(base: str, concurrency: int, workdir: Path) -> tuple[float, int, float]:
    script = workdir / "bare_spider.py"  # scrapy inspects callbacks' source: a real file
    script.write_text(BARE_SPIDER)
    c0 = _cpu(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(script), f"{base}/", str(concurrency), "20"],
        capture_output=True,
        text=True,
        check=True,
    )
    elapsed = time.perf_counter() - t0
    cpu = _cpu(resource.RUSAGE_CHILDREN) - c0
    return elapsed, json.loads(out.stdout.strip().splitlines()[-1])["pages"], cpu


def run_veille(base: str, concurrency: int, workdir: Path) -> tuple[float, int, int, float]:
    os.environ.setdefault("VEILLE_PSEUDONYM_KEY", "benchmark-key")
    from crawlers.runner import crawl
    from store.db import dispose_engines, upgrade
    from veille.config import settings_from_dict

    db = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(db)
    settings = settings_from_dict(
        {
            "institution": {"slug": "univ-exemple", "name": "Université Exemple"},
            # Only the local site may be private: the guard and its resolver run as in production.
            "allow_private_hosts": [base.split("://", 1)[1]],
            "sources": [
                {
                    "name": "site",
                    "kind": "web",
                    "targets": [f"{base}/"],
                    "requests_per_second": 0,
                    "max_items_per_run": 100000,
                    "max_items_per_day": 100000,
                    "options": {
                        "max_depth": 20,
                        "concurrency": concurrency,
                        "concurrency_per_domain": concurrency,
                        "batch_size": 200,
                    },
                }
            ],
        }
    )
    settings.database_url = db
    c0 = _cpu(resource.RUSAGE_CHILDREN) + _cpu(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    [report] = crawl(settings, db)
    elapsed = time.perf_counter() - t0
    cpu = _cpu(resource.RUSAGE_CHILDREN) + _cpu(resource.RUSAGE_SELF) - c0
    dispose_engines()
    if report.status != "ok":
        raise SystemExit(f"veille crawl failed: {report}")
    return elapsed, report.fetched, report.stored, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=5, help="best of N interleaved runs of each")
    args = parser.parse_args()

    server, base = serve_process(args.pages)
    try:
        bare_runs, veille_runs = [], []
        for i in range(args.repeat):
            # Alternate the order: on a shared machine load drifts during the benchmark.
            with tempfile.TemporaryDirectory() as tmp:
                if i % 2:
                    veille_runs.append(run_veille(base, args.concurrency, Path(tmp)))
                    bare_runs.append(run_bare(base, args.concurrency, Path(tmp)))
                else:
                    bare_runs.append(run_bare(base, args.concurrency, Path(tmp)))
                    veille_runs.append(run_veille(base, args.concurrency, Path(tmp)))
    finally:
        server.terminate()
        server.join()
    b_time, b_pages, b_cpu = min(bare_runs)
    v_time, v_pages, v_stored, v_cpu = min(veille_runs)
    print(f"site: {args.pages} pages, concurrency {args.concurrency}, best of {args.repeat}")
    print(
        f"bare scrapy: {b_pages} pages in {b_time:.2f}s = {b_pages / b_time:.1f} pages/s "
        f"(cpu {b_cpu:.2f}s)"
    )
    print(
        f"veille web:  {v_pages} pages in {v_time:.2f}s = {v_pages / v_time:.1f} pages/s "
        f"(cpu {v_cpu:.2f}s, {v_stored} mentions stored)"
    )
    print(f"cpu overhead: {v_cpu / b_cpu:.2f}")
    print(f"overhead: {v_time / b_time:.2f}")


if __name__ == "__main__":
    main()
