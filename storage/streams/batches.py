"""Batches callers hand to the store, and their preparation into sorted Arrow tables.

Preparation (validate, cast, sort) happens in the caller's thread so the single writer only
concatenates and inserts; with several uploading threads the expensive part runs in parallel.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

from storage.streams.columns import DATA_COLUMNS, DATA_SCHEMA, EVENT_COLUMNS, EVENT_SCHEMA, SORT_KEY, Column
from storage.streams.convert import column_array

Array = npt.NDArray[Any]
"""A numpy array; a ``numpy.ma.MaskedArray`` marks nulls with its mask."""


@dataclass(frozen=True, kw_only=True)
class DataBatch:
    """Readings as equal-length columns; an optional column left as None is all null (or 0 for
    status and type). Timestamps are naive UTC ``datetime64``; ids are assigned by the store."""

    project: Array
    device: Array
    variable: Array
    timestamp: Array
    device_timestamp: Array | None = None
    streamer_local_id: Array | None = None
    int_value: Array | None = None
    value: Array | None = None
    status: Array | None = None
    type: Array | None = None
    dirty_ts: Array | None = None

    @classmethod
    def for_stream(
        cls, project: int, device: int, variable: int, *, timestamp: npt.ArrayLike, **columns: Any
    ) -> DataBatch:
        """Readings of one stream, the common shape of an upload, without repeating its key."""
        stamps = np.asarray(timestamp)
        size = len(stamps)
        return cls(
            project=np.full(size, project, dtype=np.uint32),
            device=np.full(size, device, dtype=np.uint64),
            variable=np.full(size, variable, dtype=np.uint16),
            timestamp=stamps,
            **{name: None if values is None else np.asanyarray(values) for name, values in columns.items()},
        )

    def __len__(self) -> int:
        return len(self.timestamp)


@dataclass(frozen=True, kw_only=True)
class EventBatch:
    """Stream events as columns. ``uuid`` entries left None are generated; ``extra_data`` holds
    JSON text or mappings (dumped here); the event's payload itself lives in the blob store."""

    project: Array
    device: Array
    variable: Array
    timestamp: Array
    device_timestamp: Array | None = None
    streamer_local_id: Array | None = None
    uuid: Sequence[str | uuid.UUID | None] | None = None
    ext: Sequence[str | None] | None = None
    format_version: Array | None = None
    extra_data: Sequence[str | Mapping[str, Any] | None] | None = None
    blob_key: Sequence[str | None] | None = None

    def __len__(self) -> int:
        return len(self.timestamp)


def prepare_data(batch: DataBatch | pa.Table) -> pa.Table:
    """Validate readings and return them as a ``DATA_SCHEMA`` table sorted by stream and time."""
    columns = _columns_of(batch, DataBatch)
    table = _build(DATA_COLUMNS, DATA_SCHEMA, columns)
    return sort_by_stream(table)


def prepare_events(batch: EventBatch | pa.Table) -> pa.Table:
    """Validate events (uuids, JSON) and return them as an ``EVENT_SCHEMA`` table."""
    columns = _columns_of(batch, EventBatch)
    size = _length_of(columns)
    columns["uuid"] = _uuids(columns.get("uuid"), size)
    columns["extra_data"] = _json_texts(columns.get("extra_data"))
    table = _build(EVENT_COLUMNS, EVENT_SCHEMA, columns)
    return sort_by_stream(table)


def _columns_of(batch: object, kind: type[DataBatch] | type[EventBatch]) -> dict[str, Any]:
    if isinstance(batch, kind):
        return {field.name: getattr(batch, field.name) for field in fields(batch)}
    if isinstance(batch, pa.RecordBatch):
        batch = pa.Table.from_batches([batch])
    if not isinstance(batch, pa.Table):
        raise ValueError(f"expected a {kind.__name__} or a pyarrow Table, got {type(batch).__name__}")
    known = {field.name for field in fields(kind)}
    unknown = sorted(set(batch.column_names) - known)
    if unknown:
        raise ValueError(f"unknown columns {unknown}; ids are assigned by the store")
    return {name: batch.column(name) for name in batch.column_names}


def _length_of(columns: Mapping[str, Any]) -> int:
    stamps = columns.get("timestamp")
    if stamps is None:
        raise ValueError("column 'timestamp' is required")
    return len(stamps)


def _build(spec: tuple[Column, ...], schema: pa.Schema, columns: Mapping[str, Any]) -> pa.Table:
    size = _length_of(columns)
    arrays = [column_array(column, columns.get(column.name), size) for column in spec]
    return pa.Table.from_arrays(arrays, schema=schema)


def sort_by_stream(table: pa.Table) -> pa.Table:
    """Sort rows by ``SORT_KEY`` unless they already are (the usual case for a one-stream upload)."""
    if table.num_rows < 2:
        return table
    keys = [_sortable(table.column(name)) for name in SORT_KEY]
    if _is_sorted(keys):
        return table
    order = np.lexsort(keys[::-1])
    return table.take(pa.array(order))


def _sortable(column: pa.ChunkedArray) -> Array:
    """Nulls (missing sequence ids, E2 event times) sort first, like ``NULLS FIRST`` in the reads."""
    if pa.types.is_timestamp(column.type):
        column = column.cast(pa.int64())
    if column.null_count:  # only the int64 columns of the key can hold nulls
        column = column.fill_null(np.iinfo(np.int64).min)
    result: Array = column.to_numpy()
    return result


def _is_sorted(keys: Sequence[Array]) -> bool:
    """Lexicographic order of adjacent rows, vectorised: cheaper than sorting what is sorted."""
    tied = np.ones(len(keys[0]) - 1, dtype=bool)
    for key in keys:
        before, after = key[:-1], key[1:]
        if np.any(tied & (before > after)):
            return False
        tied &= before == after
        if not tied.any():
            return True
    return True


def _uuids(values: Any, size: int) -> list[str]:
    if values is None:
        return [str(uuid.uuid4()) for _ in range(size)]
    items = values.to_pylist() if isinstance(values, pa.Array | pa.ChunkedArray) else list(values)
    try:
        return [str(uuid.uuid4() if item is None else uuid.UUID(str(item))) for item in items]
    except ValueError as err:
        raise ValueError(f"column 'uuid': {err}") from err


def _json_texts(values: Any) -> list[str | None] | None:
    if values is None:
        return None
    items = values.to_pylist() if isinstance(values, pa.Array | pa.ChunkedArray) else list(values)
    return [_json_text(item) for item in items]


def _json_text(item: object) -> str | None:
    if item is None:
        return None
    if isinstance(item, Mapping):
        return json.dumps(item, separators=(",", ":"))
    if isinstance(item, str):
        try:
            json.loads(item)
        except ValueError as err:
            raise ValueError(f"column 'extra_data' holds invalid JSON: {err}") from err
        return item
    raise ValueError(f"column 'extra_data' cannot hold {type(item).__name__} values")
