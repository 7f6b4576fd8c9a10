"""Name resolvers injected through the ``dns_resolver`` setting (``"module:function"``).

Importable by the scrapy child process as well, so every source kind meets
the same resolver. State lives in the module: each process starts afresh.
"""

from __future__ import annotations

from collections import Counter

#: A public address (never contacted: the tests that use it expect a refusal first).
PUBLIC = "93.184.215.14"

calls: Counter[str] = Counter()


def reset() -> None:
    calls.clear()


def rebinding(host: str, port: int) -> list[str]:
    """A hostile DNS: a public answer the first time a name is asked, loopback after."""
    calls[host] += 1
    return [PUBLIC] if calls[host] == 1 else ["127.0.0.1"]


def pinning(host: str, port: int) -> list[str]:
    """127.0.0.1 the first time a name is asked, 127.0.0.2 after (both loopback)."""
    calls[host] += 1
    return ["127.0.0.1"] if calls[host] == 1 else ["127.0.0.2"]
