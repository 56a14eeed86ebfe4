"""The upload pipeline: raw bytes in, durable readings out, exactly once per streamer.

1. The raw upload is kept as a blob before anything else (raw first).
2. It is decoded off the loop; a bad report is refused whole (400) and its blob moved to errors/.
3. The device must exist (404), be claimed (400) and the caller may upload to its org (403).
4. Under a per-streamer lock: new readings are those above the streamer's last_id in the DuckDB
   ledger; the readings, the new last_id and the report's log entry commit in ONE DuckDB
   transaction (shared with other uploads by group commit). Only then is the upload answered.
5. The metadata copy (Streamer, StreamerReport, DeviceStatus heartbeat, version attributes) is
   written next; if the process dies in between, start-up reconciliation (reconcile.py) redoes it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

from appliance.errors import NotFound, PermissionDenied, ValidationError
from appliance.events import Changes, EventBus
from appliance.ingest.assemble import Assembled, assemble
from appliance.ingest.context import DeviceContextCache, UploadTarget
from appliance.ingest.decoded import DecodedEvent, DecodedReport, ReportError
from appliance.ingest.flexible import decode_flexible
from appliance.ingest.ledger_io import LedgerIO
from appliance.ingest.signed_list import decode_signed_list
from appliance.services import db
from appliance.services.auth import Principal
from appliance.services.permissions import Access, Perm
from storage.blobs import BlobStore
from storage.metadata import MetadataStore
from storage.metadata.repos import ingest as repo
from storage.streams import StreamStore
from storage.streams.ledger import ReportEntry

P = ParamSpec("P")
T = TypeVar("T")

LOGGER = logging.getLogger(__name__)
KINDS = {"": "bin", ".bin": "bin", ".mp": "msgpack", ".json": "json"}


@dataclass(frozen=True)
class UploadResult:
    count: int
    stored: int
    report_uuid: str
    device_id: int
    streamer_index: int
    actual_first_id: int
    actual_last_id: int


@dataclass(frozen=True)
class ReportUploaded:
    """Published after an upload is durable (the GUI's live feed listens to this)."""

    device_id: int
    project_gid: int
    streamer_index: int
    count: int
    stored: int
    received: datetime


def user_key_secret(device_id: int) -> str:
    """Name of the secret holding a device's user key (hex), used to verify signature flag 1."""
    return f"device-user-key:{device_id}"


def report_kind(filename: str) -> str:
    suffix = PurePosixPath(filename or "").suffix.lower()
    if suffix not in KINDS:
        raise ValidationError(f"unsupported report file extension {suffix!r}; use .bin, .mp or .json",
                              key="bad_extension")
    return KINDS[suffix]


class Ingest:
    def __init__(self, metadata: MetadataStore, streams: StreamStore, blobs: BlobStore, events: EventBus,
                 user_key: Callable[[int], bytes | None]) -> None:
        self._metadata = metadata
        self._blobs = blobs
        self._events = events
        self._user_key = user_key
        self._targets = DeviceContextCache(metadata, events)
        self._ledger = LedgerIO(streams)
        self._locks: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = weakref.WeakValueDictionary()

    @property
    def ledger(self) -> LedgerIO:
        return self._ledger

    async def upload(self, data: bytes, filename: str, received: datetime, *, principal: Principal,
                     access: Access) -> UploadResult:
        kind = report_kind(filename)
        received = received.astimezone(timezone.utc) if received.tzinfo else received.replace(tzinfo=timezone.utc)
        report_uuid = str(uuid.uuid4())
        key = f"reports/{received:%Y/%m/%d/%H}/{report_uuid}.{kind if kind != 'msgpack' else 'mp'}"
        await _off_loop(self._blobs.put, key, data)
        report = await self._decode(data, kind, key)
        target = await self._target(report, principal, access)
        lock = self._locks.setdefault((report.device_id, report.streamer_index), asyncio.Lock())
        async with lock:
            result = await self._store(report, target, received, report_uuid, key, principal)
        self._announce(target, report, result, received)
        return result

    async def _decode(self, data: bytes, kind: str, key: str) -> DecodedReport:
        try:
            if kind == "bin":
                return await _off_loop(decode_signed_list, data, user_key_lookup=self._user_key)
            return await _off_loop(decode_flexible, data, "msgpack" if kind == "msgpack" else "json")
        except ReportError:
            await _off_loop(self._quarantine, key, data)
            raise

    def _quarantine(self, key: str, data: bytes) -> None:
        """Bad uploads are kept under errors/ for audit, out of the way of re-processing."""
        self._blobs.put(f"errors/{key}", data)
        self._blobs.delete(key)

    async def _target(self, report: DecodedReport, principal: Principal, access: Access) -> UploadTarget:
        target = await self._targets.get(report.device_id)
        if target is None:
            raise NotFound(f"device {report.device_id:#x} not found", key="device_not_found")
        device = target.device
        if device.project_gid is None or device.org_id is None:
            raise ValidationError(f"device {report.device_id:#x} has not been claimed", key="device_not_claimed")
        if principal.device_id is not None and principal.device_id != device.device_id:
            raise PermissionDenied("this device token may only upload for its own device")
        if not access.can(device.org_id, Perm.CREATE_STREAM_DATA):
            raise PermissionDenied("you may not upload data for this device", key="can_create_stream_data")
        return target

    async def _store(self, report: DecodedReport, target: UploadTarget, received: datetime, report_uuid: str,
                     key: str, principal: Principal) -> UploadResult:
        device, index = report.device_id, report.streamer_index
        for _attempt in range(3):
            last_id = await self._ledger.last_id(device, index)
            assembled = await _off_loop(self._assemble, report, target, last_id, received, report_uuid)
            await self._save_payloads(assembled)
            entry = self._ledger.entry(report, assembled, received, report_uuid, key)
            if await self._ledger.commit(entry, assembled, expected_last_id=last_id):
                break
        else:
            raise ValidationError("the streamer's state kept changing; try again", key="busy_streamer")
        record = _record(report, assembled, entry, target, principal, max(last_id, assembled.actual_last_id))
        await db.write(self._metadata, lambda s: _copy(s, record, assembled))
        return UploadResult(report.count, assembled.stored_readings + assembled.stored_events, report_uuid,
                            device, index, assembled.actual_first_id, assembled.actual_last_id)

    def _assemble(self, report: DecodedReport, target: UploadTarget, last_id: int, received: datetime,
                  report_uuid: str) -> Assembled:
        def event_key(event: DecodedEvent) -> str:
            return f"events/{received:%Y/%m/%d}/{report_uuid}-{event.streamer_local_id}.json"

        def previous_base() -> datetime | None:
            return self._ledger.previous_base_sync(report.device_id, report.streamer_index, report.report_id)

        return assemble(report, target, last_id=last_id, received=received, previous_base=previous_base,
                        event_key=event_key)

    async def _save_payloads(self, assembled: Assembled) -> None:
        for key, event in assembled.event_payloads:
            await _off_loop(self._blobs.put, key, json.dumps(event.data).encode("utf-8"))

    def _announce(self, target: UploadTarget, report: DecodedReport, result: UploadResult, received: datetime) -> None:
        self._events.publish(ReportUploaded(result.device_id, target.device.project_gid or 0, result.streamer_index,
                                            result.count, result.stored, received))
        if result.stored:
            self._events.publish(Changes(readings=True, initiator="ingest", detail={"device": result.device_id}))


def _record(report: DecodedReport, assembled: Assembled, entry: ReportEntry, target: UploadTarget,
            principal: Principal, last_id: int) -> repo.ReportRecord:
    return repo.ReportRecord(
        uuid=entry.uuid, device_id=report.device_id, streamer_index=report.streamer_index,
        selector=report.streamer_selector, engine_ver=target.device.engine_ver,
        received=entry.received.replace(tzinfo=timezone.utc), device_sent_timestamp=entry.device_sent_timestamp,
        incremental_id=entry.incremental_id, original_first_id=entry.original_first_id,
        original_last_id=entry.original_last_id, actual_first_id=entry.actual_first_id,
        actual_last_id=entry.actual_last_id, num_entries=report.count, blob_key=entry.blob_key, last_id=last_id,
        last_reboot_ts=assembled.last_reboot_ts,
        created_by_id=principal.account.id if principal.account else None)


def _copy(session: Session, record: repo.ReportRecord, assembled: Assembled) -> None:
    repo.record_report(session, record)
    for version in assembled.versions:
        repo.record_version(session, record.device_id, version.kind, version.tag, version.major, version.minor,
                            version.streamer_local_id, version.timestamp)


async def _off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Blocking work (file writes with fsync, decoding, DuckDB reads) stays off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))
