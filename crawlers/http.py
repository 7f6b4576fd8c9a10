"""The polite HTTP client every source shares (and the pieces scrapy and tweepy reuse).

Politeness and resilience are written once here, never in a source:

- a token bucket per source (``requests_per_second``), shared by every
  request of that source, whatever library sends it;
- retries with exponential backoff and full jitter on timeouts, connection
  errors and 5xx;
- ``429``: ``Retry-After`` (seconds or HTTP date) or ``x-rate-limit-reset``
  (epoch seconds) is honoured when the wait is short; a longer wait raises
  :class:`RateLimited` so the runner defers the source instead of freezing;
- ``403`` and captcha pages raise :class:`Blocked`, kept apart from
  :class:`Down` (the service is unreachable or failing);
- an SSRF guard that resolves the host and refuses private, link-local,
  loopback and reserved addresses unless the settings allow them.

The same retry policy drives an :mod:`httpx` client (Mastodon, Bluesky,
Reddit, feeds) and a :mod:`requests` transport adapter (tweepy's session),
so both behave identically.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import requests
from requests.adapters import HTTPAdapter

from veille.errors import SourceError

if TYPE_CHECKING:
    from crawlers.base import CrawlContext

log = logging.getLogger(__name__)

USER_AGENT = "veille/0.1 (+https://github.com/veille; social listening for universities)"

# ---------------------------------------------------------------------------
# Typed errors: the runner maps each to a CrawlState status.
# ---------------------------------------------------------------------------


class FetchError(SourceError):
    """A fetch failed; ``status`` is the CrawlState status it leads to."""

    status = "down"


class Down(FetchError):
    """Timeouts, connection failures or 5xx that survived every retry."""

    status = "down"


class Blocked(FetchError):
    """The platform refuses us (403, captcha, robots): retrying will not help."""

    status = "blocked"


class RateLimited(FetchError):
    """A 429 whose reset is too far away to wait for; the source is deferred."""

    status = "rate_limited"

    def __init__(self, message: str, *, retry_at: float) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class PartialFailure(SourceError):
    """Some targets of a source failed after the others were stored (e.g. one bad feed)."""


class Refused(FetchError):
    """The SSRF guard refused the address (private, loopback, link-local...)."""

    status = "blocked"


# ---------------------------------------------------------------------------
# Token bucket
# ---------------------------------------------------------------------------


class TokenBucket:
    """``rate`` requests per second on average, bursts up to ``capacity``.

    Thread-safe, so scrapy-free sources with several threads (or tweepy's
    session) can share one bucket.
    """

    def __init__(
        self,
        rate: float,
        capacity: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = max(rate, 0.0)
        self.capacity = capacity if capacity is not None else max(1.0, self.rate)
        self._tokens = self.capacity
        self._clock = clock
        self._sleep = sleep
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping as needed; returns the seconds waited."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            wait = 0.0
            if self._tokens < 1.0:
                wait = (1.0 - self._tokens) / self.rate
            self._tokens -= 1.0
        if wait > 0:
            self._sleep(wait)
        return wait


# ---------------------------------------------------------------------------
# SSRF guard
# ---------------------------------------------------------------------------


def _forbidden_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return _forbidden_ip(ip.ipv4_mapped)
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


#: Hosts found to resolve only to public addresses, and when. A crawl asks
#: for hundreds of pages of one host; resolving it once a minute instead of
#: once a page keeps the guard off the critical path, and a minute bounds how
#: long a name re-pointed to an internal address would still be trusted.
PUBLIC_HOST_TTL_S = 60.0
_PUBLIC_HOSTS: dict[tuple[str, int], float] = {}


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse non-HTTP schemes and hosts resolving to internal addresses.

    Every address the name resolves to is checked, so a DNS name with one
    public and one private record is refused too.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise Refused(f"refusing {url!r}: only http and https are fetched")
    host = parts.hostname
    if not host:
        raise Refused(f"refusing {url!r}: no host")
    if allow_private:
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    key = (host, port)
    checked = _PUBLIC_HOSTS.get(key)
    if checked is not None and time.monotonic() - checked < PUBLIC_HOST_TTL_S:
        return
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise Down(f"cannot resolve {host}: {exc}") from exc
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if _forbidden_ip(ip):
            _PUBLIC_HOSTS.pop(key, None)
            raise Refused(
                f"refusing {url!r}: {host} resolves to {ip}, a private/loopback/link-local "
                "address (set allow_private_addresses = true only for tests and demos)"
            )
    if len(_PUBLIC_HOSTS) >= 4096:
        _PUBLIC_HOSTS.clear()
    _PUBLIC_HOSTS[key] = time.monotonic()


# ---------------------------------------------------------------------------
# Retry policy (one implementation for httpx and requests)
# ---------------------------------------------------------------------------

_CAPTCHA_MARKERS = (b"g-recaptcha", b"h-captcha", b"cf-challenge", b"captcha-delivery", b"/captcha")


class _Response(Protocol):
    status_code: int

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def content(self) -> bytes: ...


R = TypeVar("R", bound=_Response)


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Seconds to wait from ``Retry-After`` or ``x-rate-limit-reset``; None if absent."""
    now = time.time() if now is None else now
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value:
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - now)
    reset = headers.get("x-rate-limit-reset") or headers.get("X-Rate-Limit-Reset")
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - now)
    return None


def looks_like_captcha(body: bytes) -> bool:
    head = body[:20000].lower()
    return any(m in head for m in _CAPTCHA_MARKERS)


@dataclass
class RetryPolicy:
    """Exponential backoff with full jitter, bounded waits for 429."""

    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    #: Longest 429 wait slept in place; longer ones defer the source.
    max_rate_limit_wait: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    def backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))

    def run(self, send: Callable[[], R], *, url: str) -> R:
        """Call ``send`` until it succeeds, classifying what cannot be retried."""
        attempt = 0
        while True:
            try:
                response = send()
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                error: Exception = exc
                response = None
            except (requests.Timeout, requests.ConnectionError) as exc:
                error = exc
                response = None
            if response is not None:
                status = response.status_code
                if status == 429:
                    wait = retry_after_seconds(response.headers)
                    if wait is None:
                        wait = self.backoff(attempt)
                    if wait > self.max_rate_limit_wait:
                        raise RateLimited(
                            f"{url}: rate limited for {wait:.0f}s", retry_at=time.time() + wait
                        )
                    if attempt >= self.max_retries + 2:
                        raise RateLimited(
                            f"{url}: still rate limited after {attempt} attempts",
                            retry_at=time.time() + max(wait, 60.0),
                        )
                    log.info("%s: 429, waiting %.1fs", url, wait)
                    self.sleep(wait + random.uniform(0, 0.1))
                    attempt += 1
                    continue
                if status == 403:
                    raise Blocked(f"{url}: 403 Forbidden")
                if status >= 500:
                    error = Down(f"{url}: HTTP {status}")
                elif 200 <= status < 300 and looks_like_captcha(response.content):
                    raise Blocked(f"{url}: answered with a captcha page")
                else:
                    return response
            if attempt >= self.max_retries:
                raise Down(f"{url}: {error} (after {attempt + 1} attempts)") from error
            wait = self.backoff(attempt)
            log.info("%s: %s, retry %d in %.2fs", url, error, attempt + 1, wait)
            self.sleep(wait)
            attempt += 1


# ---------------------------------------------------------------------------
# The httpx client sources use
# ---------------------------------------------------------------------------


class PoliteClient:
    """An httpx client with the token bucket, retry policy and SSRF guard."""

    def __init__(
        self,
        *,
        requests_per_second: float = 1.0,
        allow_private: bool = False,
        timeout: float = 20.0,
        policy: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.bucket = TokenBucket(requests_per_second)
        self.policy = policy or RetryPolicy()
        self.allow_private = allow_private
        self.requests = 0
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
        )

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        max_redirects: int = 5,
    ) -> httpx.Response:
        """GET with politeness; redirects are followed by hand so each hop is checked."""
        for _ in range(max_redirects + 1):
            check_url(url, allow_private=self.allow_private)

            def send(u: str = url, p: Mapping[str, Any] | None = params) -> httpx.Response:
                self.bucket.acquire()
                self.requests += 1
                return self._client.get(u, params=dict(p) if p else None, headers=headers)

            response = self.policy.run(send, url=url)
            if response.is_redirect and "location" in response.headers:
                url = str(response.url.join(response.headers["location"]))
                params = None
                continue
            return response
        raise Down(f"{url}: too many redirects")

    def get_json(self, url: str, **kwargs: Any) -> Any:
        response = self.get(url, **kwargs)
        if response.status_code >= 400:
            raise Down(f"{url}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise Down(f"{url}: invalid JSON ({exc})") from exc

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------
# The requests adapter (tweepy's session)
# ---------------------------------------------------------------------------


class PoliteAdapter(HTTPAdapter):
    """A requests transport adapter applying the same politeness.

    Mounted on a library's :class:`requests.Session` (tweepy's
    ``client.session``), it optionally sends every request to ``base_url``
    instead of the hard-coded API host: that is how tests and the demo point
    tweepy at a replay server through public configuration only.
    """

    def __init__(
        self,
        *,
        bucket: TokenBucket,
        policy: RetryPolicy,
        allow_private: bool,
        base_url: str = "",
    ) -> None:
        super().__init__()
        self.bucket = bucket
        self.policy = policy
        self.allow_private = allow_private
        self.base = urlsplit(base_url) if base_url else None
        self.requests = 0

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        if self.base is not None and request.url:
            parts = urlsplit(request.url)
            prefix = self.base.path.rstrip("/")
            request.url = urlunsplit(
                (self.base.scheme, self.base.netloc, prefix + parts.path, parts.query, "")
            )
        url = request.url or ""
        check_url(url, allow_private=self.allow_private)

        def once() -> requests.Response:
            self.bucket.acquire()
            self.requests += 1
            return super(PoliteAdapter, self).send(request, **kwargs)

        return self.policy.run(once, url=url)


# ---------------------------------------------------------------------------
# Built from a source's settings
# ---------------------------------------------------------------------------


def retry_policy(options: Mapping[str, Any]) -> RetryPolicy:
    """The policy with a source's ``options`` knobs (tests shorten the waits)."""
    return RetryPolicy(
        max_retries=int(options.get("max_retries", 4)),
        backoff_base=float(options.get("backoff_base", 0.5)),
        backoff_max=float(options.get("backoff_max", 30.0)),
        max_rate_limit_wait=float(options.get("max_rate_limit_wait", 60.0)),
    )


def polite_client(ctx: CrawlContext, headers: Mapping[str, str] | None = None) -> PoliteClient:
    """The client a source uses: its rate, its retry knobs, the SSRF setting."""
    src = ctx.source
    return PoliteClient(
        requests_per_second=src.requests_per_second,
        allow_private=ctx.settings.allow_private_addresses,
        timeout=float(src.options.get("timeout", 20.0)),
        policy=retry_policy(src.options),
        headers=headers,
    )
