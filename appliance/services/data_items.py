"""Validation of posted readings and events, field by field, before anything is stored.

The rules are the real serializers' (StreamDataSerializer, StreamEventDataSerializer,
StreamEventDataRawUploadSerializer), made strict where the server would store garbage or fail
later: NaN/inf values, booleans as numbers and unknown fields are refused. Read-only fields a
client may echo back (id, project, device, variable, ...) are ignored, as DRF ignores them.
A list is refused whole on its first bad item (DESIGN decision 8).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from appliance.errors import ValidationError
from appliance.slugs import SlugError, StreamSlug
from storage.streams import ReadingStatus

INT64 = (-(1 << 63), (1 << 63) - 1)
POSITIVE_INT = (0, 0x7FFFFFFF)
STATUS = {status.code: int(status) for status in ReadingStatus}
DATA_FIELDS = frozenset({"stream", "type", "device_timestamp", "timestamp", "int_value", "value",
                         "streamer_local_id", "dirty_ts", "status"})
DATA_READ_ONLY = frozenset({"id", "project", "device", "variable"})
EVENT_FIELDS = frozenset({"stream", "device_timestamp", "timestamp", "streamer_local_id", "dirty_ts", "status",
                          "data", "extra_data", "ext"})
EVENT_READ_ONLY = frozenset({"id", "project", "device", "variable", "s3bucket", "s3key", "has_raw_data"})
EXTENSIONS = ("json", "json.gz", "csv")


class ItemError(ValidationError):
    key = "bad_item"


@dataclass(frozen=True)
class Where:
    """Which item of a post a message is about (None: the post is one object)."""

    index: int | None

    def fail(self, name: str, message: str) -> ItemError:
        prefix = "" if self.index is None else f"item {self.index}: "
        detail: dict[str, Any] = {name: [message]}
        if self.index is not None:
            detail["index"] = self.index
        return ItemError(f"{prefix}{name}: {message}", detail=detail)


@dataclass(frozen=True)
class DataItem:
    stream: StreamSlug
    timestamp: datetime
    device_timestamp: int | None
    streamer_local_id: int
    int_value: int | None
    value: float | None
    dirty: bool
    status: int


@dataclass(frozen=True)
class EventItem:
    stream: StreamSlug
    timestamp: datetime
    device_timestamp: int | None
    streamer_local_id: int
    extra_data: dict[str, Any] | None
    data: Any
    ext: str


def parse_time(text: str) -> datetime:
    """ISO 8601 as DRF reads it: naive means UTC, 'Z' and offsets allowed; result aware UTC."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    moment = datetime.fromisoformat(cleaned)
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _stream(where: Where, value: Any) -> StreamSlug:
    if not isinstance(value, str) or not value:
        raise where.fail("stream", "This field is required and must be an s-- slug.")
    try:
        return StreamSlug.parse(value)
    except SlugError as err:
        raise where.fail("stream", err.message) from err


def _timestamp(where: Where, value: Any) -> datetime:
    if not isinstance(value, str) or not value.strip():
        raise where.fail("timestamp", "This field is required and must be an ISO 8601 date-time.")
    try:
        return parse_time(value)
    except (ValueError, OverflowError) as err:
        raise where.fail("timestamp", f"{value!r} is not an ISO 8601 date-time.") from err


def _int(where: Where, name: str, value: Any, bounds: tuple[int, int]) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise where.fail(name, "A valid integer is required.")
    if not bounds[0] <= value <= bounds[1]:
        raise where.fail(name, f"Must be between {bounds[0]} and {bounds[1]}.")
    return value


def _optional_int(where: Where, item: Mapping[str, Any], name: str, bounds: tuple[int, int]) -> int | None:
    value = item.get(name)
    return None if value is None else _int(where, name, value, bounds)


def _float(where: Where, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise where.fail("value", "A valid number is required.")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise where.fail("value", "NaN and infinite values are not allowed.")
    return number


def _flag(where: Where, item: Mapping[str, Any]) -> bool:
    value = item.get("dirty_ts", False)
    if not isinstance(value, bool):
        raise where.fail("dirty_ts", "Must be true or false.")
    return value


def _status(where: Where, item: Mapping[str, Any]) -> int:
    value = item.get("status", "unk")
    if value not in STATUS:
        raise where.fail("status", f"{value!r} is not a valid choice ({', '.join(STATUS)}).")
    return STATUS[value]


def _object(where: Where, item: Any, allowed: frozenset[str], ignored: frozenset[str]) -> Mapping[str, Any]:
    if not isinstance(item, dict):
        raise where.fail("non_field_errors", "Expected an object.")
    unknown = sorted(set(item) - allowed - ignored)
    if unknown:
        raise where.fail(unknown[0], "Unknown field.")
    return item


def _data_numbers(where: Where, item: Mapping[str, Any]) -> tuple[int | None, float | None]:
    """Exactly one of int_value (type Num) and value (type ITR)."""
    has_int, has_value = item.get("int_value") is not None, item.get("value") is not None
    kind = item.get("type")
    if has_int == has_value:
        raise where.fail("non_field_errors", "Only int_value or value should be used" if has_int
                         else "Either int_value or value should be used")
    if has_int and kind not in (None, "Num"):
        raise where.fail("type", "type should be 'Num' if int_value is used")
    if has_value and kind not in (None, "ITR"):
        raise where.fail("type", "type should be 'ITR' or None if value is used")
    if has_int:
        return _int(where, "int_value", item["int_value"], INT64), None
    return None, _float(where, item["value"])


def data_item(item: Any, index: int | None) -> DataItem:
    where = Where(index)
    fields = _object(where, item, DATA_FIELDS, DATA_READ_ONLY)
    int_value, value = _data_numbers(where, fields)
    return DataItem(_stream(where, fields.get("stream")), _timestamp(where, fields.get("timestamp")),
                    _optional_int(where, fields, "device_timestamp", INT64),
                    _optional_int(where, fields, "streamer_local_id", POSITIVE_INT) or 0,
                    int_value, value, _flag(where, fields), _status(where, fields))


def _extra_data(where: Where, value: Any) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise where.fail("extra_data", "extra_data must be a valid dictionary object")
    return value


def event_item(item: Any, index: int | None) -> EventItem:
    where = Where(index)
    fields = _object(where, item, EVENT_FIELDS, EVENT_READ_ONLY)
    _flag(where, fields)
    _status(where, fields)
    ext = fields.get("ext", "json")
    if ext not in EXTENSIONS:
        raise where.fail("ext", f"{ext!r} is not a valid choice ({', '.join(EXTENSIONS)}).")
    data = fields.get("data")
    return EventItem(_stream(where, fields.get("stream")), _timestamp(where, fields.get("timestamp")),
                     _optional_int(where, fields, "device_timestamp", INT64),
                     _optional_int(where, fields, "streamer_local_id", POSITIVE_INT) or 0,
                     _extra_data(where, fields.get("extra_data")), data if data else None,
                     "json" if data else ext)


def _text_int(where: Where, fields: Mapping[str, str], name: str, bounds: tuple[int, int]) -> int | None:
    text = fields.get(name, "").strip()
    if not text:
        return None
    try:
        number = int(text)
    except ValueError as err:
        raise where.fail(name, "A valid integer is required.") from err
    return _int(where, name, number, bounds)


def _encoded_extra_data(where: Where, text: str | None) -> dict[str, Any] | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as err:
        raise where.fail("encoded_extra_data", f"Failed to deserialize value: {err}") from err
    if not isinstance(value, dict):
        raise where.fail("encoded_extra_data", "Value should be a utf-8 encoded string")
    return value


def upload_item(fields: Mapping[str, str], ext: str) -> EventItem:
    """The form fields of ``event/upload/`` (multipart: every value arrives as text)."""
    where = Where(None)
    return EventItem(_stream(where, fields.get("stream")), _timestamp(where, fields.get("timestamp")),
                     _text_int(where, fields, "device_timestamp", INT64),
                     _text_int(where, fields, "streamer_local_id", POSITIVE_INT) or 0,
                     _encoded_extra_data(where, fields.get("encoded_extra_data")), None, ext)


def items_of(body: Any) -> tuple[list[Any], bool]:
    """A post's items and whether it was a list (``{"count"}`` answer) or one object."""
    if isinstance(body, list):
        return body, True
    if isinstance(body, dict):
        return [body], False
    raise ValidationError("expected a JSON object or a list of objects", key="bad_json")
