"""Compaction: merged levels keep every reading exactly once, reads do not change, appends and
rewrites beside a merge are neither lost nor duplicated, and a crash mid-merge loses nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pytest

from storage.streams import DataBatch, StreamSelector, StreamStore, StreamStoreError, WriteContext
from storage.streams.compaction import Policy

T0 = np.datetime64("2026-01-01T00:00:00", "us")
ALL = StreamSelector()
ROOT = Path(__file__).resolve().parents[2]


def upload(device: int, variable: int, first: int, count: int) -> DataBatch:
    """One upload's worth of a stream: seq ids first.., a reading every 10 s, a slow walk."""
    seq = np.arange(first, first + count)
    return DataBatch.for_stream(1, device, variable, timestamp=T0 + (seq * 10).astype("timedelta64[s]"),
                                device_timestamp=seq * 10, streamer_local_id=seq,
                                int_value=2200 + seq % 7, value=(2200 + seq % 7) / 100)


def fill(store: StreamStore, rounds: int, devices: int = 4, per_upload: int = 25, after: int = 0) -> None:
    """Uploads interleaved across devices and streams, as they arrive from a site."""
    futures: list[Future[int]] = []
    for r in range(after, after + rounds):
        for device in range(devices):
            for variable in (0x5001, 0x5002):
                futures.append(store.append_data(upload(0x100 + device, variable, 1 + r * per_upload, per_upload)))
    for future in futures:
        future.result(30)


def snapshot(store: StreamStore) -> list[tuple[object, ...]]:
    """Every stored reading, all columns, in a fixed order."""
    rows = store.read(lambda cur: cur.execute(
        "SELECT id, project, device, variable, timestamp, device_timestamp, streamer_local_id, int_value, value, "
        "status, type, dirty_ts FROM stream_data ORDER BY id").fetchall())
    return list(rows)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StreamStore]:
    with StreamStore(tmp_path / "streams.duckdb", policy=Policy(first=400, fanout=4, top=2)) as opened:
        yield opened


def test_a_due_level_is_merged_sorted_and_reads_do_not_change(store: StreamStore) -> None:
    fill(store, rounds=4)  # 800 readings at level 0
    before = snapshot(store)
    stream = StreamSelector(1, 0x102, 0x5002)
    lastn = store.query_data(stream, lastn=30).rows.to_pylist()
    window = store.query_data(stream, start=datetime(2026, 1, 1, 0, 5), end=datetime(2026, 1, 1, 0, 9)).rows.to_pylist()

    merges = store.compact()

    assert [(m.source, m.target, m.rows) for m in merges] == [((0,), 1, 800)]
    assert store.level_counts() == {1: 800}
    assert snapshot(store) == before
    assert store.query_data(stream, lastn=30).rows.to_pylist() == lastn
    assert store.query_data(stream, start=datetime(2026, 1, 1, 0, 5),
                            end=datetime(2026, 1, 1, 0, 9)).rows.to_pylist() == window
    physical = store.read(lambda cur: cur.execute(
        "SELECT device, variable, streamer_local_id FROM stream_data").fetchall())
    assert physical == sorted(physical)  # stored in stream order, one run per stream


def test_nothing_is_due_below_the_threshold(store: StreamStore) -> None:
    fill(store, rounds=1)
    assert store.compact() == []
    assert store.level_counts() == {0: 200}


def test_levels_cascade_by_fanout(store: StreamStore) -> None:
    seen = []
    for step in range(4):  # 400 readings a step; level 1 merges on at 1,600 = 400 * 4
        fill(store, rounds=2, after=2 * step)
        store.compact()
        seen.append(store.level_counts())
    assert seen == [{1: 400}, {1: 800}, {1: 1200}, {2: 1600}]
    ids = [row[0] for row in snapshot(store)]
    assert len(set(ids)) == 1600


def test_a_full_merge_makes_one_run_and_folds_the_previous_one_in(store: StreamStore) -> None:
    fill(store, rounds=3)
    store.compact()
    fill(store, rounds=1, after=3)
    first = store.compact(full=True)
    assert [m.target for m in first] == [3]
    assert store.level_counts() == {3: 800}
    assert store.compact(full=True) == []  # a lone full run is left alone

    fill(store, rounds=1, after=4)
    before = snapshot(store)
    second = store.compact(full=True)
    assert [(m.source, m.target) for m in second] == [((0, 3), 4)]
    assert store.level_counts() == {4: 1000}
    assert snapshot(store) == before


def test_appends_beside_a_merge_are_kept_once(store: StreamStore) -> None:
    fill(store, rounds=8)
    stop = threading.Event()
    added: list[int] = []

    def keep_uploading() -> None:
        r = 100
        while not stop.is_set() and r < 400:
            added.append(store.append_data(upload(0x200, 0x5001, 1 + r * 10, 10)).result(30))
            r += 1

    uploader = threading.Thread(target=keep_uploading)
    uploader.start()
    try:
        for _ in range(5):
            store.compact(full=True)
            fill(store, rounds=1, devices=1)
    finally:
        stop.set()
        uploader.join(30)
    ids = [row[0] for row in snapshot(store)]
    assert len(ids) == len(set(ids)) == 1600 + 5 * 50 + sum(added)
    assert store.count_data(StreamSelector(1, 0x200, 0x5001)) == sum(added)


def test_duckdb_loses_an_update_beside_a_merge_so_rewrites_wait_for_the_gate(tmp_path: Path) -> None:
    """Why the gate exists: DuckDB lets a merge delete a row another transaction updated, silently."""
    db = duckdb.connect(str(tmp_path / "bare.duckdb"))
    db.execute("CREATE TABLE t (id INT, device INT, level INT DEFAULT 0)")
    db.execute("INSERT INTO t (id, device) SELECT i, i % 3 FROM range(300) r(i)")
    merge, writer = db.cursor(), db.cursor()
    merge.begin()
    merge.execute("INSERT INTO t SELECT id, device, 1 FROM t WHERE level = 0 ORDER BY device, id")
    writer.execute("UPDATE t SET device = 9 WHERE device = 1")
    merge.execute("DELETE FROM t WHERE level = 0")
    merge.commit()
    assert db.execute("SELECT count(*) FILTER (WHERE device = 9) FROM t").fetchone() == (0,)  # the update is gone
    db.close()


def test_a_rewrite_waits_for_a_merge_and_lands_on_the_merged_rows(store: StreamStore) -> None:
    fill(store, rounds=4)
    gate_held, release = threading.Event(), threading.Event()

    def slow_merge() -> list[object]:
        with store._gate.held():  # as a merge holds it for its transaction
            gate_held.set()
            release.wait(30)
        return list(store.compact())

    result: list[object] = []
    merger = threading.Thread(target=lambda: result.extend(slow_merge()))
    merger.start()
    assert gate_held.wait(10)
    moved = store.write(lambda ctx: ctx.conn.execute(
        "UPDATE stream_data SET device = 2457 WHERE device = 257").fetchall()[0][0])
    time.sleep(0.2)
    assert not moved.done()  # a rewrite does not run while a merge may be deleting its rows
    release.set()
    assert moved.result(30) == 200
    merger.join(30)
    assert store.count_data(StreamSelector(device=2457)) == 200
    assert store.count_data(StreamSelector(device=0x101)) == 0
    assert sum(store.level_counts().values()) == 800


def test_appends_only_writes_do_not_wait_for_the_gate(store: StreamStore) -> None:
    with store._gate.held():
        def add(ctx: WriteContext) -> int:
            return ctx.append_data(upload(0x300, 0x5001, 1, 5))

        assert store.write(add, appends_only=True).result(10) == 5
        assert store.append_data(upload(0x300, 0x5002, 1, 5)).result(10) == 5


def test_a_delete_beside_a_merge_is_never_undone(store: StreamStore) -> None:
    fill(store, rounds=8)
    merger = threading.Thread(target=lambda: store.compact(full=True))
    merger.start()
    deleted = store.delete_data(StreamSelector(device=0x103)).result(30)
    merger.join(30)
    assert deleted == 400
    assert store.count_data(StreamSelector(device=0x103)) == 0
    assert store.count_data(ALL) == 1200


def test_closing_interrupts_a_merge_and_keeps_everything(tmp_path: Path) -> None:
    path = tmp_path / "streams.duckdb"
    with StreamStore(path) as store:
        big = 2_000_000
        seq = np.arange(big)
        store.append_data(DataBatch.for_stream(1, 5, 0x5001, timestamp=T0 + seq.astype("timedelta64[s]"),
                                               streamer_local_id=seq, int_value=seq)).result(120)
        failures: list[BaseException] = []

        def merge() -> None:
            try:
                store.compact(full=True)
            except StreamStoreError as err:
                failures.append(err)

        merger = threading.Thread(target=merge)
        merger.start()
        time.sleep(0.05)
    merger.join(60)
    with StreamStore(path) as store:
        assert store.count_data(ALL) == big
        assert store.read(lambda cur: cur.execute("SELECT count(DISTINCT id) FROM stream_data").fetchone()) == (big,)


CRASHER = textwrap.dedent("""
    import sys
    import numpy as np
    sys.path.insert(0, sys.argv[2])
    from storage.streams import DataBatch, StreamStore
    T0 = np.datetime64("2026-01-01T00:00:00", "us")
    store = StreamStore(sys.argv[1])
    store.open()
    if store.count_data(__import__("storage.streams", fromlist=["StreamSelector"]).StreamSelector()) == 0:
        for device in range(40):
            seq = np.arange(1, 25_001)
            store.append_data(DataBatch.for_stream(1, device, 0x5001, timestamp=T0 + seq.astype("timedelta64[s]"),
                                                   streamer_local_id=seq, int_value=seq)).result()
    print("ready", flush=True)
    while True:
        store.compact(full=True)
        seq = np.arange(1, 11)
        store.append_data(DataBatch.for_stream(1, 999, 0x5001, timestamp=T0 + seq.astype("timedelta64[s]"),
                                               streamer_local_id=seq, int_value=seq)).result()
""")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs kill -9")
def test_kill_during_merges_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    path = tmp_path / "streams.duckdb"
    script = tmp_path / "crasher.py"
    script.write_text(CRASHER)
    rng = random.Random(5)
    for attempt in range(3):
        proc = subprocess.Popen([sys.executable, str(script), str(path), str(ROOT)], stdout=subprocess.PIPE,
                                text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 1.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        with StreamStore(path) as store:
            rows = store.read(lambda cur: cur.execute(
                "SELECT count(*), count(DISTINCT id), count(*) FILTER (WHERE device < 40) FROM stream_data").fetchone())
            assert rows is not None
            total, distinct, original = rows
            assert total == distinct, f"attempt {attempt}: duplicated readings after a crash"
            assert original == 40 * 25_000, f"attempt {attempt}: readings lost after a crash"


def test_a_backlog_as_big_as_a_higher_level_goes_straight_there(store: StreamStore) -> None:
    fill(store, rounds=9)  # 1,800 readings: past level 1's 1,600 as well as level 0's 400
    merges = store.compact()
    assert [(m.source, m.target) for m in merges] == [((0,), 2)]
    assert store.level_counts() == {2: 1800}
