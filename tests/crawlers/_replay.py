"""A local HTTP server replaying files from disk (no network, no library patching)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


@contextmanager
def replay_server(
    routes: dict[str, Path | bytes], content_type: str = "text/html"
) -> Iterator[str]:
    """Serve ``routes`` (path -> file or bytes) on 127.0.0.1:<free port>; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            target = routes.get(self.path.split("?", 1)[0])
            if target is None:
                self.send_response(404)
                self.end_headers()
                return
            body = target if isinstance(target, bytes) else target.read_bytes()
            self.send_response(200)
            ctype = content_type
            if self.path.endswith((".json", "/employments", "/person")):
                ctype = "application/json"
            elif self.path.endswith((".xml", ".rss")):
                ctype = "application/rss+xml"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
