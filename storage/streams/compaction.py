"""Compaction: rewrite settled readings sorted by stream, so DuckDB stores and finds them cheaply.

Readings arrive interleaved (every upload is a few streams of one device among many devices), so a
DuckDB row group holds all streams and each stream's run is short. Both hurt: zone maps on
(project, device, variable) cannot skip a row group (a ``lastn`` read scans them all), and the
bit-packing of ``timestamp``, ``streamer_local_id`` and ``id`` pays for the jump between runs in
every 2,048-value group. Measured on 2M sensor readings (bench/ingest.py): 14 bytes per reading
as uploaded, 3.0 once merged (with per-stream ids, ids.py; 5.4 sorted with one global id sequence).

Every reading has a ``level``: 0 as written. A merge copies all rows of one level, sorted by
stream and time, into level + 1 and deletes the originals, in ONE DuckDB transaction: after a
crash either the copy or the originals are there, never both or neither. Levels grow by
``fanout`` (size-tiered, as an LSM tree), so a reading is rewritten about ``top`` times in its life
and the sorted runs get longer at each level.

The merge runs on its own cursor beside the writer: appends of new level-0 rows do not conflict
with it. An UPDATE or DELETE of existing readings does, and DuckDB does not always detect it (a
concurrent UPDATE of a row the merge deletes is silently lost, tested in test_compaction.py), so
the store's writer holds ``RewriteGate`` for any group that may change existing rows, and a merge
holds it for its whole transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb

from storage.streams.columns import DATA_COLUMNS, names
from storage.streams.schema import DATA_TABLE, LEVEL_COLUMN

LOGGER = logging.getLogger(__name__)

Conn = duckdb.DuckDBPyConnection

_ORDER = 'project, device, variable, "timestamp", streamer_local_id, id'
_COLUMNS = f"id, {names(DATA_COLUMNS)}"


@dataclass(frozen=True)
class Policy:
    """When to merge: level k merges once it holds ``first * fanout**k`` rows; ``top`` never does."""

    first: int = 1_000_000
    fanout: int = 8
    top: int = 3

    def threshold(self, level: int) -> int:
        return int(self.first * self.fanout**level)


@dataclass(frozen=True)
class Merge:
    source: tuple[int, ...]
    target: int
    rows: int
    seconds: float


class RewriteGate:
    """Mutual exclusion between a merge and writer groups that change existing readings."""

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @contextmanager
    def held(self) -> Iterator[None]:
        with self._lock:
            yield


def level_counts(cur: Conn) -> dict[int, int]:
    """Readings per level (a scan of one constant-compressed column: milliseconds at 50M)."""
    rows = cur.execute(f"SELECT {LEVEL_COLUMN}, count(*) FROM {DATA_TABLE} GROUP BY {LEVEL_COLUMN}").fetchall()  # noqa: S608
    return {int(level): int(count) for level, count in rows}


def due(counts: dict[int, int], policy: Policy) -> int | None:
    """The lowest level below ``top`` that is full, or None."""
    for level in sorted(counts):
        if level < policy.top and counts[level] >= policy.threshold(level):
            return level
    return None


def merge(cur: Conn, source: tuple[int, ...], target: int) -> int:
    """Copy the rows of ``source`` levels, sorted, into ``target`` and delete them, in one
    transaction on ``cur`` (which must not be inside one). Returns rows moved."""
    levels = ", ".join(str(int(level)) for level in source)
    cur.begin()
    try:
        cur.execute(f"INSERT INTO {DATA_TABLE} ({_COLUMNS}, {LEVEL_COLUMN}) "  # noqa: S608
                    f"SELECT {_COLUMNS}, {int(target)} FROM {DATA_TABLE} WHERE {LEVEL_COLUMN} IN ({levels}) "
                    f"ORDER BY {_ORDER}").fetchall()
        # The copies are at ``target``, not in ``source`` (a full merge's target is excluded by
        # the caller), so this deletes exactly the originals this transaction's snapshot saw.
        deleted = cur.execute(f"DELETE FROM {DATA_TABLE} WHERE {LEVEL_COLUMN} IN ({levels})").fetchall()  # noqa: S608
        cur.commit()
    except BaseException:
        cur.rollback()
        raise
    return int(deleted[0][0])


def compact(
    cur: Conn,
    gate: RewriteGate,
    policy: Policy,
    *,
    full: bool = False,
    progress: Callable[[str], None] | None = None,
) -> list[Merge]:
    """Merge every level that is due; ``full`` merges all readings into one sorted run."""
    done: list[Merge] = []
    while True:
        counts = level_counts(cur)
        plan = _full_plan(counts, policy) if full else _next_plan(counts, policy)
        if plan is None:
            break
        source, target = plan
        if progress is not None:
            levels = ", ".join(map(str, source))
            progress(f"sorting {sum(counts[level] for level in source):,} readings of level {levels}")
        started = time.perf_counter()
        with gate.held():
            rows = merge(cur, source, target)
        done.append(Merge(source, target, rows, time.perf_counter() - started))
        LOGGER.info("compaction: %d readings of levels %s merged into level %d in %.2f s",
                    rows, source, target, done[-1].seconds)
        if full:
            break
    if done:
        _checkpoint(cur)
    return done


def _next_plan(counts: dict[int, int], policy: Policy) -> tuple[tuple[int, ...], int] | None:
    """A due level goes up one, or further when it is already as big as a higher level's merges
    (a backlog of 20M readings goes straight to the level of 8M-64M runs, not through each)."""
    level = due(counts, policy)
    if level is None:
        return None
    target = level + 1
    while target < policy.top and counts[level] >= policy.threshold(target):
        target += 1
    return (level,), target


def _full_plan(counts: dict[int, int], policy: Policy) -> tuple[tuple[int, ...], int] | None:
    """All levels into one run. Full runs live at ``top + 1`` or ``top + 2``, alternating, so the
    copies never share a level with the rows they replace; a lone full run is left alone."""
    full_levels = (policy.top + 1, policy.top + 2)
    if not counts or (len(counts) == 1 and next(iter(counts)) in full_levels):
        return None
    target = full_levels[1] if full_levels[0] in counts else full_levels[0]
    return tuple(sorted(counts)), target


def _checkpoint(cur: Conn) -> None:
    """Hand the deleted row groups' blocks back for reuse; skipped (and left to DuckDB's own
    checkpoints) while another transaction is open."""
    try:
        cur.execute("CHECKPOINT").fetchall()
    except duckdb.Error as err:
        LOGGER.debug("checkpoint after compaction skipped: %s", err)
