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
- an SSRF guard (:class:`AddressPolicy`): private, loopback, link-local and
  reserved addresses are refused unless their ``host:port`` is listed in
  ``allow_private_hosts``; every redirect hop is checked again; and each
  connection is opened to the very address that was checked (the httpx
  network backend, the urllib3 connection classes and the scrapy resolver
  all call :func:`pinned_address`), so a DNS answer that changes between the
  check and the connection (rebinding) cannot reach an internal service.

The same retry policy drives an :mod:`httpx` client (Mastodon, Bluesky,
Reddit, feeds, profile pages, ORCID) and a :mod:`requests` transport adapter
(tweepy's session), so both behave identically.
"""

from __future__ import annotations

import email.utils
import importlib
import ipaddress
import json
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast
from urllib.parse import parse_qs, urlsplit, urlunsplit

import httpcore
import httpx
import requests
from requests.adapters import HTTPAdapter

from veille.errors import ConfigError, SourceError
from veille.i18n import _

if TYPE_CHECKING:
    from crawlers.base import CrawlContext
    from veille.config import Settings

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


class Unreachable(Down):
    """No answer at all (connection refused, timeout) after every retry: the host is down.

    The runner then skips the other targets of the same host for this run.
    """


class ErrorBody(Down):
    """A 2xx answer whose body is the platform's error message instead of results."""

    def __init__(self, message: str, *, body: str = "") -> None:
        super().__init__(message)
        self.body = body


class Gone(Down):
    """404 or 410: the target does not exist (any more); the other targets go on."""


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
# SSRF guard: one address policy, checked where the connection is made
# ---------------------------------------------------------------------------

#: ``(host, port) -> IP addresses``; the system resolver or one named in the settings.
Resolver = Callable[[str, int], list[str]]


def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``getaddrinfo`` gives for ``host``, in its order, without duplicates."""
    infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    out: list[str] = []
    for info in infos:
        ip = str(info[4][0]).split("%", 1)[0]
        if ip not in out:
            out.append(ip)
    return out


def load_resolver(path: str) -> Resolver:
    """``"module:function"`` -> the function (empty: the system resolver)."""
    if not path:
        return system_resolver
    module, _sep, name = path.partition(":")
    try:
        fn = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(
            _("dns_resolver %(path)s cannot be imported: %(error)s")
            % {"path": repr(path), "error": exc}
        ) from exc
    if not callable(fn):
        raise ConfigError(_("dns_resolver %(path)s is not a function") % {"path": repr(path)})
    return cast(Resolver, fn)


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


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses the crawlers may connect to, and how names are resolved.

    Public addresses are always allowed. A private, loopback, link-local,
    reserved or multicast address is allowed only for a ``host:port`` listed in
    ``allow_private_hosts`` (host as written in the URL), or for every host
    with the deprecated ``allow_private_addresses``. The same policy object is
    used by the httpx transport, the requests adapter and the scrapy resolver,
    and it is applied where the socket is opened, to the address the socket
    is opened to.
    """

    allowed_hosts: frozenset[tuple[str, int]] = frozenset()
    allow_all_private: bool = False
    resolver_path: str = ""
    cache_seconds: float = 60.0

    @classmethod
    def from_settings(cls, settings: Settings) -> AddressPolicy:
        from veille.config import parse_host_port

        return cls(
            allowed_hosts=frozenset(parse_host_port(h) for h in settings.allow_private_hosts),
            allow_all_private=settings.allow_private_addresses,
            resolver_path=settings.dns_resolver,
            cache_seconds=settings.dns_cache_seconds,
        )

    def as_spec(self) -> dict[str, Any]:
        """JSON-ready form, for the scrapy child process."""
        return {
            "allowed_hosts": sorted(
                f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in self.allowed_hosts
            ),
            "allow_all_private": self.allow_all_private,
            "resolver": self.resolver_path,
            "cache_seconds": self.cache_seconds,
        }

    @classmethod
    def from_spec(cls, spec: Mapping[str, Any]) -> AddressPolicy:
        from veille.config import parse_host_port

        return cls(
            allowed_hosts=frozenset(parse_host_port(h) for h in spec.get("allowed_hosts", [])),
            allow_all_private=bool(spec.get("allow_all_private", False)),
            resolver_path=str(spec.get("resolver", "")),
            cache_seconds=float(spec.get("cache_seconds", 60.0)),
        )

    def permits(self, host: str, port: int, ip: str) -> bool:
        """May a connection for ``host:port`` go to ``ip``?"""
        address = ipaddress.ip_address(ip)
        if not _forbidden_ip(address):
            return True
        if address.is_multicast or address.is_unspecified:
            return False
        return self.allow_all_private or (_host_key(host), port) in self.allowed_hosts


#: Strict policy: only public addresses (what a fresh installation gets).
PUBLIC_ONLY = AddressPolicy()


def _host_key(host: str) -> str:
    return host.strip("[]").lower().rstrip(".")


#: The checked address in use for each (resolver, host, port), and until when.
#: Connections go to exactly this address, so a verdict is never applied to an
#: address other than the one it was given for; a minute bounds how long a name
#: re-pointed elsewhere keeps its old (checked) address.
_PINNED: dict[tuple[str, str, int], tuple[str, float]] = {}
_PINNED_LOCK = threading.Lock()


def pinned_address(host: str, port: int, policy: AddressPolicy, *, url: str = "") -> str:
    """The checked IP address to connect to for ``host:port``; :class:`Refused` if none.

    Every address the name resolves to is checked, so a name with one public
    and one private record is refused too. The answer is cached per policy
    resolver, host and port for ``policy.cache_seconds``.
    """
    shown = url or f"{host}:{port}"
    name = _host_key(host)
    if not name:
        raise Refused(f"refusing {shown!r}: no host")
    try:
        literal = ipaddress.ip_address(name)
    except ValueError:
        literal = None
    if literal is not None:
        ip = str(literal)
        if not policy.permits(name, port, ip):
            raise Refused(_refusal(shown, name, ip))
        return ip
    key = (policy.resolver_path, name, port)
    now = time.monotonic()
    with _PINNED_LOCK:
        cached = _PINNED.get(key)
    if cached is not None and now - cached[1] < policy.cache_seconds:
        ip = cached[0]
        if not policy.permits(name, port, ip):  # another policy may share the entry
            raise Refused(_refusal(shown, name, ip))
        return ip
    try:
        ips = load_resolver(policy.resolver_path)(name, port)
    except OSError as exc:
        raise Down(f"cannot resolve {name}: {exc}") from exc
    if not ips:
        raise Down(f"cannot resolve {name}: no address")
    for candidate in ips:
        if not policy.permits(name, port, candidate):
            with _PINNED_LOCK:
                _PINNED.pop(key, None)
            raise Refused(_refusal(shown, name, candidate))
    with _PINNED_LOCK:
        if len(_PINNED) >= 4096:
            _PINNED.clear()
        _PINNED[key] = (ips[0], now)
    return ips[0]


def _refusal(url: str, host: str, ip: str) -> str:
    return (
        f"refusing {url!r}: {host} resolves to {ip}, a private/loopback/link-local address "
        'not listed in allow_private_hosts (add "host:port" there only for a service you trust)'
    )


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def check_url(url: str, policy: AddressPolicy = PUBLIC_ONLY) -> str:
    """Refuse non-HTTP schemes and hosts the policy does not allow; return the checked IP.

    Called before each request and each redirect hop, for a clear refusal
    before any connection; the transports check again when they connect.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise Refused(f"refusing {url!r}: not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https"):
        raise Refused(f"refusing {url!r}: only http and https are fetched")
    host = parts.hostname
    if not host:
        raise Refused(f"refusing {url!r}: no host")
    return pinned_address(host, port or default_port(parts.scheme), policy, url=url)


# ---------------------------------------------------------------------------
# Pinned connections: httpx (httpcore network backend) and requests (urllib3)
# ---------------------------------------------------------------------------


class GuardedBackend(httpcore.SyncBackend):
    """Opens each TCP connection to the checked address of its host.

    httpcore asks the backend for a connection by host name; this backend
    resolves and checks the name once and connects to that address. The TLS
    layer above still uses the host name for SNI and certificate checks, and
    the request keeps its ``Host`` header.
    """

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        ip = pinned_address(host, port, self.policy)
        return super().connect_tcp(
            ip, port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )


class PinnedTransport(httpx.HTTPTransport):
    """``httpx.HTTPTransport`` whose connections go through :class:`GuardedBackend`.

    No proxy (an HTTP proxy would resolve names itself, after the check).
    """

    def __init__(self, policy: AddressPolicy, *, verify: bool = True) -> None:
        super().__init__(verify=verify, trust_env=False)
        limits = httpx.Limits()
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(policy),
        )


def _pinned_new_conn(conn: Any, policy: AddressPolicy) -> socket.socket:
    """urllib3's ``_new_conn``, to the checked address instead of the name."""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
    from urllib3.util.connection import create_connection

    ip = pinned_address(conn.host, conn.port, policy)
    try:
        return create_connection(
            (ip, conn.port),
            conn.timeout,
            source_address=conn.source_address,
            socket_options=conn.socket_options,
        )
    except TimeoutError as exc:
        raise ConnectTimeoutError(conn, f"connection to {conn.host} timed out") from exc
    except OSError as exc:
        raise NewConnectionError(conn, f"failed to connect to {conn.host}: {exc}") from exc


def pinned_pool_classes(policy: AddressPolicy) -> dict[str, type[Any]]:
    """urllib3 pool classes whose connections go to the checked address (requests, tweepy).

    TLS still verifies the certificate against the host name (urllib3 wraps
    the socket with ``server_hostname`` = the URL's host).
    """
    from urllib3.connection import HTTPConnection, HTTPSConnection
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    class Conn(HTTPConnection):
        def _new_conn(self) -> socket.socket:
            return _pinned_new_conn(self, policy)

    class TLSConn(HTTPSConnection):
        def _new_conn(self) -> socket.socket:
            return _pinned_new_conn(self, policy)

    class Pool(HTTPConnectionPool):
        ConnectionCls = Conn

    class TLSPool(HTTPSConnectionPool):
        ConnectionCls = TLSConn

    return {"http": Pool, "https": TLSPool}


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
                    error = Down(f"HTTP {status}")
                elif 200 <= status < 300 and looks_like_captcha(response.content):
                    raise Blocked(f"{url}: answered with a captcha page")
                else:
                    return response
            if attempt >= self.max_retries:
                failure = Down if response is not None else Unreachable
                raise failure(f"{url}: {error} (after {attempt + 1} attempts)") from error
            wait = self.backoff(attempt)
            log.info("%s: %s, retry %d in %.2fs", url, error, attempt + 1, wait)
            self.sleep(wait)
            attempt += 1


# ---------------------------------------------------------------------------
# The httpx client sources use
# ---------------------------------------------------------------------------


def raise_for_status(url: str, status: int) -> None:
    """Map an HTTP error status to the failure it means for the target."""
    if status in (401, 403, 451):
        reason = {401: "401 Unauthorized (credentials needed)", 451: "451 Unavailable"}
        raise Blocked(f"{url}: {reason.get(status, '403 Forbidden')}")
    if status in (404, 410):
        raise Gone(f"{url}: HTTP {status}")
    if status >= 400:
        raise Down(f"{url}: HTTP {status}")


def error_message(body: Any, expect: str | None = None) -> str | None:
    """The platform's error message when ``body`` is ``{"error": ...}`` instead of results."""
    if not isinstance(body, dict) or (expect is not None and expect in body):
        return None
    for key in ("error", "errors", "error_description"):
        if body.get(key):
            value = body[key]
            text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            message = body.get("message") or body.get("error_description") or ""
            return f"{text} {message}".strip()[:300]
    return None


def next_link(headers: Mapping[str, str]) -> str | None:
    """The ``rel="next"`` URL of an HTTP ``Link`` header (Mastodon pagination)."""
    value = headers.get("link") or headers.get("Link") or ""
    for part in value.split(","):
        if 'rel="next"' in part or "rel=next" in part:
            start, end = part.find("<"), part.find(">")
            if 0 <= start < end:
                return part[start + 1 : end].strip()
    return None


def query_param(url: str, name: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(name)
    return values[0] if values else None


class PoliteClient:
    """An httpx client with the token bucket, retry policy and SSRF guard.

    Redirects are followed here, hop by hop, each checked against the address
    policy; connections go through :class:`PinnedTransport`, so the address a
    socket is opened to is the one that was checked.
    """

    def __init__(
        self,
        *,
        requests_per_second: float = 1.0,
        policy: AddressPolicy = PUBLIC_ONLY,
        timeout: float = 20.0,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.bucket = TokenBucket(requests_per_second)
        self.retry = retry or RetryPolicy()
        self.policy = policy
        self.requests = 0
        self._client = httpx.Client(
            timeout=timeout,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            transport=PinnedTransport(policy),
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
        for _hop in range(max_redirects + 1):
            check_url(url, self.policy)

            def send(u: str = url, p: Mapping[str, Any] | None = params) -> httpx.Response:
                self.bucket.acquire()
                self.requests += 1
                return self._client.get(u, params=dict(p) if p else None, headers=headers)

            response = self.retry.run(send, url=url)
            if response.is_redirect and "location" in response.headers:
                try:
                    url = str(response.url.join(response.headers["location"]))
                except (httpx.InvalidURL, ValueError) as exc:
                    raise Down(f"{url}: invalid redirect location ({exc})") from exc
                params = None
                continue
            return response
        raise Down(f"{url}: too many redirects")

    def get_ok(self, url: str, **kwargs: Any) -> httpx.Response:
        """:meth:`get`, raising the matching failure for any 4xx/5xx answer."""
        response = self.get(url, **kwargs)
        raise_for_status(url, response.status_code)
        return response

    def get_json(self, url: str, *, expect: str | None = None, **kwargs: Any) -> Any:
        """Decoded JSON of a successful answer.

        ``expect`` names the key the results come under: a 200 whose body is
        ``{"error": ...}`` without it raises :class:`ErrorBody` (never "ok, 0 items").
        """
        return self.json_of(self.get_ok(url, **kwargs), expect=expect)

    @staticmethod
    def json_of(response: httpx.Response, *, expect: str | None = None) -> Any:
        url = str(response.url)
        try:
            body = response.json()
        except ValueError as exc:
            raise Down(f"{url}: invalid JSON ({exc})") from exc
        problem = error_message(body, expect)
        if problem is not None:
            raise ErrorBody(
                f"{url}: the platform answered an error: {problem}", body=response.text[:2000]
            )
        return body

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
    """A requests transport adapter applying the same politeness and address policy.

    Mount it on EVERY scheme of a library's :class:`requests.Session`
    (``http://`` and ``https://``, see :func:`guard_session`): the session
    follows redirects itself and sends each hop to the adapter of the hop's
    URL, so an adapter mounted for the API host alone would let a redirect to
    another host through unguarded. Requests to ``api_host`` are optionally
    sent to ``base_url`` instead (how tests and the demo point tweepy at a
    replay server through public configuration only). Its connection pools
    open sockets to the checked address (:func:`pinned_pool_classes`).
    """

    def __init__(
        self,
        *,
        bucket: TokenBucket,
        retry: RetryPolicy,
        policy: AddressPolicy = PUBLIC_ONLY,
        base_url: str = "",
        api_host: str = "",
    ) -> None:
        self.policy = policy  # before super(): it builds the pool manager
        super().__init__()
        self.bucket = bucket
        self.retry = retry
        self.base = urlsplit(base_url) if base_url else None
        self.api_host = api_host.lower()
        self.requests = 0

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = pinned_pool_classes(self.policy)

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        parts = urlsplit(request.url or "")
        if self.base is not None and (parts.hostname or "").lower() == self.api_host:
            prefix = self.base.path.rstrip("/")
            request.url = urlunsplit(
                (self.base.scheme, self.base.netloc, prefix + parts.path, parts.query, "")
            )
        url = request.url or ""
        check_url(url, self.policy)
        kwargs["proxies"] = {}  # a proxy would resolve names after our check

        def once() -> requests.Response:
            self.bucket.acquire()
            self.requests += 1
            return super(PoliteAdapter, self).send(request, **kwargs)

        return self.retry.run(once, url=url)


def guard_session(session: requests.Session, adapter: PoliteAdapter) -> None:
    """Route every request of ``session`` (redirect hops included) through ``adapter``."""
    session.trust_env = False  # no proxy from the environment: it would resolve names itself
    for prefix in ("http://", "https://"):
        session.mount(prefix, adapter)


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
    """The client a source uses: its rate, its retry knobs, the address policy."""
    src = ctx.source
    return PoliteClient(
        requests_per_second=src.requests_per_second,
        policy=AddressPolicy.from_settings(ctx.settings),
        timeout=float(src.options.get("timeout", 20.0)),
        retry=retry_policy(src.options),
        headers=headers,
    )
