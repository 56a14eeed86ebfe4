"""The upload pipeline: raw bytes in, durable readings out, exactly once per streamer.

1. The raw upload is appended to the raw log and fsynced before anything else (raw first).
2. It is decoded off the loop; a bad report is refused whole (400) and kept under blobs/errors/.
3. The device must exist (404), be claimed (400) and the caller may upload to its org (403).
4. Under a per-streamer lock: new readings are those above the streamer's last_id in the DuckDB
   ledger; the readings, the new last_id and the report's log entry commit in ONE DuckDB
   transaction (shared with other uploads by group commit). Only then is the upload answered.
5. The metadata copy (Streamer, StreamerReport, DeviceStatus heartbeat) follows in batches
   (follower.py); OTA version attributes, which are rare, are written before answering.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, PermissionDenied, ValidationError
from appliance.events import Changes, EventBus
from appliance.ingest.assemble import Assembled, Version, assemble
from appliance.ingest.context import DeviceContextCache, UploadTarget
from appliance.ingest.decoded import DecodedEvent, DecodedReport, ReportError
from appliance.ingest.flexible import decode_flexible
from appliance.ingest.follower import LedgerFollower, as_record
from appliance.ingest.ledger_io import LedgerIO
from appliance.ingest.signed_list import decode_signed_list
from appliance.services import db
from appliance.services.auth import Principal
from appliance.services.ota_events import VersionsChanged
from appliance.services.permissions import Access, Perm
from appliance.services.ttlcache import TtlCache
from storage.blobs import BlobStore
from storage.metadata import MetadataStore
from storage.metadata.repos import ingest as repo
from storage.rawlog import RawLog
from storage.streams import StreamStore
from storage.streams.ledger import ReportEntry

_RANDOM = random.Random()
P = ParamSpec("P")
T = TypeVar("T")

LOGGER = logging.getLogger(__name__)
KINDS = {"": "bin", ".bin": "bin", ".mp": "msgpack", ".json": "json"}
VersionHook = Callable[[Session, int, Sequence[Version]], bool]


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
    def __init__(self, metadata: MetadataStore, streams: StreamStore, blobs: BlobStore, rawlog: RawLog,
                 events: EventBus, user_key: Callable[[int], bytes | None]) -> None:
        self._metadata = metadata
        self._blobs = blobs
        self._rawlog = rawlog
        self._events = events
        self._user_key = user_key
        self._targets = DeviceContextCache(metadata, events)
        self.ledger = LedgerIO(streams)
        self.follower = LedgerFollower(metadata, streams)
        self._locks: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = weakref.WeakValueDictionary()
        self._rights: TtlCache[tuple[str, int | None, int | None, int], bool] = TtlCache(2.0)
        self.version_hooks: list[VersionHook] = []
        """Run in the transaction that records a device's changed versions; True: the device changed."""
        self.on_chopped: Callable[[str], Awaitable[None]] | None = None
        """Told the uuid of each chopped report that stored readings (the appliance queues its fix)."""

    async def upload(self, data: bytes, filename: str, received: datetime, *, principal: Principal,
                     access: Callable[[], Awaitable[Access]]) -> UploadResult:
        """``access`` is asked only when this caller's upload right for the device's org is not
        cached: a gateway's many uploads should not each load its memberships."""
        kind = report_kind(filename)
        received = received.astimezone(timezone.utc) if received.tzinfo else received.replace(tzinfo=timezone.utc)
        key = await asyncio.wrap_future(self._rawlog.append(data))
        report = await self._decode(data, kind, received)
        target = await self._target(report, principal, access)
        lock = self._locks.setdefault((report.device_id, report.streamer_index), asyncio.Lock())
        creator = principal.account.id if principal.account else None
        async with lock:
            result = await self._store(report, target, received, key, creator)
        if report.chopped and result.stored and self.on_chopped is not None:
            await self.on_chopped(result.report_uuid)
        self.follower.poke()
        self._announce(target, result, received)
        return result

    async def _decode(self, data: bytes, kind: str, received: datetime) -> DecodedReport:
        try:
            if kind == "bin":
                return await _cpu(len(data), decode_signed_list, data, user_key_lookup=self._user_key)
            return await _cpu(len(data), decode_flexible, data, "msgpack" if kind == "msgpack" else "json")
        except ReportError:
            name = f"errors/{received:%Y/%m/%d}/{_new_uuid()}.{'mp' if kind == 'msgpack' else kind}"
            await _off_loop(self._blobs.put, name, data)  # kept apart for audit; never re-processed
            raise

    async def _target(self, report: DecodedReport, principal: Principal,
                      access: Callable[[], Awaitable[Access]]) -> UploadTarget:
        target = await self._targets.get(report.device_id)
        if target is None:
            raise NotFound(f"device {report.device_id:#x} not found", key="device_not_found")
        device = target.device
        if device.project_gid is None or device.org_id is None:
            raise ValidationError(f"device {report.device_id:#x} has not been claimed", key="device_not_claimed")
        if device.state.startswith("B"):  # archiving (B1) or resetting (B0): its data is being moved
            raise Conflict("Device is busy. Operation cannot be completed at this time", key="device_busy")
        if principal.device_id is not None and principal.device_id != device.device_id:
            raise PermissionDenied("this device token may only upload for its own device")
        if not await self._may_upload(principal, device.org_id, access):
            raise PermissionDenied("you may not upload data for this device", key="can_create_stream_data")
        return target

    async def _may_upload(self, principal: Principal, org_id: int, access: Callable[[], Awaitable[Access]]) -> bool:
        key = (principal.scheme, principal.account.id if principal.account else None, principal.org_id, org_id)
        allowed = self._rights.get(key)
        if allowed is None:
            allowed = (await access()).can(org_id, Perm.CREATE_STREAM_DATA)
            self._rights.put(key, allowed)
        return allowed

    async def _store(self, report: DecodedReport, target: UploadTarget, received: datetime, key: str,
                     creator: int | None) -> UploadResult:
        report_uuid = _new_uuid()
        last_id = await self.ledger.last_id(report.device_id, report.streamer_index)
        assembled = await _cpu(report.length, self._assemble, report, target, last_id, received, report_uuid)
        await self._save_payloads(assembled)
        entry = self.ledger.entry(report, assembled, received, report_uuid, key, creator)
        await self.ledger.commit(entry, assembled, last_id=last_id)
        if last_id == 0:  # a streamer's first report: acknowledgements need its Streamer row now
            await db.write(self._metadata, lambda s: repo.ensure_streamers(s, [as_record(entry)]))
        if assembled.versions:
            await self._versions(report.device_id, assembled.versions)
        return UploadResult(report.count, assembled.stored_readings + assembled.stored_events, report_uuid,
                            report.device_id, report.streamer_index, assembled.actual_first_id,
                            assembled.actual_last_id)

    async def _versions(self, device_id: int, versions: list[Version]) -> None:
        """Version rows and what the hooks make of them (OTA confirmations) commit together, so a
        crash cannot keep a new version while losing the confirmation it implies."""
        def write(session: Session) -> tuple[list[Version], bool]:
            changed = _record_versions(session, device_id, versions)
            return changed, bool(changed) and any([_run_hook(session, hook, device_id, changed)
                                                   for hook in self.version_hooks])

        changed, hooked = await db.write(self._metadata, write)
        if changed:
            self._events.publish(VersionsChanged(device_id, tuple(changed)))
        if hooked:
            self._events.publish(Changes(devices=True, initiator="ota", detail={"device": device_id}))

    async def reprocess(self, device: int, streamer: int, progress: Callable[[float, str], None]) -> dict[str, int]:
        """Process a streamer's reports again from their raw bytes, in their original order: what
        they stored is removed first, then each report goes through today's pipeline (after a
        fix, or after the device's streams or units were corrected)."""
        target = await self._targets.get(device)
        if target is None or target.device.project_gid is None:
            raise ValidationError(f"device {device:#x} is not claimed", key="device_not_claimed")
        lock = self._locks.setdefault((device, streamer), asyncio.Lock())
        async with lock:
            entries = await _off_loop(self.ledger.erase_streamer, device, streamer)
            await db.write(self._metadata, lambda s: repo.reset_streamer(s, device, streamer))
            stored = 0
            for done, entry in enumerate(entries):
                progress(100 * done / len(entries), f"report {done + 1} of {len(entries)}")
                stored += await self._replay(entry, target)
        await self.follower.catch_up()
        self._events.publish(Changes(readings=True, initiator="reprocess", detail={"device": device}))
        return {"reports": len(entries), "stored": stored}

    async def reset_device(self, device: int) -> int:
        """After an unclaim that removed the device's streams and data, the ledger forgets the
        device's streamers too, so a re-claimed device's readings are new again (as on iotile.cloud,
        which deletes the streamers)."""
        removed = await self.ledger.erase_device(device)
        self._targets.invalidate(device)
        return removed

    async def _replay(self, entry: ReportEntry, target: UploadTarget) -> int:
        if not entry.blob_key:
            return 0
        data = await _off_loop(self._rawlog.read, entry.blob_key)
        kind = "bin" if data[:1] == b"\x01" else "json" if data.lstrip()[:1] == b"{" else "msgpack"
        received = entry.received.replace(tzinfo=timezone.utc)
        report = await self._decode(data, kind, received)
        result = await self._store(report, target, received, entry.blob_key, entry.created_by)
        return result.stored

    def _assemble(self, report: DecodedReport, target: UploadTarget, last_id: int, received: datetime,
                  report_uuid: str) -> Assembled:
        def event_key(event: DecodedEvent) -> str:
            return f"events/{received:%Y/%m/%d}/{report_uuid}-{event.streamer_local_id}.json"

        def previous_base() -> datetime | None:
            return self.ledger.previous_base_sync(report.device_id, report.streamer_index, report.report_id)

        return assemble(report, target, last_id=last_id, received=received, previous_base=previous_base,
                        event_key=event_key)

    async def _save_payloads(self, assembled: Assembled) -> None:
        for key, event in assembled.event_payloads:
            await _off_loop(self._blobs.put, key, json.dumps(event.data).encode("utf-8"))

    def _announce(self, target: UploadTarget, result: UploadResult, received: datetime) -> None:
        self._events.publish(ReportUploaded(result.device_id, target.device.project_gid or 0, result.streamer_index,
                                            result.count, result.stored, received))
        if result.stored:
            self._events.publish(Changes(readings=True, initiator="ingest", detail={"device": result.device_id}))


def _new_uuid() -> str:
    """Report ids need uniqueness, not secrecy; os.urandom-backed uuid4 measured ~1.4 ms per call
    under load on this machine's VM, on the event loop."""
    return str(uuid.UUID(int=_RANDOM.getrandbits(128), version=4))


def _run_hook(session: Session, hook: VersionHook, device_id: int, changed: list[Version]) -> bool:
    """A failing hook is rolled back to its savepoint and logged: the versions still count."""
    try:
        with session.begin_nested():
            return hook(session, device_id, changed)
    except Exception:
        LOGGER.exception("version hook %r failed for device %#x", hook, device_id)
        return False


def _record_versions(session: Session, device_id: int, versions: list[Version]) -> list[Version]:
    """The versions that changed (and so were recorded)."""
    return [version for version in versions
            if repo.record_version(session, device_id, version.kind, version.tag, version.major, version.minor,
                                   version.streamer_local_id, version.timestamp)]


INLINE_BYTES = 16 * 1024
"""Reports up to this size (~1,000 readings) are decoded and assembled on the event loop: that
takes well under a millisecond, less than the hop to a worker thread and back costs."""


async def _cpu(size: int, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    if size <= INLINE_BYTES:
        return fn(*args, **kwargs)
    return await _off_loop(fn, *args, **kwargs)


async def _off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Blocking work (file writes with fsync, decoding, DuckDB reads) stays off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))
