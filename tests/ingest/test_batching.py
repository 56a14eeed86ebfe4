"""The pieces that let many small uploads share work: the loop-side batcher, the loading cache
the upload path reads through, and the raw log's shared fsync."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from appliance.ingest.batcher import Batcher
from appliance.services.ttlcache import LoadingCache
from storage.rawlog import RawLog, RawLogError


async def test_items_of_one_loop_turn_share_a_batch_and_later_ones_the_next() -> None:
    batches: list[list[int]] = []
    release = threading.Event()
    pool = ThreadPoolExecutor(1)

    def run(items: list[int]) -> Future[list[int]]:
        batches.append(items)
        return pool.submit(lambda: (release.wait(10), [i * 10 for i in items])[1])

    batcher: Batcher[int, int] = Batcher("test", run, max_items=3)
    first = [batcher.submit(i) for i in range(5)]  # one turn: a batch of 3, the rest wait for it
    await asyncio.sleep(0.05)
    later = [batcher.submit(i) for i in (5, 6)]
    await asyncio.sleep(0.05)
    assert batches == [[0, 1, 2]]  # one batch at a time: nothing else starts while it runs
    release.set()
    assert await asyncio.gather(*first, *later) == [0, 10, 20, 30, 40, 50, 60]
    assert batches == [[0, 1, 2], [3, 4, 5], [6]]
    pool.shutdown()


async def test_a_failing_batch_is_retried_item_by_item_so_only_the_bad_item_fails() -> None:
    calls: list[list[int]] = []

    def run(items: list[int]) -> Future[list[int]]:
        calls.append(items)
        done: Future[list[int]] = Future()
        if 13 in items:
            done.set_exception(ValueError("13 is refused"))
        else:
            done.set_result([-i for i in items])
        return done

    batcher: Batcher[int, int] = Batcher("test", run)
    results = await asyncio.gather(*(batcher.submit(i) for i in (12, 13, 14)), return_exceptions=True)
    assert results[0] == -12 and results[2] == -14
    assert isinstance(results[1], ValueError)
    assert calls[0] == [12, 13, 14] and sorted(calls[1:]) == [[12], [13], [14]]


async def test_run_raising_at_once_fails_its_items_and_the_batcher_goes_on() -> None:
    fail = True

    def run(items: list[int]) -> Future[list[int]]:
        if fail:
            raise RuntimeError("writer closed")
        done: Future[list[int]] = Future()
        done.set_result(items)
        return done

    batcher: Batcher[int, int] = Batcher("test", run)
    with pytest.raises(RuntimeError, match="writer closed"):
        await batcher.submit(1)
    fail = False
    assert await batcher.submit(2) == 2


async def test_loading_cache_loads_once_for_many_callers_and_serves_stale_while_reloading() -> None:
    loads = 0
    gate = asyncio.Event()

    async def load() -> int:
        nonlocal loads
        loads += 1
        await gate.wait()
        return loads

    cache: LoadingCache[str, int] = LoadingCache(ttl=0.05)
    waiting = [asyncio.ensure_future(cache.get("k", load)) for _ in range(20)]
    await asyncio.sleep(0.01)
    gate.set()
    assert await asyncio.gather(*waiting) == [1] * 20 and loads == 1
    await asyncio.sleep(0.06)  # stale, but within the second TTL: served at once, reloaded behind
    gate.clear()
    assert await cache.get("k", load) == 1
    await asyncio.sleep(0)
    assert loads == 2
    gate.set()
    await asyncio.sleep(0.01)
    assert await cache.get("k", load) == 2


async def test_loading_cache_clear_wins_over_a_load_under_way_and_failures_are_not_kept() -> None:
    gate = asyncio.Event()
    answers = iter([1, 2])

    async def load() -> int:
        await gate.wait()
        return next(answers)

    cache: LoadingCache[str, int] = LoadingCache(ttl=10)
    running = asyncio.ensure_future(cache.get("k", load))
    await asyncio.sleep(0)
    cache.clear()  # e.g. a device was unclaimed while its context was being read
    gate.set()
    assert await running == 1
    assert await cache.get("k", load) == 2  # the first answer was not kept

    async def broken() -> int:
        raise LookupError("gone")

    with pytest.raises(LookupError):
        await cache.get("other", broken)
    assert await cache.get("other", load_value(7)) == 7


def load_value(value: int) -> Callable[[], Awaitable[int]]:
    async def load() -> int:
        return value
    return load


async def test_loading_cache_never_serves_past_a_values_own_lifetime() -> None:
    answers = iter([1, 2])

    async def load() -> int:
        return next(answers)

    cache: LoadingCache[str, int] = LoadingCache(ttl=10)
    assert await cache.get("k", load, lifetime=lambda _: 0.02) == 1
    await asyncio.sleep(0.03)  # expired for good (a token's expiry), not merely stale
    assert await cache.get("k", load, lifetime=lambda _: 0.02) == 2


def test_raw_log_appends_share_an_fsync_and_read_back(tmp_path: Path) -> None:
    log = RawLog(tmp_path / "raw", segment_bytes=64)
    log.open()
    try:
        chunks = [bytes([i]) * (10 + i) for i in range(8)]
        keys = log.append(chunks).result(10)
        assert [log.read(key) for key in keys] == chunks
        more = log.append([b"x" * 100]).result(10)  # over the segment size: a new segment starts
        assert log.read(more[0]) == b"x" * 100 and more[0].split(":")[0] != keys[0].split(":")[0]
        assert log.append([]).result(10) == []
        with pytest.raises(RawLogError):
            log.read("raw/../../etc/passwd:0:10")
        with pytest.raises(RawLogError):
            log.read(keys[0].rsplit(":", 1)[0] + ":99999")
    finally:
        log.close()
    with pytest.raises(RawLogError):
        log.append([b"after close"])
