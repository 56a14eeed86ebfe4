"""The upload pipeline: raw bytes in, durable readings out, exactly once per streamer.

1. The report is decoded (small ones on the loop, big ones off it); a bad report is refused whole
   (400) and its bytes kept under blobs/errors/.
2. The device must exist (404), be claimed (400) and the caller may upload to its org (403).
3. Under a per-streamer lock, so a streamer has one report in flight: new readings are those above
   the streamer's last_id. The small reports of the moment are assembled together on the loop (one
   array pass, assemble.py; batcher.py gathers them); big reports, and reports whose reboots may
   need the ledger, are assembled on a worker thread.
4. Raw first: the group's raw bytes are appended to the raw log with one fsync, and only then do the
   readings, the streamers' new last_ids and the reports' log entries commit in ONE DuckDB
   transaction. Only then is each upload answered.
5. The metadata copy (Streamer, StreamerReport, DeviceStatus heartbeat) follows in batches
   (follower.py); OTA version attributes, which are rare, are written before answering.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import random
import uuid
import weakref
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import ParamSpec, TypeVar

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, PermissionDenied, ValidationError
from appliance.events import Changes, EventBus
from appliance.ingest.assemble import Assembled, Group, Pending, Version, assemble_group
from appliance.ingest.batcher import Batcher
from appliance.ingest.context import DeviceContextCache, UploadTarget
from appliance.ingest.decoded import DecodedEvent, DecodedReport, ReportError
from appliance.ingest.flexible import decode_flexible
from appliance.ingest.follower import LedgerFollower, as_record
from appliance.ingest.ledger_io import LedgerIO
from appliance.ingest.signed_list import decode_signed_list
from appliance.ingest.streamids import REBOOT_STREAM
from appliance.services import db
from appliance.services.auth import Principal
from appliance.services.ota_events import VersionsChanged
from appliance.services.permissions import Access, Perm
from appliance.services.ttlcache import LoadingCache
from storage.blobs import BlobStore
from storage.futures import resolved, then
from storage.metadata import MetadataStore
from storage.metadata.repos import ingest as repo
from storage.rawlog import RawLog
from storage.streams import Prepared, StreamStore, prepare
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
    suffix = _suffix(filename or "")
    if suffix not in KINDS:
        raise ValidationError(f"unsupported report file extension {suffix!r}; use .bin, .mp or .json",
                              key="bad_extension")
    return KINDS[suffix]


@functools.lru_cache(maxsize=256)
def _suffix(filename: str) -> str:
    """Gateways send the same few file names on every upload; pathlib's parse is not free."""
    return PurePosixPath(filename).suffix.lower()


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
        self._groups: Batcher[_Job, _Stored] = Batcher("ingest", self._start_group, max_items=GROUP_UPLOADS)
        self._locks: weakref.WeakValueDictionary[tuple[int, int], asyncio.Lock] = weakref.WeakValueDictionary()
        self._rights: LoadingCache[tuple[str, int | None, int | None, int], bool] = LoadingCache(2.0)
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
        report = await self._decode(data, kind, received)
        target = await self._target(report, principal, access)
        lock = self._locks.setdefault((report.device_id, report.streamer_index), asyncio.Lock())
        creator = principal.account.id if principal.account else None
        async with lock:
            result = await self._store(report, target, received, _Raw(data=data), creator)
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

        async def load() -> bool:
            return (await access()).can(org_id, Perm.CREATE_STREAM_DATA)

        return await self._rights.get(key, load)

    async def _store(self, report: DecodedReport, target: UploadTarget, received: datetime, raw: _Raw,
                     creator: int | None) -> UploadResult:
        """Called with the streamer's lock held, so the streamer has one report in flight."""
        last_id = await self.ledger.last_id(report.device_id, report.streamer_index)
        job = _Job(Pending(report, target, last_id, received, _new_uuid()), raw, creator)
        if report.length <= INLINE_BYTES and not _reads_history(report):
            done = self._groups.submit(job)
        else:  # assembled on a worker thread: a big report, or one whose times may need the ledger
            done = asyncio.get_running_loop().run_in_executor(None, lambda: self._commit([job])[0])
        try:
            stored = await asyncio.shield(done)
        except asyncio.CancelledError:
            await asyncio.wait({done})  # the commit may still land: keep the streamer locked until it has
            raise
        assembled = stored.assembled
        if last_id == 0:  # a streamer's first report: acknowledgements need its Streamer row now
            await db.write(self._metadata, lambda s: repo.ensure_streamers(s, [as_record(stored.entry)]))
        if assembled.versions:
            await self._versions(report.device_id, assembled.versions)
        return UploadResult(report.count, assembled.stored_readings + assembled.stored_events, job.pending.report_uuid,
                            report.device_id, report.streamer_index, assembled.actual_first_id,
                            assembled.actual_last_id)

    def _start_group(self, jobs: list[_Job]) -> Future[list[_Stored]]:
        """On the loop: a group's CPU work (a millisecond or two for hundreds of small reports),
        then its bytes go to disk on the writers' threads."""
        return self._persist(jobs, *self._assemble(jobs))

    def _commit(self, jobs: list[_Job]) -> list[_Stored]:
        """Blocking, on a worker thread: the same as a group, for reports kept off the loop."""
        return self._persist(jobs, *self._assemble(jobs)).result()

    def _assemble(self, jobs: list[_Job]) -> tuple[Group, Prepared | None, Prepared | None]:
        group = assemble_group([job.pending for job in jobs], previous_base=self._previous_base,
                               event_key=_event_key)
        return (group, *prepare(group.data, group.events))

    def _persist(self, jobs: list[_Job], group: Group, data: Prepared | None,
                 events: Prepared | None) -> Future[list[_Stored]]:
        """Raw first: the uploads' bytes are appended to the raw log and fsynced (one fsync for the
        group), then, on the raw log's thread, event payloads are kept and the readings, events
        and log entries committed together; the follower hears of the entries once they are."""
        def commit(keys: list[str]) -> Future[list[_Stored]]:
            for assembled in group.reports:
                for name, event in assembled.event_payloads:
                    self._blobs.put(name, json.dumps(event.data).encode("utf-8"))
            fresh = iter(keys)
            stored = [_Stored(assembled, self.ledger.entry(job.pending, assembled, job.raw.key or next(fresh),
                                                           job.creator))
                      for job, assembled in zip(jobs, group.reports, strict=True)]
            entries = [item.entry for item in stored]

            def committed(_: int) -> list[_Stored]:
                self.follower.committed(entries)
                return stored

            return then(self.ledger.commit(entries, data, events), lambda rows: resolved(committed(rows)))

        unsaved = [job.raw.data for job in jobs if job.raw.key is None]
        keys: Future[list[str]] = self._rawlog.append(unsaved) if unsaved else resolved([])
        return then(keys, commit)

    def _previous_base(self, pending: Pending) -> datetime | None:
        report = pending.report
        return self.ledger.previous_base_sync(report.device_id, report.streamer_index, report.report_id)

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
            self.follower.discard(device, streamer)
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
        self.follower.discard(device)
        self._targets.invalidate(device)
        return removed

    async def _replay(self, entry: ReportEntry, target: UploadTarget) -> int:
        if not entry.blob_key:
            return 0
        data = await _off_loop(self._rawlog.read, entry.blob_key)
        kind = "bin" if data[:1] == b"\x01" else "json" if data.lstrip()[:1] == b"{" else "msgpack"
        received = entry.received.replace(tzinfo=timezone.utc)
        report = await self._decode(data, kind, received)
        result = await self._store(report, target, received, _Raw(key=entry.blob_key), entry.created_by)
        return result.stored

    def _announce(self, target: UploadTarget, result: UploadResult, received: datetime) -> None:
        self._events.publish(ReportUploaded(result.device_id, target.device.project_gid or 0, result.streamer_index,
                                            result.count, result.stored, received))
        if result.stored:
            self._events.publish(Changes(readings=True, initiator="ingest", detail={"device": result.device_id}))


@dataclass(frozen=True)
class _Raw:
    """An upload's bytes, or the raw log key of bytes already kept (a report processed again)."""

    data: bytes = b""
    key: str | None = None


@dataclass(frozen=True)
class _Job:
    pending: Pending
    raw: _Raw
    creator: int | None


@dataclass(frozen=True)
class _Stored:
    assembled: Assembled
    entry: ReportEntry


def _reads_history(report: DecodedReport) -> bool:
    """A reboot may leave the report's oldest block dirty, and re-basing it reads the streamer's
    previous report from the ledger: a blocking read that must stay off the event loop."""
    streams = report.stream
    if len(streams) <= 64:  # a list scan beats numpy's per-call cost on the few readings of a small report
        return REBOOT_STREAM in streams.tolist()
    return bool((streams == REBOOT_STREAM).any())


def _event_key(pending: Pending, event: DecodedEvent) -> str:
    return f"events/{pending.received:%Y/%m/%d}/{pending.report_uuid}-{event.streamer_local_id}.json"


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
"""Reports up to this size (~1,000 readings) are decoded on the event loop (a few microseconds,
less than a hop to a worker thread costs) and assembled in groups with the other uploads of the
moment; bigger ones are decoded and assembled on a worker thread each."""
GROUP_UPLOADS = 512
"""Most uploads assembled and committed together; more wait for the next group."""


async def _cpu(size: int, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    if size <= INLINE_BYTES:
        return fn(*args, **kwargs)
    return await _off_loop(fn, *args, **kwargs)


async def _off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Blocking work (file writes with fsync, decoding, DuckDB reads) stays off the event loop."""
    return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))
