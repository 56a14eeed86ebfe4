"""Stream data and stream events in DuckDB (``streams.duckdb``).

A stream is the triple (project gid, device id, variable lid); readings enter as numpy or Arrow
batches through a single writer with group commit and come back as Arrow tables. See
``store.StreamStore`` for the API and ``schema`` for the tables and their migrations.
"""

from __future__ import annotations

from storage.streams.batches import DataBatch, EventBatch
from storage.streams.columns import DATA_SCHEMA, EVENT_SCHEMA, ReadingStatus, ReadingType
from storage.streams.errors import StreamStoreError
from storage.streams.queries import DataPage, StreamSelector
from storage.streams.store import StreamStore
from storage.streams.writing import Prepared, WriteContext, prepare

__all__ = [
    "DATA_SCHEMA",
    "EVENT_SCHEMA",
    "DataBatch",
    "DataPage",
    "EventBatch",
    "ReadingStatus",
    "ReadingType",
    "StreamSelector",
    "StreamStore",
    "StreamStoreError",
    "Prepared",
    "WriteContext",
    "prepare",
]
