"""A small bounded cache whose entries expire: for per-request lookups (token checks, roles) that
a busy upload endpoint would otherwise repeat thousands of times a second. The TTL bounds how long
a change (deactivated account, removed member) can go unnoticed when nobody calls ``clear``."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class TtlCache(Generic[K, V]):
    def __init__(self, ttl: float, max_entries: int = 4096) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        hit = self._entries.get(key)
        if hit is None:
            return None
        if hit[0] < time.monotonic():
            self._entries.pop(key, None)
            return None
        self._entries.move_to_end(key)
        return hit[1]

    def put(self, key: K, value: V, ttl: float | None = None) -> None:
        self._entries[key] = (time.monotonic() + (self._ttl if ttl is None else ttl), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
