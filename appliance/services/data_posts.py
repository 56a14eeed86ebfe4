"""Direct posts: ``data/`` and ``event/`` (one object or a list) and ``event/upload/``.

Every item is validated, every stream's project and device checked (``can_create_stream_data``:
in the project's org and the device's org for data, in the device's org, or the project's for a
virtual stream, for events) and every StreamId found enabled before anything is stored; then
the rows commit in one DuckDB transaction. Values follow the stream's m/d/o and units exactly as
uploaded reports do (ingest/values.py), so a posted reading and an uploaded one read the same.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from appliance.errors import Conflict, PermissionDenied, ValidationError
from appliance.events import Changes, EventBus
from appliance.ingest.context import resolve
from appliance.ingest.values import CLAMP, ITR, NUM, PE, StreamConfig, compute
from appliance.services import db
from appliance.services.auth import Principal
from appliance.services.data_io import committed, gunzip, off_loop
from appliance.services.data_items import DataItem, EventItem, items_of
from appliance.services.data_records import EventRecord, ReadingRecord, events_of, finite, readings_of
from appliance.services.data_scope import refuse_api_keys, require
from appliance.services.permissions import Access, Perm
from appliance.slugs import StreamSlug
from storage.blobs import BlobStore
from storage.metadata import MetadataStore
from storage.metadata.repos import data as repo
from storage.metadata.repos.ingest import StreamSettings
from storage.streams import StreamSelector, StreamStore

SERIAL_BITS = 48
U32 = 0xFFFFFFFF
StreamKey = tuple[int, int, int]
ONE_MICROSECOND = timedelta(microseconds=1)
T = TypeVar("T")


@dataclass(frozen=True)
class Posted:
    """What a post stored: how many rows, and the row itself when one object was posted."""

    count: int
    reading: ReadingRecord | None = None
    event: EventRecord | None = None


def _key(item: DataItem | EventItem) -> StreamKey:
    return (item.stream.project, item.stream.device, item.stream.lid)


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _wide_value(raw: int, config: StreamConfig | None) -> tuple[float | None, int]:
    """A posted int_value outside u32 cannot be re-read in a raw format; like the server's
    struct.error path it is clamped and scaled as it is."""
    if config is None:
        return float(raw), NUM
    if config.is_encoded:
        return None, PE
    value = config.mdo.apply(np.asarray([max(-CLAMP, min(CLAMP, raw))], dtype=np.float64))
    if config.input_mdo is None:
        return float(value[0]), NUM
    return float(config.input_mdo.apply(value)[0]), ITR


def _group_values(items: Sequence[DataItem], rows: list[int],
                  configs: Mapping[int, StreamConfig]) -> Iterator[tuple[int, float | None, int]]:
    inside = [i for i in rows if 0 <= (items[i].int_value or 0) <= U32]
    if inside:
        result = compute([items[i].stream.lid for i in inside], [items[i].int_value or 0 for i in inside], configs)
        for pos, i in enumerate(inside):
            yield i, finite(float(result.value[pos])), int(result.type[pos])
    for i in sorted(set(rows) - set(inside)):
        yield i, *_wide_value(items[i].int_value or 0, configs.get(items[i].stream.lid))


def reading_values(items: Sequence[DataItem],
                   streams: Mapping[StreamKey, StreamSettings]) -> tuple[list[float | None], list[int]]:
    """``value`` and ``type`` of each item: a posted ``value`` is kept (ITR); an ``int_value`` goes
    through its stream's raw format, m/d/o and input unit, per device, vectorized."""
    values: list[float | None] = [item.value for item in items]
    kinds = [ITR if item.value is not None else NUM for item in items]
    groups: dict[tuple[int, int], list[int]] = {}
    for index, item in enumerate(items):
        if item.int_value is not None:
            groups.setdefault((item.stream.project, item.stream.device), []).append(index)
    for (project, device), rows in groups.items():
        configs = {lid: resolve(s) for (p, d, lid), s in streams.items() if (p, d) == (project, device)}
        for index, value, kind in _group_values(items, rows, configs):
            values[index], kinds[index] = value, kind
    return values, kinds


def _data_table(items: Sequence[DataItem], values: list[float | None], kinds: list[int]) -> pa.Table:
    stamps = [_naive(item.timestamp) for item in items]
    return pa.table({
        "project": pa.array([i.stream.project for i in items], pa.uint32()),
        "device": pa.array([i.stream.device for i in items], pa.uint64()),
        "variable": pa.array([i.stream.lid for i in items], pa.uint16()),
        "timestamp": pa.array(stamps, pa.timestamp("us")),
        "device_timestamp": pa.array([i.device_timestamp for i in items], pa.int64()),
        "streamer_local_id": pa.array([i.streamer_local_id for i in items], pa.int64()),
        "int_value": pa.array([i.int_value for i in items], pa.int64()),
        "value": pa.array(values, pa.float64()),
        "status": pa.array([i.status for i in items], pa.uint8()),
        "type": pa.array(kinds, pa.uint8()),
        "dirty_ts": pa.array([s if i.dirty else None for s, i in zip(stamps, items, strict=True)],
                             pa.timestamp("us")),
    })


def _event_table(items: Sequence[EventItem], uuids: list[str], keys: list[str | None]) -> pa.Table:
    return pa.table({
        "project": pa.array([i.stream.project for i in items], pa.uint32()),
        "device": pa.array([i.stream.device for i in items], pa.uint64()),
        "variable": pa.array([i.stream.lid for i in items], pa.uint16()),
        "timestamp": pa.array([_naive(i.timestamp) for i in items], pa.timestamp("us")),
        "device_timestamp": pa.array([i.device_timestamp for i in items], pa.int64()),
        "streamer_local_id": pa.array([i.streamer_local_id for i in items], pa.int64()),
        "uuid": pa.array(uuids, pa.string()),
        "ext": pa.array([i.ext for i in items], pa.string()),
        "format_version": pa.array([2] * len(items), pa.int32()),
        "extra_data": pa.array([None if i.extra_data is None else json.dumps(i.extra_data) for i in items],
                               pa.string()),
        "blob_key": pa.array(keys, pa.string()),
    })


def _writable(principal: Principal, keys: set[StreamKey]) -> None:
    """Archives are read-only; a device token (a-jwt) writes to its own device only."""
    for _project, device, _lid in sorted(keys):
        if device >> SERIAL_BITS:
            raise ValidationError("data blocks (archives) are read-only", key="archived_stream")
        if principal.device_id is not None and device != principal.device_id:
            raise PermissionDenied("this device token may only post data for its own device")


def _enabled(keys: set[StreamKey], targets: repo.PostTargets) -> None:
    for key in sorted(keys):
        settings = targets.streams.get(key)
        if settings is not None and not settings.enabled:
            raise PermissionDenied(f"Stream not enabled {StreamSlug(*key).slug}", key="stream_disabled")


def _data_allowed(access: Access, keys: set[StreamKey], targets: repo.PostTargets) -> None:
    """The server's StreamDataBuilderHelper.user_has_write_access: the project's org and the device's."""
    for project in sorted({key[0] for key in keys}):
        require(access, targets.projects.get(project), Perm.CREATE_STREAM_DATA, "project")
    for device in sorted({key[1] for key in keys} - {0}):
        require(access, targets.devices.get(device), Perm.CREATE_STREAM_DATA, "device")


def _events_allowed(access: Access, keys: set[StreamKey], targets: repo.PostTargets) -> None:
    """StreamEventDataBuilderHelper.user_has_write_access: the device's org, or the project's for a
    virtual stream."""
    for project, device, _lid in sorted(keys):
        if device:
            require(access, targets.devices.get(device), Perm.CREATE_STREAM_DATA, "device")
        else:
            require(access, targets.projects.get(project), Perm.CREATE_STREAM_DATA, "project")


class DataPosts:
    def __init__(self, metadata: MetadataStore, streams: StreamStore, blobs: BlobStore, events: EventBus,
                 *, payload_limit: int) -> None:
        self._metadata = metadata
        self._streams = streams
        self._blobs = blobs
        self._events = events
        self._payload_limit = payload_limit

    async def parse(self, body: Any, parse_item: Callable[[Any, int | None], T]) -> tuple[list[T], bool]:
        """A post's items validated off the loop (a 4 MB list holds tens of thousands), and whether
        it was a list."""
        items, many = items_of(body)
        parsed = await off_loop(lambda: [parse_item(item, index if many else None)
                                         for index, item in enumerate(items)])
        return parsed, many

    async def _targets(self, principal: Principal, access: Access, keys: set[StreamKey],
                       *, events: bool) -> repo.PostTargets:
        _writable(principal, keys)
        targets = await db.read(self._metadata, lambda s: repo.post_targets(s, keys))
        (_events_allowed if events else _data_allowed)(access, keys, targets)
        _enabled(keys, targets)
        if targets.busy:  # as uploads: the device's data is being moved or deleted by a job
            raise Conflict("Device is busy. Operation cannot be completed at this time", key="device_busy")
        return targets

    async def post_data(self, principal: Principal, access: Access, items: list[DataItem], *,
                        many: bool) -> Posted:
        """``many``: a list was posted (answered with a count even when it holds one item)."""
        refuse_api_keys(access)
        if not items:
            return Posted(0)
        keys = {_key(item) for item in items}
        targets = await self._targets(principal, access, keys, events=False)

        def submit() -> Future[int]:
            values, kinds = reading_values(items, targets.streams)
            return self._streams.append_data(_data_table(items, values, kinds))

        count = await committed(submit)
        self._announce(keys)
        if many:
            return Posted(count)
        return Posted(count, reading=await off_loop(self._stored_reading, items[0]))

    def _stored_reading(self, item: DataItem) -> ReadingRecord | None:
        """The row just stored for a one-object post (the newest identical row: ids only grow)."""
        page = self._streams.query_data(StreamSelector(*_key(item)), start=item.timestamp,
                                        end=item.timestamp + ONE_MICROSECOND, seq_min=item.streamer_local_id,
                                        seq_max=item.streamer_local_id, lastn=1)
        rows = readings_of(page.rows)
        return rows[0] if rows else None

    async def post_events(self, principal: Principal, access: Access, items: list[EventItem], *,
                          many: bool) -> Posted:
        refuse_api_keys(access)
        if not items:
            return Posted(0)
        await self._targets(principal, access, {_key(item) for item in items}, events=True)
        uuids = [str(uuid.uuid4()) for _ in items]
        blob_keys = await off_loop(self._put_payloads, items, uuids)
        return await self._store_events(items, uuids, blob_keys, many=many)

    async def upload_event(self, principal: Principal, access: Access, item: EventItem, content: bytes) -> Posted:
        """``event/upload/``: the file is checked to be JSON (after a bounded gunzip for .json.gz)
        and kept as uploaded."""
        await self._targets(principal, access, {_key(item)}, events=True)
        plain = await off_loop(gunzip, content, self._payload_limit) if item.ext == "json.gz" else content
        try:
            await off_loop(json.loads, plain)
        except ValueError as err:
            raise ValidationError(f"the file is not valid JSON: {err}", key="bad_json_file") from err
        name = str(uuid.uuid4())
        blob_key = await off_loop(self._put_payload, name, item.ext, content)
        return await self._store_events([item], [name], [blob_key], many=False)

    def _put_payload(self, name: str, ext: str, payload: bytes) -> str:
        key = f"events/{datetime.now(timezone.utc):%Y/%m/%d}/{name}.{ext}"
        self._blobs.put(key, payload)
        return key

    def _put_payloads(self, items: list[EventItem], uuids: list[str]) -> list[str | None]:
        """Payload blobs first (raw first): an event row never points at a missing file."""
        return [None if item.data is None else self._put_payload(name, "json", json.dumps(item.data).encode("utf-8"))
                for item, name in zip(items, uuids, strict=True)]

    async def _store_events(self, items: list[EventItem], uuids: list[str], blob_keys: list[str | None], *,
                            many: bool) -> Posted:
        count = await committed(lambda: self._streams.append_events(_event_table(items, uuids, blob_keys)))
        self._announce({_key(item) for item in items})
        if many:
            return Posted(count)
        return Posted(count, event=await off_loop(self._stored_event, items[0], uuids[0]))

    def _stored_event(self, item: EventItem, name: str) -> EventRecord | None:
        page = self._streams.query_events(StreamSelector(*_key(item)), start=item.timestamp,
                                          end=item.timestamp + ONE_MICROSECOND)
        return next((record for record in events_of(page.rows) if record.uuid == name), None)

    def _announce(self, keys: set[StreamKey]) -> None:
        devices = sorted({key[1] for key in keys})
        self._events.publish(Changes(readings=True, initiator="data", detail={"devices": devices}))
