"""The pipeline's view of the DuckDB ingest ledger (storage/streams/ledger.py).

``last_id`` lives in memory per streamer and is the authority while the appliance runs: this
process is the only writer of the data directory, uploads of one streamer are serialized by the
pipeline's lock, and every change goes through ``commit``. Anything else that rewrites the ledger
(a device reset or unclaim job) must call ``forget`` for that device afterwards.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from datetime import datetime, timedelta, timezone

from appliance.ingest.assemble import Assembled, Pending
from storage.streams import Prepared, StreamStore
from storage.streams import ledger as store_ledger
from storage.streams.ledger import ReportEntry

Key = tuple[int, int]
SYSTEM_SELECTOR = 0x5FFF


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


class LedgerIO:
    def __init__(self, streams: StreamStore) -> None:
        self._streams = streams
        self._last_ids: dict[Key, int] = {}

    def forget(self, device: int | None = None) -> None:
        """Drop cached state (after a reset or unclaim rewrote the ledger)."""
        if device is None:
            self._last_ids.clear()
        else:
            for key in [k for k in list(self._last_ids) if k[0] == device]:  # list(): commits add keys
                self._last_ids.pop(key, None)

    async def last_id(self, device: int, streamer: int) -> int:
        cached = self._last_ids.get((device, streamer))
        if cached is None:
            state = await asyncio.get_running_loop().run_in_executor(
                None, lambda: self._streams.read(lambda cur: store_ledger.state_of(cur, device, streamer)))
            cached = state.last_id if state else 0
            self._last_ids[(device, streamer)] = cached
        return cached

    def previous_base_sync(self, device: int, streamer: int, incremental_id: int) -> datetime | None:
        """Blocking: the anchor of the streamer's latest earlier report that stored data."""
        entry = self._streams.read(lambda cur: store_ledger.previous_anchor(cur, device, streamer, incremental_id))
        if entry is None or entry.device_sent_timestamp is None:
            return None
        received = entry.received.replace(tzinfo=timezone.utc)
        return received - timedelta(seconds=entry.device_sent_timestamp)

    @staticmethod
    def entry(pending: Pending, assembled: Assembled, blob_key: str, created_by: int | None) -> ReportEntry:
        """The report's log row, with the streamer's state after it."""
        report = pending.report
        reboot = _naive(assembled.last_reboot_ts) if assembled.last_reboot_ts else None
        return ReportEntry(
            uuid=pending.report_uuid, device=report.device_id, streamer=report.streamer_index,
            selector=report.streamer_selector, created_by=created_by, received=_naive(pending.received),
            device_sent_timestamp=report.sent_timestamp, incremental_id=report.report_id,
            original_first_id=report.lowest_id, original_last_id=report.highest_id,
            actual_first_id=assembled.actual_first_id, actual_last_id=assembled.actual_last_id,
            stored_readings=assembled.stored_readings, stored_events=assembled.stored_events,
            chopped=report.chopped, blob_key=blob_key, last_id=max(pending.last_id, assembled.actual_last_id),
            last_reboot_ts=reboot)

    def erase_streamer(self, device: int, streamer: int) -> list[ReportEntry]:
        """Blocking: remove what a streamer's reports stored and its log; returns those entries."""
        entries = self._streams.read(lambda cur: store_ledger.streamer_entries(cur, device, streamer))
        system = bool(entries) and entries[-1].selector == SYSTEM_SELECTOR
        self._streams.write(lambda ctx: store_ledger.erase_streamer(ctx.conn, device, streamer,
                                                                    system=system)).result()
        self._last_ids.pop((device, streamer), None)
        return entries

    async def erase_device(self, device: int) -> int:
        removed = await asyncio.wrap_future(self._streams.write(
            lambda ctx: store_ledger.erase_device(ctx.conn, device)))
        self.forget(device)
        return removed

    def cached_last_id(self, device: int, streamer: int) -> int | None:
        return self._last_ids.get((device, streamer))

    def commit(self, entries: list[ReportEntry], data: Prepared | None, events: Prepared | None) -> Future[int]:
        """A group's readings, its streamers' new state and their log entries join one
        transaction; the in-memory last_ids follow as soon as it has committed (before the
        returned future's other callbacks run)."""
        def committed(done: Future[int]) -> None:
            if not done.cancelled() and done.exception() is None:
                for entry in entries:
                    self._last_ids[(entry.device, entry.streamer)] = entry.last_id

        future = self._streams.append(data, events, entries)
        future.add_done_callback(committed)
        return future
