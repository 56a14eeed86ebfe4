"""Re-keying a device's rows under a data block: set-based, exact, and all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from storage.streams import DataBatch, EventBatch, StreamSelector, StreamStore, WriteContext, ledger, rekey
from storage.streams.ledger import ReportEntry

T0 = np.datetime64(datetime(2024, 3, 1, 12), "us")
DEVICE, OTHER, PROJECT = 0x1234, 0x9999, 7
BLOCK_KEY = (1 << 48) | DEVICE


def readings(project: int, device: int, variable: int, count: int) -> DataBatch:
    seq = np.arange(1, count + 1)
    return DataBatch.for_stream(project, device, variable, timestamp=T0 + seq.astype("timedelta64[s]"),
                                streamer_local_id=seq, int_value=seq * 10, value=seq * 0.5)


def events(project: int, device: int, count: int) -> EventBatch:
    seq = np.arange(1, count + 1)
    return EventBatch(project=np.full(count, project, np.uint32), device=np.full(count, device, np.uint64),
                      variable=np.full(count, 0x5A07, np.uint16), timestamp=T0 + seq.astype("timedelta64[s]"),
                      streamer_local_id=seq, blob_key=[f"events/{device:x}-{i}.json" for i in seq],
                      extra_data=[{"n": int(i)} for i in seq])


def entry(device: int, last_id: int) -> ReportEntry:
    return ReportEntry(uuid=f"u-{device}-{last_id}", device=device, streamer=0, selector=0xD7FF, created_by=None,
                       received=datetime(2024, 3, 1, 13), device_sent_timestamp=10, incremental_id=last_id,
                       original_first_id=1, original_last_id=last_id, actual_first_id=1, actual_last_id=last_id,
                       stored_readings=last_id, stored_events=0, chopped=False, blob_key=None, last_id=last_id)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StreamStore]:
    with StreamStore(tmp_path / "streams.duckdb") as opened:
        for batch in (readings(PROJECT, DEVICE, 0x5001, 50), readings(PROJECT, DEVICE, 0x5A05, 3),
                      readings(PROJECT + 1, DEVICE, 0x5001, 4), readings(PROJECT, OTHER, 0x5001, 5)):
            opened.append_data(batch).result(10)
        opened.append_events(events(PROJECT, DEVICE, 6)).result(10)

        def log(ctx: WriteContext) -> None:
            ctx.ledger.record(entry(DEVICE, 53))
            ctx.ledger.record(entry(OTHER, 5))

        opened.write(log).result(10)
        yield opened


def table(store: StreamStore, sql: str) -> list[tuple[Any, ...]]:
    return store.read(lambda cur: cur.execute(sql).fetchall())


def everything(store: StreamStore) -> dict[str, list[tuple[Any, ...]]]:
    return {"data": table(store, "SELECT * FROM stream_data ORDER BY id"),
            "events": table(store, "SELECT * FROM stream_events ORDER BY id"),
            "ledger": table(store, "SELECT * FROM report_log ORDER BY seq")}


def test_archive_moves_one_device_in_one_project_and_nothing_else(store: StreamStore) -> None:
    before = everything(store)
    move = rekey.Rekey.into_block(PROJECT, DEVICE, 1)
    moved = store.write(lambda ctx: rekey.archive_device(ctx.conn, move)).result(10)
    assert moved == rekey.Moved(readings=53, events=6, ledger_entries=1)
    after = everything(store)
    for name in ("data", "events"):
        old, new = before[name], after[name]
        assert len(old) == len(new)
        for row_before, row_after in zip(old, new, strict=True):
            if row_before[1:3] == (PROJECT, DEVICE):  # (project, device) re-keyed; id, time, values as they were
                assert row_after[1:3] == (0, BLOCK_KEY)
                assert row_after[0] == row_before[0] and row_after[3:] == row_before[3:]
            else:
                assert row_after == row_before
    assert [row[2] for row in after["ledger"]] == [OTHER]  # the device's streamers are forgotten
    assert store.read(lambda c: ledger.state_of(c, DEVICE, 0)) is None
    block = store.query_data(StreamSelector(device=BLOCK_KEY))
    assert block.total == 53 and set(block.numpy()["project"].tolist()) == {0}
    assert store.count_data(StreamSelector(project=PROJECT + 1, device=DEVICE)) == 4  # another project's stay


def test_a_failure_inside_the_transaction_leaves_everything_as_it_was(store: StreamStore) -> None:
    before = everything(store)
    move = rekey.Rekey.into_block(PROJECT, DEVICE, 1)

    def fails_halfway(ctx: WriteContext) -> None:
        moved = rekey.archive_device(ctx.conn, move)
        assert moved.readings == 53  # the UPDATEs ran...
        raise RuntimeError("disk on fire")  # ...and the transaction dies before its commit

    with pytest.raises(RuntimeError, match="disk on fire"):
        store.write(fails_halfway).result(10)
    assert everything(store) == before
    assert store.count_data(StreamSelector(device=BLOCK_KEY)) == 0


def test_a_failing_statement_rolls_back_the_statements_before_it(store: StreamStore) -> None:
    before = everything(store)

    def second_table_fails(ctx: WriteContext) -> None:
        rekey.move_rows(ctx.conn, rekey.Rekey(PROJECT, DEVICE, 0, BLOCK_KEY))
        ctx.conn.execute("UPDATE stream_events SET project = -1 WHERE device = ?", [BLOCK_KEY])  # UINTEGER: fails

    with pytest.raises(Exception, match="(?i)out of range|conversion|overflow"):
        store.write(second_table_fails).result(10)
    assert everything(store) == before


def test_running_the_move_again_moves_nothing(store: StreamStore) -> None:
    move = rekey.Rekey.into_block(PROJECT, DEVICE, 2)
    store.write(lambda ctx: rekey.archive_device(ctx.conn, move)).result(10)
    again = store.write(lambda ctx: rekey.archive_device(ctx.conn, move)).result(10)
    assert again == rekey.Moved(0, 0, 0)
    assert store.count_data(StreamSelector(device=(2 << 48) | DEVICE)) == 53


def test_block_keys_refuse_what_cannot_be_a_block() -> None:
    for block, device in ((0, DEVICE), (1 << 16, DEVICE), (1, BLOCK_KEY)):
        with pytest.raises(ValueError, match="cannot form"):
            rekey.Rekey.into_block(PROJECT, device, block)


def test_counts_and_delete_of_a_block(store: StreamStore) -> None:
    move = rekey.Rekey.into_block(PROJECT, DEVICE, 1)
    store.write(lambda ctx: rekey.archive_device(ctx.conn, move)).result(10)
    counts = store.read(lambda cur: rekey.stream_counts(cur, BLOCK_KEY))
    assert [(c.project, c.device, c.variable, c.readings, c.events) for c in counts] == [
        (0, BLOCK_KEY, 0x5001, 50, 0), (0, BLOCK_KEY, 0x5A05, 3, 0), (0, BLOCK_KEY, 0x5A07, 0, 6)]
    deleted = store.write(lambda ctx: rekey.delete_device_rows(ctx.conn, BLOCK_KEY)).result(10)
    assert (deleted.readings, deleted.events) == (53, 6)
    assert sorted(deleted.blob_keys) == sorted(f"events/{DEVICE:x}-{i}.json" for i in range(1, 7))
    assert store.read(lambda cur: rekey.stream_counts(cur, BLOCK_KEY)) == []
    assert store.count_data(StreamSelector()) == 9  # the other project's and the other device's rows
