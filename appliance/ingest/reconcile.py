"""Start-up repair of the metadata copy from the DuckDB ledger (design decision 3).

An upload commits its readings, the streamer's last_id and its report log entry in DuckDB first,
then copies them into SQLite. A crash between the two leaves SQLite behind, never ahead. Only
uploads that were in flight can be missing, so the newest ledger entries are checked page by
page until a long run of them is already known; then every Streamer.last_id is set from the
ledger, which is the authority for de-duplication.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from datetime import timezone

from sqlalchemy.orm import Session

from appliance.services import db
from storage.metadata import MetadataStore
from storage.metadata.repos import ingest as repo
from storage.streams import StreamStore, ledger
from storage.streams.ledger import ReportEntry

LOGGER = logging.getLogger(__name__)
PAGE = 500
KNOWN_RUN = 2000
"""Consecutive known entries after which older ones are assumed copied: far more than the number
of uploads that can be in flight at once (one group commit holds at most a few hundred)."""


def _record(entry: ReportEntry, last_id: int) -> repo.ReportRecord:
    return repo.ReportRecord(
        uuid=entry.uuid, device_id=entry.device, streamer_index=entry.streamer, selector=entry.selector,
        engine_ver=2, received=entry.received.replace(tzinfo=timezone.utc),
        device_sent_timestamp=entry.device_sent_timestamp, incremental_id=entry.incremental_id,
        original_first_id=entry.original_first_id, original_last_id=entry.original_last_id,
        actual_first_id=entry.actual_first_id, actual_last_id=entry.actual_last_id,
        num_entries=entry.stored_readings + entry.stored_events, blob_key=entry.blob_key, last_id=last_id,
        last_reboot_ts=None, created_by_id=None)


def _copy_missing(session: Session, entries: list[ReportEntry]) -> int:
    return sum(repo.record_report(session, _record(e, e.actual_last_id)) for e in reversed(entries))


def _page(streams: StreamStore, before: int | None) -> list[ReportEntry]:
    return streams.read(lambda cur: ledger.newest_entries(cur, before, PAGE))


async def _missing(metadata: MetadataStore, entries: list[ReportEntry]) -> list[ReportEntry]:
    uuids = [e.uuid for e in entries]
    known = await db.read(metadata, lambda s: repo.known_report_uuids(s, uuids))
    return [e for e in entries if e.uuid not in known]


async def reconcile(metadata: MetadataStore, streams: StreamStore) -> int:
    """Returns how many report entries had to be copied."""
    loop = asyncio.get_running_loop()
    copied, known_run, before = 0, 0, None
    while known_run < KNOWN_RUN:
        entries = await loop.run_in_executor(None, _page, streams, before)
        if not entries:
            break
        missing = await _missing(metadata, entries)
        if missing:
            copied += await db.write(metadata, functools.partial(_copy_missing, entries=missing))
            known_run = 0
        else:
            known_run += len(entries)
        before = entries[-1].seq
    states = await loop.run_in_executor(None, lambda: streams.read(ledger.all_states))
    fixed = await db.write(metadata, lambda s: repo.sync_last_ids(
        s, [(st.device, st.streamer, st.last_id) for st in states]))
    if copied or fixed:
        LOGGER.warning("reconciled %d report(s) and %d streamer last_id(s) from the ingest ledger", copied, fixed)
    return copied
