"""Streamers and their reports: what devices and gateways read to know what was acknowledged."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from appliance.ingest.ledger_io import LedgerIO
from appliance.services import db
from appliance.services.permissions import Access
from appliance.slugs import DeviceSlug, StreamerSlug
from storage.metadata import MetadataStore, Streamer, StreamerReport
from storage.metadata.repos import streamers as repo

SYSTEM_SELECTOR = 0x5FFF


@dataclass(frozen=True)
class StreamerRecord:
    id: int
    device_id: int
    index: int
    last_id: int
    last_reboot_ts: datetime | None
    selector: int
    process_engine_ver: int

    @property
    def slug(self) -> str:
        return StreamerSlug(self.device_id, self.index).slug

    @classmethod
    def of(cls, row: Streamer) -> StreamerRecord:
        return cls(row.id, row.device_id, row.index, row.last_id, row.last_reboot_ts, row.selector,
                   row.process_engine_ver)

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "slug": self.slug, "device": DeviceSlug(self.device_id).slug,
                "process_engine_ver": self.process_engine_ver, "index": self.index, "last_id": self.last_id,
                "last_reboot_ts": self.last_reboot_ts, "is_system": self.selector == SYSTEM_SELECTOR,
                "selector": self.selector}


@dataclass(frozen=True)
class ReportRecord:
    uuid: str
    streamer_slug: str
    original_first_id: int | None
    original_last_id: int | None
    actual_first_id: int | None
    actual_last_id: int | None
    sent_timestamp: datetime | None
    device_sent_timestamp: int | None
    incremental_id: int | None
    time_epsilon: float | None
    created_on: datetime
    created_by: str | None

    @classmethod
    def of(cls, row: StreamerReport, streamer: Streamer, created_by: str | None) -> ReportRecord:
        return cls(row.uuid, StreamerSlug(streamer.device_id, streamer.index).slug, row.original_first_id,
                   row.original_last_id, row.actual_first_id, row.actual_last_id, row.sent_timestamp,
                   row.device_sent_timestamp, row.incremental_id, row.time_epsilon, row.created_on, created_by)

    def as_json(self) -> dict[str, object]:
        return {"id": self.uuid, "original_first_id": self.original_first_id,
                "original_last_id": self.original_last_id, "actual_first_id": self.actual_first_id,
                "actual_last_id": self.actual_last_id, "streamer": self.streamer_slug,
                "sent_timestamp": self.sent_timestamp, "device_sent_timestamp": self.device_sent_timestamp,
                "incremental_id": self.incremental_id, "time_epsilon": self.time_epsilon,
                "created_on": self.created_on, "created_by": self.created_by}


@dataclass(frozen=True, kw_only=True)
class ReportFilter:
    device_id: int | None = None
    index: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    created_by: str | None = None


class Streamers:
    """Reads the metadata copy, with ``last_id`` taken from the ingest ledger when it is newer:
    the copy follows the ledger a moment later, but acknowledgements must never lag an upload."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store
        self._ledger: LedgerIO | None = None

    def bind_ledger(self, ledger: LedgerIO) -> None:
        self._ledger = ledger

    def _fresh(self, record: StreamerRecord) -> StreamerRecord:
        latest = self._ledger.cached_last_id(record.device_id, record.index) if self._ledger else None
        return record if latest is None or latest <= record.last_id else replace(record, last_id=latest)

    async def page(self, access: Access, device_id: int | None, offset: int,
                   limit: int) -> tuple[int, list[StreamerRecord]]:
        count, rows = await db.read(self._store, lambda s: repo.streamers(s, access.org_ids, device_id, offset, limit))
        return count, [self._fresh(StreamerRecord.of(r)) for r in rows]

    async def get(self, access: Access, slug: StreamerSlug) -> StreamerRecord | None:
        row = await db.read(self._store, lambda s: repo.streamer(s, access.org_ids, slug.device, slug.index))
        return self._fresh(StreamerRecord.of(row)) if row is not None else None

    async def org_of(self, device_id: int) -> int | None:
        return await db.read(self._store, lambda s: repo.device_org(s, device_id))

    async def reports(self, access: Access, where: ReportFilter, offset: int,
                      limit: int) -> tuple[int, list[ReportRecord]]:
        count, rows = await db.read(self._store, lambda s: repo.reports(
            s, access.org_ids, device_id=where.device_id, index=where.index, start=where.start, end=where.end,
            created_by=where.created_by, offset=offset, limit=limit))
        return count, [ReportRecord.of(*row) for row in rows]
