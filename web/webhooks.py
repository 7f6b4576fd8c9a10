"""Outgoing webhooks: tell a CRM (Eudonet, Salesforce...) about accepted changes.

URLs come from ``VEILLE_WEBHOOK_URLS`` (comma-separated), read once by
``veille serve``. Each event is POSTed as JSON from a background thread, so a
slow or down CRM never blocks a reviewer; failed deliveries are retried with
backoff and then logged. The body is signed so the receiver can check it
came from veille: ``X-Veille-Signature: sha256=<hex HMAC-SHA256 of the body,
keyed with the webhook secret>`` and ``X-Veille-Key-Generation: <n>``. The
webhook secret is derived for this purpose alone (:mod:`web.keys`), shown to
admins on the *Sécurité* page (or ``veille webhooks secret``) and rotatable;
it cannot sign a session or a confirmation link. Each event is signed with
the secret in force when it happened.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import httpx

log = logging.getLogger(__name__)

WEBHOOK_ENV = "VEILLE_WEBHOOK_URLS"


def parse_urls(value: str | None) -> list[str]:
    """The http(s) URLs in a comma-separated list; others are dropped with a warning."""
    urls = []
    for part in (value or "").split(","):
        url = part.strip()
        if not url:
            continue
        if not url.startswith(("http://", "https://")):
            log.warning("ignoring webhook URL that is not http(s): %r", url)
            continue
        urls.append(url)
    return urls


def signature(key: bytes, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``body``: what ``X-Veille-Signature`` carries after ``sha256=``."""
    return hmac.new(key, body, hashlib.sha256).hexdigest()


class WebhookDispatcher:
    """A queue and one daemon thread that delivers events to every URL."""

    def __init__(
        self,
        urls: Sequence[str],
        signing: Callable[[], tuple[int, bytes]],
        *,
        attempts: int = 4,
        backoff_s: float = 0.5,
        timeout_s: float = 5.0,
    ) -> None:
        self.urls = list(urls)
        #: Returns (generation, HMAC key) of the webhook secret in force.
        self._signing = signing
        self.attempts = attempts
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self._queue: queue.Queue[tuple[dict[str, Any], int, bytes] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.delivered = 0
        self.failed = 0

    def notify(self, event: dict[str, Any]) -> None:
        """Queue an event, signed with the secret in force now; returns at once."""
        if not self.urls:
            return
        try:
            generation, key = self._signing()
        except Exception:  # the change is made; a lost notification must not undo the page
            log.exception("webhook event not sent: cannot read the webhook secret")
            self.failed += 1
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="veille-webhooks", daemon=True
                )
                self._thread.start()
        self._queue.put((event, generation, key))

    def flush(self, timeout_s: float = 30.0) -> bool:
        """Wait until queued events are delivered or given up (tests, shutdown)."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.02)
        return not self._queue.unfinished_tasks

    def close(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=self.timeout_s * 2)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_s, follow_redirects=False) as client:
            while True:
                item = self._queue.get()
                try:
                    if item is None:
                        return
                    event, generation, key = item
                    body = json.dumps(event, ensure_ascii=False, default=str).encode()
                    for url in self.urls:
                        self._deliver(client, url, body, generation, key)
                finally:
                    self._queue.task_done()

    def _deliver(
        self, client: httpx.Client, url: str, body: bytes, generation: int, key: bytes
    ) -> None:
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "veille-webhooks",
            "X-Veille-Signature": f"sha256={signature(key, body)}",
            "X-Veille-Key-Generation": str(generation),
        }
        for attempt in range(1, self.attempts + 1):
            try:
                response = client.post(url, content=body, headers=headers)
                if response.status_code < 400:
                    self.delivered += 1
                    return
                reason = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                reason = type(exc).__name__
            if attempt < self.attempts:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
        self.failed += 1
        log.warning(
            "webhook delivery to %s failed after %d attempts (%s)", url, self.attempts, reason
        )
