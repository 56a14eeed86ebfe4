"""Readings and events as records, shaped on the wire exactly like iotile.cloud's serializers.

A stored row names its stream by integers (project gid, device id, lid); the slugs the server
keeps on every row (stream, project, device, variable) are derived here the way its
``deduce_slugs_from_stream_id`` does: a device part whose top group is not 0000 is a data block
(``b--``) and then the project is ``""``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Generic, TypeVar

import pyarrow as pa  # type: ignore[import-untyped]

from appliance.slugs import BlockSlug, DeviceSlug, ProjectSlug, StreamSlug, VariableSlug
from storage.streams import ReadingStatus, ReadingType

SERIAL_BITS = 48
DATA_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
R = TypeVar("R")


@dataclass(frozen=True)
class StreamSlugs:
    stream: str
    project: str
    device: str
    variable: str


@lru_cache(maxsize=4096)
def slugs_of(project: int, device: int, lid: int) -> StreamSlugs:
    """The four slugs iotile.cloud stores on each row, from the row's integer stream key."""
    block = device >> SERIAL_BITS
    owner = BlockSlug(block, device & ((1 << SERIAL_BITS) - 1)).slug if block else DeviceSlug(device).slug
    return StreamSlugs(StreamSlug(project, device, lid).slug, "" if block else ProjectSlug(project).slug, owner,
                       VariableSlug(project, lid).slug)


def utc(moment: datetime | None) -> datetime | None:
    """The store keeps naive UTC; records carry aware datetimes."""
    return None if moment is None else moment.replace(tzinfo=timezone.utc)


def finite(value: float | None) -> float | None:
    """JSON has no NaN: encoded-stream elements store NaN where they have no value."""
    return None if value is None or math.isnan(value) or math.isinf(value) else value


def data_time(moment: datetime) -> str:
    """The data serializers' RedshiftTimestampField: whole seconds, 'Z'."""
    return moment.strftime(DATA_TIME_FORMAT)


def iso_time(moment: datetime) -> str:
    """DRF's default DateTimeField output for UTC: microseconds only when present, 'Z'."""
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Page(Generic[R]):
    """One page of records and the number of records all pages hold."""

    total: int
    rows: tuple[R, ...]


@dataclass(frozen=True, kw_only=True)
class ReadingRecord:
    id: int
    project: int
    device: int
    variable: int
    timestamp: datetime
    device_timestamp: int | None
    streamer_local_id: int | None
    int_value: int | None
    value: float | None
    status: int
    type: int
    dirty: bool

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.project, self.device, self.variable)

    @property
    def slugs(self) -> StreamSlugs:
        return slugs_of(self.project, self.device, self.variable)

    def as_json(self) -> dict[str, Any]:
        """``data/`` (StreamDataSerializer): ``dirty_ts`` is a flag, ``status``/``type`` codes."""
        slugs = self.slugs
        return {"id": self.id, "stream": slugs.stream, "project": slugs.project, "device": slugs.device,
                "variable": slugs.variable, "type": ReadingType(self.type).code,
                "device_timestamp": self.device_timestamp, "timestamp": data_time(self.timestamp),
                "int_value": self.int_value, "value": self.value,
                "streamer_local_id": self.streamer_local_id or 0, "dirty_ts": self.dirty,
                "status": ReadingStatus(self.status).code}


@dataclass(frozen=True, kw_only=True)
class EventRecord:
    id: int
    project: int
    device: int
    variable: int
    timestamp: datetime | None
    device_timestamp: int | None
    streamer_local_id: int | None
    uuid: str
    ext: str | None
    extra_data: Any
    blob_key: str | None

    @property
    def key(self) -> tuple[int, int, int]:
        return (self.project, self.device, self.variable)

    def as_json(self) -> dict[str, Any]:
        """``event/`` (StreamEventDataSerializer). Payloads are local blobs: ``s3key`` is the blob
        key and ``s3bucket`` is null; events keep no status, so it reads ``unk``."""
        slugs = slugs_of(self.project, self.device, self.variable)
        return {"id": self.id, "stream": slugs.stream, "project": slugs.project, "device": slugs.device,
                "variable": slugs.variable, "s3bucket": None, "s3key": self.blob_key, "ext": self.ext,
                "has_raw_data": bool(self.blob_key), "device_timestamp": self.device_timestamp,
                "timestamp": self.timestamp, "streamer_local_id": self.streamer_local_id or 0,
                "dirty_ts": False, "status": ReadingStatus.UNKNOWN.code, "extra_data": self.extra_data}


def _columns(rows: pa.Table, names: tuple[str, ...]) -> Iterator[tuple[Any, ...]]:
    return zip(*(rows.column(name).to_pylist() for name in names), strict=True)


_DATA = ("id", "project", "device", "variable", "timestamp", "device_timestamp", "streamer_local_id",
         "int_value", "value", "status", "type", "dirty_ts")
_EVENTS = ("id", "project", "device", "variable", "timestamp", "device_timestamp", "streamer_local_id",
           "uuid", "ext", "extra_data", "blob_key")


def readings_of(rows: pa.Table) -> tuple[ReadingRecord, ...]:
    """Records of a store page (runs in an executor: a page may hold 20,000 rows)."""
    return tuple(
        ReadingRecord(id=i, project=p, device=d, variable=v, timestamp=ts.replace(tzinfo=timezone.utc),
                      device_timestamp=dts, streamer_local_id=seq, int_value=iv, value=finite(val),
                      status=st, type=ty, dirty=dirty is not None)
        for i, p, d, v, ts, dts, seq, iv, val, st, ty, dirty in _columns(rows, _DATA))


def _extra(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def events_of(rows: pa.Table) -> tuple[EventRecord, ...]:
    return tuple(
        EventRecord(id=i, project=p, device=d, variable=v, timestamp=utc(ts), device_timestamp=dts,
                    streamer_local_id=seq, uuid=u, ext=ext, extra_data=_extra(extra), blob_key=key)
        for i, p, d, v, ts, dts, seq, u, ext, extra, key in _columns(rows, _EVENTS))
