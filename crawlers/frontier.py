"""A shared web frontier in Redis that loses nothing when a worker dies.

scrapy-redis keeps the queue and the duplicate filter of a crawl in Redis,
so several workers share them; but a request it pops is gone from Redis, and
the duplicate filter stops anyone from queueing it again. A worker killed
after popping (or after fetching, before its pages were stored) lost those
pages for good, and a re-run of the crawl id did nothing.

Here every pop moves the request, atomically, into the worker's own
*processing* hash (``<crawl>:processing:<worker>``). It leaves that hash only
when it is done with: its page was stored in the database with its batch
(the parent process acknowledges after the commit), it produced no page
(non-HTML, an error after retries, robots.txt), or it was put back in the
queue as a retry or a redirect. Each worker keeps a heartbeat key
(``<crawl>:alive:<worker>``, expiring after ``3 x heartbeat_seconds``); any
worker, or a later resume of the same crawl id, puts the in-flight requests
of a worker whose heartbeat expired back at the head of the queue. A crawl
is finished when its queue is empty and no worker holds requests in flight.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
#: Meta key of a popped request: its entry in the worker's processing hash.
KEY_META = "veille_frontier_key"

#: Pop one request and keep it in the worker's processing hash, atomically.
_POP = """
local data = redis.call('RPOP', KEYS[1])
if not data then return nil end
local key = redis.sha1hex(data)
redis.call('HSET', KEYS[2], key, data)
return {key, data}
"""

#: Mark a request seen and queue it, atomically (KEYS: queue, duplicate filter). Two
#: calls (scrapy-redis's SADD, then LPUSH) leave a window: a worker killed between
#: them left a URL that the filter calls seen and no queue holds, lost for every
#: worker and every resume.
_ENQUEUE_UNSEEN = """
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('LPUSH', KEYS[1], ARGV[2])
return 1
"""

#: Put a worker's in-flight requests back at the head of the queue unless it is alive.
_REQUEUE = """
if ARGV[2] == '1' and redis.call('EXISTS', KEYS[4]) == 1 then return -1 end
local values = redis.call('HVALS', KEYS[1])
for _, data in ipairs(values) do redis.call('RPUSH', KEYS[2], data) end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[1])
return #values
"""


def frontier_key(prefix: str, spider: str, part: str) -> str:
    """Redis key of one part (``requests``, ``dupefilter``, ...) of a crawl's shared frontier."""
    return f"{prefix}:{spider}:{part}"


class Frontier:
    """One worker's handle on a crawl's shared frontier (both processes of a worker use one)."""

    def __init__(
        self,
        client: Any,
        prefix: str,
        spider: str,
        worker: str,
        heartbeat_seconds: float = 10.0,
    ) -> None:
        self.client = client
        self.prefix = prefix
        self.spider = spider
        self.worker = worker
        self.heartbeat_seconds = heartbeat_seconds
        self.requests = frontier_key(prefix, spider, "requests")
        self.workers = frontier_key(prefix, spider, "workers")
        self.dupefilter = frontier_key(prefix, spider, "dupefilter")
        self._pop = client.register_script(_POP)
        self._enqueue_unseen = client.register_script(_ENQUEUE_UNSEEN)
        self._requeue = client.register_script(_REQUEUE)

    @classmethod
    def from_spec(cls, spec: dict[str, Any], client: Any | None = None) -> Frontier:
        import redis

        return cls(
            client or redis.Redis.from_url(spec.get("redis_url", DEFAULT_REDIS_URL)),
            spec.get("redis_prefix", "veille"),
            spec["spider_name"],
            spec["worker_id"],
            float(spec.get("heartbeat_seconds", 10.0)),
        )

    def processing(self, worker: str | None = None) -> str:
        return frontier_key(self.prefix, self.spider, f"processing:{worker or self.worker}")

    def alive_key(self, worker: str | None = None) -> str:
        return frontier_key(self.prefix, self.spider, f"alive:{worker or self.worker}")

    # -- the worker's life ----------------------------------------------------------------

    def register(self) -> None:
        """Announce this worker (before it pops anything) and start its heartbeat."""
        self.client.sadd(self.workers, self.worker)
        self.beat()

    def beat(self) -> None:
        ttl = max(1, round(3 * self.heartbeat_seconds * 1000))
        self.client.set(self.alive_key(), b"1", px=ttl)

    def release(self) -> int:
        """This worker is done: requeue what it still holds, then forget it."""
        count = self._requeue_worker(self.worker, only_if_dead=False)
        self.client.delete(self.alive_key())
        if count:
            log.info("%d request(s) of this worker went back to the queue", count)
        return count

    # -- requests -------------------------------------------------------------------------

    def pop(self) -> tuple[str, bytes] | None:
        """Pop one request into this worker's processing hash: ``(key, serialized)``."""
        found = self._pop(keys=[self.requests, self.processing()])
        if not found:
            return None
        key, data = found
        return (key.decode() if isinstance(key, bytes) else str(key)), data

    def enqueue_unseen(self, fingerprint: str, data: bytes) -> bool:
        """Queue a request unless its fingerprint was seen: False when it was (nothing queued)."""
        keys = [self.requests, self.dupefilter]
        added = self._enqueue_unseen(keys=keys, args=[fingerprint, data])
        return bool(int(added))

    def ack(self, keys: Iterable[str]) -> None:
        """Done with these requests (their pages are stored, or they had none)."""
        keys = [k for k in keys if k]
        if keys:
            self.client.hdel(self.processing(), *keys)

    # -- other workers --------------------------------------------------------------------

    def requeue_orphans(self) -> int:
        """Put back the in-flight requests of every worker whose heartbeat expired."""
        total = 0
        for raw in self.client.smembers(self.workers):
            worker = raw.decode() if isinstance(raw, bytes) else str(raw)
            if worker == self.worker:
                continue
            count = self._requeue_worker(worker, only_if_dead=True)
            if count > 0:
                log.warning("worker %s died: %d request(s) back in the queue", worker, count)
                total += count
        return total

    def _requeue_worker(self, worker: str, *, only_if_dead: bool) -> int:
        result = self._requeue(
            keys=[self.processing(worker), self.requests, self.workers, self.alive_key(worker)],
            args=[worker, "1" if only_if_dead else "0"],
        )
        return int(result)

    def busy_elsewhere(self) -> bool:
        """Whether the crawl is unfinished: requests queued, or in flight at another worker."""
        if self.client.llen(self.requests):
            return True
        for raw in self.client.smembers(self.workers):
            worker = raw.decode() if isinstance(raw, bytes) else str(raw)
            if worker != self.worker and self.client.hlen(self.processing(worker)):
                return True
        return False

    def expire(self, seconds: int) -> None:
        """Let the crawl's keys expire ``seconds`` after this worker closes."""
        keys = [self.requests, self.dupefilter]
        for raw in self.client.smembers(self.workers):
            worker = raw.decode() if isinstance(raw, bytes) else str(raw)
            keys.append(self.processing(worker))
        keys.append(self.workers)
        for key in keys:
            self.client.expire(key, seconds)
