"""Keeps the metadata database's Streamer / StreamerReport / DeviceStatus rows in step with the
DuckDB ingest ledger, in batches (design decision 3).

Uploads are acknowledged once DuckDB has committed the readings, the streamer's last_id and the
report's log entry together. Copying each report into SQLite on the hot path would cost an ORM
transaction per upload on SQLite's single writer; instead the pipeline hands this follower the
entries of each group it committed, and the follower copies what it holds in one bulk transaction,
shortly after uploads (debounced) and at shutdown. A crash between the two stores therefore leaves
SQLite behind, never ahead, and start-up catches it up from the ledger itself: entries are keyed by
report uuid, so copying one twice does nothing. Acknowledgements (last_id) are served from the
ledger's in-memory state, so they are never stale.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from datetime import timezone

from appliance.services import db
from storage.metadata import MetadataStore
from storage.metadata.repos import ingest as repo
from storage.streams import StreamStore, ledger
from storage.streams.ledger import ReportEntry

LOGGER = logging.getLogger(__name__)
PAGE = 5000
KNOWN_RUN = 2000
"""At start-up, consecutive already-copied entries after which older ones are assumed copied: far
more than can be in flight at once (a group commit holds at most a few hundred uploads)."""
DELAY = 0.5


def as_record(entry: ReportEntry) -> repo.ReportRecord:
    return repo.ReportRecord(
        uuid=entry.uuid, device_id=entry.device, streamer_index=entry.streamer, selector=entry.selector,
        received=entry.received.replace(tzinfo=timezone.utc), device_sent_timestamp=entry.device_sent_timestamp,
        incremental_id=entry.incremental_id, original_first_id=entry.original_first_id,
        original_last_id=entry.original_last_id, actual_first_id=entry.actual_first_id,
        actual_last_id=entry.actual_last_id, num_entries=entry.stored_readings + entry.stored_events,
        blob_key=entry.blob_key, created_by_id=entry.created_by,
        last_reboot_ts=entry.last_reboot_ts.replace(tzinfo=timezone.utc) if entry.last_reboot_ts else None)


class LedgerFollower:
    def __init__(self, metadata: MetadataStore, streams: StreamStore) -> None:
        self._metadata = metadata
        self._streams = streams
        self._committed: deque[ReportEntry] = deque()
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._lock = asyncio.Lock()

    async def start(self) -> int:
        """Catch up with what a previous run left behind; returns how many entries were copied."""
        copied = await self._recover()
        copied += await self.catch_up()
        states = await asyncio.get_running_loop().run_in_executor(None, self._streams.read, ledger.all_states)
        await db.write(self._metadata, lambda s: repo.sync_last_ids(s, [(t.device, t.streamer, t.last_id)
                                                                          for t in states]))
        if copied:
            LOGGER.warning("copied %d report(s) from the ingest ledger that the last run had not", copied)
        return copied

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.catch_up()

    def committed(self, entries: list[ReportEntry]) -> None:
        """Entries the ledger has just committed (called from the committing thread)."""
        self._committed.extend(entries)

    def discard(self, device: int, streamer: int | None = None) -> None:
        """Drop entries not yet copied whose ledger rows were erased (reprocess, unclaim)."""
        kept = [e for e in self._drain() if e.device != device or (streamer is not None and e.streamer != streamer)]
        self._committed.extendleft(reversed(kept))

    def poke(self) -> None:
        """Called after each upload: one catch-up runs shortly after, whatever the upload rate."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._soon(), name="ledger-follower")
        else:
            self._again = True

    async def _soon(self) -> None:
        while True:
            await asyncio.sleep(DELAY)
            self._again = False
            try:
                await self.catch_up()
            except Exception:
                LOGGER.exception("copying ingest ledger entries failed; will retry")
            if not self._again:
                return

    async def catch_up(self) -> int:
        """Copy every entry committed so far."""
        async with self._lock:
            copied = 0
            while self._committed:
                entries = self._drain(PAGE)
                try:
                    copied += await self._copy(entries)
                except BaseException:
                    self._committed.extendleft(reversed(entries))  # kept for the next try
                    raise
            return copied

    def _drain(self, limit: int | None = None) -> list[ReportEntry]:
        taken: list[ReportEntry] = []
        while self._committed and (limit is None or len(taken) < limit):
            taken.append(self._committed.popleft())
        return taken

    async def _copy(self, entries: list[ReportEntry]) -> int:
        records = [as_record(e) for e in entries]
        return await db.write(self._metadata, lambda s: repo.copy_reports(s, records))

    def _newest_sync(self, before: int | None) -> list[ReportEntry]:
        return self._streams.read(lambda cur: ledger.newest_entries(cur, before, 500))

    async def _recover(self) -> int:
        """Walk back from the newest entry until a long run is already copied; copy the rest."""
        loop = asyncio.get_running_loop()
        copied, known_run, before = 0, 0, None
        while known_run < KNOWN_RUN:
            entries = await loop.run_in_executor(None, self._newest_sync, before)
            if not entries:
                break
            added = await self._copy(entries)
            copied, known_run = copied + added, 0 if added else known_run + len(entries)
            before = entries[-1].seq
        return copied
