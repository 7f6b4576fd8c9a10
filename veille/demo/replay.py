"""A local HTTP server that replays recorded responses, route by route.

Routes come from a JSON file: ``{"path": "/2/tweets/search/recent",
"file": "twitter/search.json", "type": "application/json"}``, optionally
with ``"when_param"``/``"unless_param"`` to answer a paginated request
(a cursor parameter present) differently from the first page. Recorded
bodies wrapped as ``{"request", "status", "body"}`` are unwrapped.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Route:
    path: str
    file: str
    type: str = "application/json"
    status: int = 200
    when_param: str = ""
    unless_param: str = ""

    def accepts(self, path: str, params: dict[str, list[str]]) -> bool:
        if path.rstrip("/") != self.path.rstrip("/"):
            return False
        if self.when_param and self.when_param not in params:
            return False
        return not (self.unless_param and self.unless_param in params)


def load_routes(routes_file: Path) -> list[Route]:
    return [Route(**r) for r in json.loads(routes_file.read_text(encoding="utf-8"))]


def _body(data_dir: Path, route: Route) -> bytes:
    raw = (data_dir / route.file).read_bytes()
    if route.type == "application/json":
        doc: Any = json.loads(raw)
        if isinstance(doc, dict) and {"request", "status", "body"} <= doc.keys():
            doc = doc["body"]
        return json.dumps(doc).encode()
    return raw


class ReplayServer:
    """``with ReplayServer(routes, data_dir) as server: server.base_url``"""

    def __init__(self, routes: list[Route], data_dir: Path) -> None:
        self.routes = routes
        self.data_dir = data_dir
        self.hits: dict[str, int] = {}
        handler = self._handler_class()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = parse_qs(parts.query)
                server.hits[parts.path] = server.hits.get(parts.path, 0) + 1
                for route in server.routes:
                    if route.accepts(parts.path, params):
                        body = _body(server.data_dir, route)
                        self.send_response(route.status)
                        self.send_header("Content-Type", route.type)
                        self.send_header("Content-Length", str(len(body)))
                        self.end_headers()
                        self.wfile.write(body)
                        return
                self.send_error(404, "no recorded response for this path")

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("replay %s", format % args)

        return Handler

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
