"""The pipeline's view of the DuckDB ingest ledger (storage/streams/ledger.py).

``last_id`` is cached per streamer: this process is the only writer (data-directory lock) and
every commit goes through ``commit``, which also re-checks the stored value inside the
transaction, so the cache can only be stale if something else changed the ledger (a device reset
job); then the commit reports False, the cache is refreshed and the pipeline redoes the report.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from appliance.ingest.assemble import Assembled
from appliance.ingest.decoded import DecodedReport
from storage.streams import StreamStore, WriteContext
from storage.streams import ledger as store_ledger
from storage.streams.ledger import ReportEntry, StreamerState

Key = tuple[int, int]


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
            for key in [k for k in self._last_ids if k[0] == device]:
                del self._last_ids[key]

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
    def entry(report: DecodedReport, assembled: Assembled, received: datetime, report_uuid: str,
              blob_key: str) -> ReportEntry:
        return ReportEntry(
            uuid=report_uuid, device=report.device_id, streamer=report.streamer_index,
            selector=report.streamer_selector, received=_naive(received),
            device_sent_timestamp=report.sent_timestamp, incremental_id=report.report_id,
            original_first_id=report.lowest_id, original_last_id=report.highest_id,
            actual_first_id=assembled.actual_first_id, actual_last_id=assembled.actual_last_id,
            stored_readings=assembled.stored_readings, stored_events=assembled.stored_events,
            chopped=report.chopped, blob_key=blob_key)

    async def commit(self, entry: ReportEntry, assembled: Assembled, *, expected_last_id: int) -> bool:
        """Readings + new last_id + log entry in one transaction; False if last_id moved meanwhile."""
        key = (entry.device, entry.streamer)
        new_last = max(expected_last_id, assembled.actual_last_id)

        def write(ctx: WriteContext) -> bool:
            state = store_ledger.state_of(ctx.conn, entry.device, entry.streamer)
            if (state.last_id if state else 0) != expected_last_id:
                return False
            if assembled.data is not None:
                ctx.append_data(assembled.data)
            if assembled.events is not None:
                ctx.append_events(assembled.events)
            reboot = _naive(assembled.last_reboot_ts) if assembled.last_reboot_ts else (
                state.last_reboot_ts if state else None)
            store_ledger.save_state(ctx.conn, StreamerState(entry.device, entry.streamer, new_last, reboot),
                                    entry.received)
            store_ledger.log_report(ctx.conn, entry)
            return True

        committed = await asyncio.wrap_future(self._streams.write(write))
        if committed:
            self._last_ids[key] = new_last
        else:
            self._last_ids.pop(key, None)
        return committed
