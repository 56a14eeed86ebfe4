"""Row ids and report sequence numbers, handed out from blocks reserved in the counters table.

Ids must never be reused (a trimmed reading's id stays retired), so the next free id is persisted.
Persisting it on every group commit cost an UPDATE (~4 ms on this machine) per commit; reserving a
block of ids per UPDATE and handing them out from memory costs one UPDATE per block. The
reservation commits with the first group that uses it; a group that rolls back drops the block, and
a crash only leaves a gap, never a duplicate.
"""

from __future__ import annotations

import duckdb

BLOCK = 1 << 20


class IdBlocks:
    """Owned by the writer thread (one per store); not thread-safe by design."""

    def __init__(self, block: int = BLOCK) -> None:
        self._block = block
        self._free: dict[str, tuple[int, int]] = {}

    def take(self, conn: duckdb.DuckDBPyConnection, name: str, count: int) -> int:
        """The first of ``count`` consecutive fresh ids for counter ``name``."""
        start, limit = self._free.get(name, (0, 0))
        if start + count > limit:
            size = max(count, self._block)
            rows = conn.execute("UPDATE counters SET value = value + ? WHERE name = ? RETURNING value",
                                [size, name]).fetchall()
            limit = int(rows[0][0])
            start = limit - size
        self._free[name] = (start + count, limit)
        return start

    def forget(self) -> None:
        """After a rollback the reservation may not have committed: reserve afresh."""
        self._free.clear()
