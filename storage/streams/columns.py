"""The columns of the stream tables, declared once.

Validation, the DDL's insert lists and the read queries all walk these tuples, so adding a column
in a migration means adding one row here rather than editing several SQL strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import pyarrow as pa  # type: ignore[import-untyped]


class ReadingStatus(IntEnum):
    """How far a reading's timestamp can be trusted (iotile.cloud ``status``)."""

    UNKNOWN = 0
    CLEAN = 1
    DIRTY = 2
    UTC = 3

    @property
    def code(self) -> str:
        """The three-letter code iotile.cloud puts on the wire."""
        return ("unk", "cln", "drt", "utc")[self.value]


class ReadingType(IntEnum):
    """What a reading's value means (iotile.cloud ``type``)."""

    NUM = 0
    ITR = 1
    P0 = 2
    P1 = 3
    PE = 4

    @property
    def code(self) -> str:
        """The code iotile.cloud puts on the wire."""
        return ("Num", "ITR", "P-0", "P-1", "P-E")[self.value]


class Kind(IntEnum):
    """Which input types a column accepts; anything else is refused rather than coerced."""

    INTEGER = 0
    FLOAT = 1
    TIMESTAMP = 2
    TEXT = 3


@dataclass(frozen=True, kw_only=True)
class Column:
    """One stored column: its Arrow type, whether it may hold nulls, and its value when omitted."""

    name: str
    arrow_type: pa.DataType
    kind: Kind
    nullable: bool = True
    default: int | None = None
    max_value: int | None = None


def _key(name: str, arrow_type: pa.DataType) -> Column:
    return Column(name=name, arrow_type=arrow_type, kind=Kind.INTEGER, nullable=False)


TIME = pa.timestamp("us")

STREAM_KEY: tuple[Column, ...] = (
    _key("project", pa.uint32()),
    _key("device", pa.uint64()),
    _key("variable", pa.uint16()),
)
"""The triple that names a stream; there are no foreign keys, so unknown streams are stored too."""

DATA_COLUMNS: tuple[Column, ...] = (
    *STREAM_KEY,
    Column(name="timestamp", arrow_type=TIME, kind=Kind.TIMESTAMP, nullable=False),
    Column(name="device_timestamp", arrow_type=pa.int64(), kind=Kind.INTEGER),
    Column(name="streamer_local_id", arrow_type=pa.int64(), kind=Kind.INTEGER),
    Column(name="int_value", arrow_type=pa.int64(), kind=Kind.INTEGER),
    Column(name="value", arrow_type=pa.float64(), kind=Kind.FLOAT),
    Column(
        name="status",
        arrow_type=pa.uint8(),
        kind=Kind.INTEGER,
        nullable=False,
        default=int(ReadingStatus.UNKNOWN),
        max_value=max(ReadingStatus),
    ),
    Column(
        name="type",
        arrow_type=pa.uint8(),
        kind=Kind.INTEGER,
        nullable=False,
        default=int(ReadingType.NUM),
        max_value=max(ReadingType),
    ),
    Column(name="dirty_ts", arrow_type=TIME, kind=Kind.TIMESTAMP),
)

EVENT_COLUMNS: tuple[Column, ...] = (
    *STREAM_KEY,
    # Nullable: an E2 event learns its time later, from the reading that points at it.
    Column(name="timestamp", arrow_type=TIME, kind=Kind.TIMESTAMP),
    Column(name="device_timestamp", arrow_type=pa.int64(), kind=Kind.INTEGER),
    Column(name="streamer_local_id", arrow_type=pa.int64(), kind=Kind.INTEGER),
    Column(name="uuid", arrow_type=pa.string(), kind=Kind.TEXT, nullable=False),
    Column(name="ext", arrow_type=pa.string(), kind=Kind.TEXT),
    Column(name="format_version", arrow_type=pa.int32(), kind=Kind.INTEGER),
    Column(name="extra_data", arrow_type=pa.string(), kind=Kind.TEXT),
    Column(name="blob_key", arrow_type=pa.string(), kind=Kind.TEXT),
)

DATA_SCHEMA = pa.schema([pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in DATA_COLUMNS])
EVENT_SCHEMA = pa.schema([pa.field(c.name, c.arrow_type, nullable=c.nullable) for c in EVENT_COLUMNS])

REBOOT_VARIABLE = 0x5C00
"""A device reboot (its uptime clock restarts after it)."""
COMPLETE_REPORT, CHOPPED_REPORT = 0x5A05, 0x5A06
"""The cloud's marker per stored report (value: the streamer index; sequence id: the report id)."""

SORT_KEY: tuple[str, ...] = ("project", "device", "variable", "timestamp", "streamer_local_id")
"""Rows are inserted in this order so DuckDB's per-row-group min/max can skip other streams."""


def names(columns: tuple[Column, ...]) -> str:
    """A comma-separated column list for SQL; names come from the tuples above, never from callers."""
    return ", ".join(f'"{c.name}"' for c in columns)
