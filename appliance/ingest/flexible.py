"""The v2 report (iotile-core ``FlexibleDictionaryReport``): ``.mp`` msgpack and ``.json`` uploads.

Top-level keys, as the real server's ``StreamerReportJsonV2PostSerializer`` requires them:
``format``, ``device``, ``streamer_index``, ``streamer_selector``, ``device_sent_timestamp``,
``lowest_id`` and ``highest_id``; ``incremental_id`` (0 when absent, iotile-core's default),
``events`` and ``data`` are optional; unknown keys are ignored, as DRF ignores them.

Deliberate differences from the real server, which validates only the top level at upload and
lets bad items fail later in its worker (the upload has then already been acknowledged):

* every item is validated now, so a report is refused whole or accepted whole;
* ``format`` must be ``v1xx`` (the layout iotile-core writes as ``v100``; the mock cloud accepts
  only ``v100``, the real server any non-empty string);
* ``device`` must fit the 48 bits of a device serial (the top 16 bits of a ``d--`` id name a data
  block), ``streamer_index`` the 16 bits of a ``t--`` slug; ids, times and values are u32 like the
  binary format's; ``events``/``data`` may be absent but not null;
* limits (`MAX_ITEMS`, `MAX_CONTAINERS`, `fields.MAX_DEPTH`) bound the memory a hostile document
  can make us allocate before it is refused.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, TypedDict

import msgpack  # type: ignore[import-untyped]
import numpy as np

from appliance.ingest import fields
from appliance.ingest.decoded import (
    INVALID_RAW_TIME,
    READING_DTYPE,
    DecodedEvent,
    DecodedReport,
    Readings,
    ReportError,
    ReportFormat,
    Timestamps,
)
from appliance.ingest.fields import epoch_microseconds, integer, mapping, required, sequence, stream_id
from appliance.slugs import SERIAL_MASK

MAX_ITEMS = 1_000_000
"""Most events plus data items in one report (a 1 MB v2 report holds about 10,000)."""
MAX_CONTAINERS = 4 * MAX_ITEMS
"""Most lists and objects in one document: an empty one costs a byte on the wire and ~60 in memory."""

FlexibleKind = Literal["msgpack", "json"]
_FORMAT_TAG = re.compile(r"v1[0-9]{2}")
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\(?:.|\Z)[^"\\]*)*(?:"|\Z)', re.DOTALL)
"""A JSON string, or an unterminated one up to the end: a match can never fail, so a document of
escaped quotes cannot make the scan retry from every quote (quadratic time)."""
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_NAT = np.iinfo(np.int64).min
_ROW_DTYPE = np.dtype(READING_DTYPE.descr + [("time", "<i8")])
_ITEM_PAYLOAD_DEPTH = 4
"""Nesting level of an event's extra_data/data: report (1), events (2), event (3)."""


class _Header(TypedDict):
    format_tag: str
    device_id: int
    streamer_index: int
    streamer_selector: int
    sent_timestamp: int
    lowest_id: int
    highest_id: int
    report_id: int


def decode_flexible(raw: bytes | bytearray | memoryview, kind: FlexibleKind) -> DecodedReport:
    """Decode a v2 report, or raise `ReportError` naming the first problem and where it is."""
    data = bytes(raw)
    if kind == "msgpack":
        document = _load_msgpack(data)
    elif kind == "json":
        document = _load_json(data)
    else:
        raise ValueError(f"unknown v2 report kind {kind!r}")
    return _build(mapping(document, "report"), ReportFormat(kind), len(data))


def _build(document: dict[str, Any], report_format: ReportFormat, length: int) -> DecodedReport:
    header = _header(document)
    data_items = _items(document, "data")
    event_items = _items(document, "events")
    if len(data_items) + len(event_items) > MAX_ITEMS:
        raise ReportError(
            f"report holds {len(data_items) + len(event_items)} items, more than the {MAX_ITEMS} allowed",
            key="too_many_items",
        )
    readings, timestamps = _readings(data_items)
    events = tuple(_event(item, f"events[{index}]") for index, item in enumerate(event_items))
    return DecodedReport(
        format=report_format, length=length, signature_flags=0, readings=readings, timestamps=timestamps,
        events=events, **header,
    )


def _header(document: dict[str, Any]) -> _Header:
    tag = fields.text(required(document, "format", ""), "", "format")
    if not _FORMAT_TAG.fullmatch(tag):
        raise ReportError(f"format {tag[:16]!r} is not a v2 report format (expected 'v100')", key="bad_format")
    return {
        "format_tag": tag,
        "device_id": _top_integer(document, "device", high=SERIAL_MASK),
        "streamer_index": _top_integer(document, "streamer_index", high=fields.U16_MAX),
        "streamer_selector": _top_integer(document, "streamer_selector"),
        "sent_timestamp": _top_integer(document, "device_sent_timestamp"),
        "lowest_id": _top_integer(document, "lowest_id"),
        "highest_id": _top_integer(document, "highest_id"),
        "report_id": integer(document.get("incremental_id", 0), "", "incremental_id"),
    }


def _top_integer(document: dict[str, Any], key: str, *, high: int = fields.U32_MAX) -> int:
    return integer(required(document, key, ""), "", key, high=high)


def _items(document: dict[str, Any], key: str) -> list[Any]:
    return sequence(document[key], key) if key in document else []


def _readings(items: list[Any]) -> tuple[Readings, Timestamps]:
    """The data items as the binary format's reading columns plus their absolute times."""
    rows = np.array([_reading(item, index) for index, item in enumerate(items)], dtype=_ROW_DTYPE)
    readings = np.zeros(len(rows), dtype=READING_DTYPE)
    for name in ("stream", "reading_id", "raw_time", "value"):
        readings[name] = rows[name]
    stamps = rows["time"].view("datetime64[us]")
    readings.flags.writeable = False
    stamps.flags.writeable = False
    return readings, stamps


def _reading(item: object, index: int) -> tuple[int, int, int, int, int, int]:
    """One validated row of `_ROW_DTYPE`; every value is range-checked so numpy never wraps one."""
    path = f"data[{index}]"
    entry = mapping(item, path)
    moment = fields.timestamp(entry.get("timestamp"), path)
    device_timestamp = entry.get("device_timestamp")
    return (
        stream_id(required(entry, "stream", path), path),
        0,
        integer(required(entry, "streamer_local_id", path), path, "streamer_local_id"),
        INVALID_RAW_TIME if device_timestamp is None else integer(device_timestamp, path, "device_timestamp"),
        integer(required(entry, "value", path), path, "value"),
        _NAT if moment is None else epoch_microseconds(moment),
    )


def _event(item: object, path: str) -> DecodedEvent:
    entry = mapping(item, path)
    device_timestamp = entry.get("device_timestamp")
    extra = entry.get("extra_data")
    return DecodedEvent(
        stream=stream_id(required(entry, "stream", path), path),
        streamer_local_id=integer(required(entry, "streamer_local_id", path), path, "streamer_local_id"),
        timestamp=fields.timestamp(entry.get("timestamp"), path),
        device_timestamp=None if device_timestamp is None else integer(device_timestamp, path, "device_timestamp"),
        extra_data={} if extra is None else fields.json_value(mapping(extra, f"{path}.extra_data"),
                                                              f"{path}.extra_data", _ITEM_PAYLOAD_DEPTH),
        data=fields.json_value(entry.get("data"), f"{path}.data", _ITEM_PAYLOAD_DEPTH),
    )


class _Budget:
    """Counts the lists and maps msgpack builds and stops it before a tiny hostile document can
    expand into gigabytes of empty containers."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def spend(self, container: Any) -> Any:
        self.left -= 1
        if self.left < 0:
            raise ReportError(f"report has more than {MAX_CONTAINERS} lists and maps", key="too_large")
        return container


def _load_msgpack(data: bytes) -> Any:
    budget = _Budget(MAX_CONTAINERS)
    try:
        # unpackb caps every declared length at len(data), so headers cannot make it over-allocate.
        return msgpack.unpackb(data, raw=False, strict_map_key=True, object_hook=budget.spend, list_hook=budget.spend)
    except (ValueError, msgpack.UnpackException) as err:
        raise ReportError(f"not a valid msgpack report: {err}", key="bad_msgpack") from err


def _load_json(data: bytes) -> Any:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ReportError(f"JSON report is not valid UTF-8: {err}", key="bad_json") from err
    _check_json_nesting(data)
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except (ValueError, RecursionError) as err:
        raise ReportError(f"not a valid JSON report: {err}", key="bad_json") from err


def _check_json_nesting(data: bytes) -> None:
    """Depth and container count from the brackets outside strings, before ``json`` allocates
    anything or recurses: exact for valid JSON, and invalid JSON is refused by the parser anyway."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", data))
    if len(brackets) > 2 * MAX_CONTAINERS:
        raise ReportError(f"report has more than {MAX_CONTAINERS} lists and objects", key="too_large")
    steps = np.frombuffer(brackets, dtype=np.uint8)
    opening = (steps == ord("[")) | (steps == ord("{"))
    depth = int(np.cumsum(np.where(opening, 1, -1), dtype=np.int32).max()) if steps.size else 0
    if depth > fields.MAX_DEPTH:
        raise ReportError(f"report is nested {depth} levels deep, more than {fields.MAX_DEPTH}", key="too_deep")


def _refuse_constant(name: str) -> float:
    raise ReportError(f"{name} is not a number a report may carry", key="bad_number")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if number in (float("inf"), float("-inf")):
        raise ReportError(f"{literal[:32]} is too large for a number", key="bad_number")
    return number
