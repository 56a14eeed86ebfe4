"""A small bounded cache whose entries expire: for per-request lookups (token checks, roles, device
contexts) that a busy upload endpoint would otherwise repeat thousands of times a second. The TTL
bounds how long a change (deactivated account, removed member) can go unnoticed when nobody calls
``clear``."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class LoadingCache(Generic[K, V]):
    """An expiring cache that loads on its own, for lookups on the upload path (who is calling,
    what a device's streams are). However many callers miss a key at once, one load runs and
    they all wait for it; an entry past its TTL is still served for up to another TTL while one
    reload runs behind it, so a busy endpoint never stalls on an expiry. A change is therefore
    seen within twice the TTL when nobody calls ``clear``; ``clear`` takes effect at once (a load
    already under way is not stored)."""

    def __init__(self, ttl: float, max_entries: int = 4096) -> None:
        self._ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[K, tuple[float, float, V]] = OrderedDict()
        self._loading: dict[K, asyncio.Future[V]] = {}
        self._generation = 0

    async def get(self, key: K, load: Callable[[], Awaitable[V]],
                  lifetime: Callable[[V], float | None] | None = None) -> V:
        """``lifetime(value)``, when given, caps how long that value may be served at all (a
        token's expiry), stale or not."""
        hit = self._entries.get(key)
        now = time.monotonic()
        if hit is not None:
            fresh_until, usable_until, value = hit
            if now < fresh_until:
                return value
            if now < usable_until:
                self._start(key, load, lifetime)
                return value
        return await asyncio.shield(self._start(key, load, lifetime))

    def _start(self, key: K, load: Callable[[], Awaitable[V]],
               lifetime: Callable[[V], float | None] | None) -> asyncio.Future[V]:
        running = self._loading.get(key)
        if running is None:
            running = self._loading[key] = asyncio.ensure_future(self._load(key, load, lifetime, self._generation))
            running.add_done_callback(lambda done: self._finished(key, done))
        return running

    def _finished(self, key: K, done: asyncio.Future[V]) -> None:
        self._loading.pop(key, None)
        if not done.cancelled():
            done.exception()  # marked as seen: a reload that fails behind a stale entry fails the next caller

    async def _load(self, key: K, load: Callable[[], Awaitable[V]],
                    lifetime: Callable[[V], float | None] | None, generation: int) -> V:
        value = await load()
        if generation == self._generation:
            now = time.monotonic()
            cap = lifetime(value) if lifetime is not None else None
            fresh = self._ttl if cap is None else min(self._ttl, cap)
            usable = 2 * self._ttl if cap is None else min(2 * self._ttl, cap)
            self._entries[key] = (now + fresh, now + usable, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)
        return value

    def discard(self, key: K) -> None:
        self._generation += 1
        self._entries.pop(key, None)

    def clear(self) -> None:
        self._generation += 1
        self._entries.clear()
