"""StreamStore writes: group commit, refusal of bad batches, and isolation of failing tasks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from storage.streams import DataBatch, StreamSelector, StreamStore, StreamStoreError, WriteContext, writing
from storage.streams.ids import STREAM_BLOCK

T0 = np.datetime64(datetime(2024, 3, 1, 12), "us")
ALL = StreamSelector()


def readings(device: int, count: int, first_seq: int = 1) -> DataBatch:
    seq = np.arange(first_seq, first_seq + count)
    return DataBatch.for_stream(
        1, device, 0x5001, timestamp=T0 + seq.astype("timedelta64[s]"), streamer_local_id=seq, int_value=seq
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StreamStore]:
    with StreamStore(tmp_path / "streams.duckdb") as opened:
        yield opened


class Gate:
    """Holds the writer inside a task so that the tasks queued meanwhile form one group."""

    def __init__(self, store: StreamStore) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.future = store.write(self._hold)

    def _hold(self, ctx: WriteContext) -> None:
        self.entered.set()
        assert self.release.wait(10)

    def __enter__(self) -> Gate:
        assert self.entered.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.future.result(10)


def test_hundred_concurrent_appenders_all_commit_once(store: StreamStore) -> None:
    def upload(device: int) -> int:
        added = store.append_data(readings(device, count=device % 7 + 1)).result(30)
        assert store.count_data(StreamSelector(device=device)) == added  # reads run beside the writer
        return added

    with ThreadPoolExecutor(max_workers=100) as pool:
        counts = list(pool.map(upload, range(100)))

    assert counts == [device % 7 + 1 for device in range(100)]
    rows = store.query_data(ALL).rows
    assert rows.num_rows == sum(counts)
    ids = rows.column("id").to_pylist()
    assert len(set(ids)) == len(ids)
    by_device: dict[int, list[int]] = {}
    for row in rows.select(["device", "id"]).to_pylist():
        by_device.setdefault(row["device"], []).append(row["id"])
    for mine in by_device.values():  # each stream numbers its readings from its own block of ids
        assert sorted(mine) == list(range(min(mine), min(mine) + len(mine)))
    stats = {s["device"]: s["count"] for s in store.stream_stats(ALL).to_pylist()}
    assert stats == {device: device % 7 + 1 for device in range(100)}


def test_queued_appends_share_one_transaction_and_cluster_by_device(store: StreamStore) -> None:
    with Gate(store):
        futures = [store.append_data(readings(device, count=3)) for device in (5, 3, 4)]
    assert [f.result(10) for f in futures] == [3, 3, 3]

    rows = store.query_data(ALL, order="asc").rows.to_pylist()
    by_id = sorted(rows, key=lambda r: r["id"])
    assert [r["device"] for r in by_id] == [3, 3, 3, 4, 4, 4, 5, 5, 5]


BAD_BATCHES: dict[str, Callable[[], Any]] = {
    "mismatched lengths": lambda: DataBatch(
        project=np.ones(3), device=np.ones(3), variable=np.ones(2), timestamp=T0 + np.arange(3).astype("timedelta64[s]")
    ),
    "string ints": lambda: DataBatch.for_stream(1, 1, 1, timestamp=[T0, T0], int_value=np.array(["1", "2"])),
    "float timestamps": lambda: DataBatch.for_stream(1, 1, 1, timestamp=np.array([1.0, 2.0])),
    "NaN where int expected": lambda: DataBatch.for_stream(
        1, 1, 1, timestamp=[T0, T0], int_value=np.array([1.0, np.nan])
    ),
    "fraction where int expected": lambda: DataBatch.for_stream(
        1, 1, 1, timestamp=[T0], streamer_local_id=np.array([1.5])
    ),
    "oversized variable": lambda: DataBatch(
        project=np.array([1, 1]),
        device=np.array([1, 1]),
        variable=np.array([0x5001, 0x10000]),
        timestamp=np.array([T0, T0]),
    ),
    "negative device": lambda: DataBatch(
        project=np.array([1]), device=np.array([-1]), variable=np.array([1]), timestamp=np.array([T0])
    ),
    "unknown status": lambda: DataBatch.for_stream(1, 1, 1, timestamp=[T0], status=np.array([9], np.uint8)),
    "missing timestamp": lambda: DataBatch.for_stream(1, 1, 1, timestamp=np.array([T0, "NaT"], "datetime64[us]")),
    "masked device": lambda: DataBatch(
        project=np.array([1]),
        device=np.ma.masked_array([1], mask=[True]),
        variable=np.array([1]),
        timestamp=np.array([T0]),
    ),
    "arrow id column": lambda: pa.table(
        {"id": [1], "project": [1], "device": [1], "variable": [1], "timestamp": pa.array([0], pa.timestamp("us"))}
    ),
    "arrow without timestamp": lambda: pa.table({"project": [1], "device": [1], "variable": [1]}),
    "not a batch": lambda: {"project": [1]},
}


def test_a_group_larger_than_one_statement_keeps_ids_and_rows(
    store: StreamStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writing, "INSERT_ROWS", 7)  # as if each group were gigabytes
    with Gate(store):
        futures = [store.append_data(readings(device, count=10 + device)) for device in (3, 1, 2)]
    assert [f.result(10) for f in futures] == [13, 11, 12]

    rows = store.query_data(ALL).rows.to_pylist()
    by_id = sorted(rows, key=lambda r: r["id"])
    assert [(r["device"], r["int_value"]) for r in by_id[:12]] == [(1, n) for n in range(1, 12)] + [(2, 1)]
    firsts = {device: min(r["id"] for r in rows if r["device"] == device) for device in (1, 2, 3)}
    assert firsts == {1: 1, 2: 1 + STREAM_BLOCK, 3: 1 + 2 * STREAM_BLOCK}  # one id block per stream
    assert sorted(r["id"] for r in rows) == [firsts[d] + n for d, count in ((1, 11), (2, 12), (3, 13))
                                             for n in range(count)]


@pytest.mark.parametrize("make_batch", BAD_BATCHES.values(), ids=BAD_BATCHES.keys())
def test_bad_batch_is_refused_whole(store: StreamStore, make_batch: Callable[[], Any]) -> None:
    store.append_data(readings(1, count=5)).result()

    with pytest.raises(ValueError):
        store.append_data(make_batch())

    assert store.count_data(ALL) == 5
    assert store.append_data(readings(2, count=1)).result() == 1
    # the refused batch reserved nothing: device 2's block comes right after device 1's
    assert store.query_data(StreamSelector(device=2)).rows.column("id").to_pylist() == [1 + STREAM_BLOCK]


def test_failing_write_does_not_lose_its_neighbours(store: StreamStore) -> None:
    def broken(ctx: WriteContext) -> None:
        ctx.append_data(readings(8, count=4))
        raise RuntimeError("dedup state is corrupt")

    with Gate(store):
        before = store.append_data(readings(7, count=2))
        failing = store.write(broken, data=readings(9, count=3))
        after = store.append_data(readings(7, count=2, first_seq=3))
        bad_sql = store.write(lambda ctx: ctx.conn.execute("SELECT * FROM no_such_table").fetchall())

    assert (before.result(10), after.result(10)) == (2, 2)
    with pytest.raises(RuntimeError, match="corrupt"):
        failing.result(10)
    with pytest.raises(StreamStoreError, match="no_such_table"):
        bad_sql.result(10)
    assert store.query_data(ALL).rows.column("streamer_local_id").to_pylist() == [1, 2, 3, 4]
    assert store.count_data(StreamSelector(device=8)) + store.count_data(StreamSelector(device=9)) == 0


def test_writer_survives_a_task_that_raises_base_exception(store: StreamStore) -> None:
    def bail_out(ctx: WriteContext) -> None:
        ctx.conn.execute("CREATE TABLE half_done (n INTEGER)")
        raise SystemExit("stop")

    with pytest.raises(SystemExit):
        store.write(bail_out, data=readings(1, count=2)).result(10)
    assert store.append_data(readings(2, count=1)).result(10) == 1  # no transaction left open
    sql = "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half_done'"
    assert store.write(lambda ctx: ctx.conn.execute(sql).fetchall()).result(10) == [(0,)]
    assert store.count_data(ALL) == 1


def test_write_commits_its_function_and_rows_together(store: StreamStore) -> None:
    store.write(lambda ctx: ctx.conn.execute("CREATE TABLE last_ids (streamer INTEGER, last_id BIGINT)")).result()

    def ingest(ctx: WriteContext) -> int:
        added = ctx.append_data(readings(3, count=5))
        ctx.conn.execute("INSERT INTO last_ids VALUES (1, 5)")
        return added

    assert store.write(ingest, data=readings(4, count=1)).result(10) == 5
    assert store.count_data(ALL) == 6

    def rejected(ctx: WriteContext) -> None:
        ctx.conn.execute("INSERT INTO last_ids VALUES (1, 99)")
        raise ValueError("report refused")

    with pytest.raises(ValueError, match="refused"):
        store.write(rejected, data=readings(5, count=1)).result(10)
    last_ids = store.write(lambda ctx: ctx.conn.execute("SELECT last_id FROM last_ids").fetchall()).result()
    assert last_ids == [(5,)]
    assert store.count_data(ALL) == 6


def test_write_may_leave_a_result_unread(store: StreamStore) -> None:
    def sloppy(ctx: WriteContext) -> int:
        added = ctx.append_data(readings(2, count=3))
        ctx.conn.execute("CREATE TEMP TABLE IF NOT EXISTS scratch (n BIGINT)")
        ctx.conn.execute("INSERT INTO scratch SELECT * FROM range(100000) RETURNING n")  # never fetched
        return added

    with Gate(store):
        unread = store.write(sloppy)
        neighbour = store.append_data(readings(1, count=2))
    assert (unread.result(10), neighbour.result(10)) == (3, 2)


def test_cancelled_task_is_skipped(store: StreamStore) -> None:
    with Gate(store):
        doomed: Future[int] = store.append_data(readings(1, count=3))
        assert doomed.cancel()
        kept = store.append_data(readings(2, count=1))
    assert kept.result(10) == 1
    assert store.count_data(ALL) == 1


def test_close_finishes_queued_writes(tmp_path: Path) -> None:
    store = StreamStore(tmp_path / "streams.duckdb")
    store.open()
    futures = [store.append_data(readings(device, count=10)) for device in range(50)]
    store.close()
    assert all(f.result(0) == 10 for f in futures)
    with StreamStore(tmp_path / "streams.duckdb") as reopened:
        assert reopened.count_data(ALL) == 500


def test_device_ids_use_all_64_bits(store: StreamStore) -> None:
    archived = (0xFFFF << 48) | 0xFFFF_FFFF_FFFF  # highest data block of the highest device id
    store.append_data(DataBatch.for_stream(0, archived, 0xFFFF, timestamp=[T0])).result()
    rows = store.query_data(StreamSelector(project=0, device=archived, variable=0xFFFF)).rows
    assert rows.column("device").to_pylist() == [archived]


def test_empty_batch_resolves_without_a_commit(store: StreamStore) -> None:
    empty = DataBatch.for_stream(1, 1, 1, timestamp=np.array([], "datetime64[us]"))
    assert store.append_data(empty).result(0) == 0
