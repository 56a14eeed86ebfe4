"""Strict readers for the values of a v2 (msgpack/JSON) report, each raising `ReportError`.

A v2 document is untrusted nested data, so every value is checked for its type and range before
it is used: no KeyError, TypeError or OverflowError can escape to the caller. Where the real
server is looser we follow what its clients actually send, and say so:

* integers: ``int``, or a finite float with no fractional part, because the IOTile Companion app
  writes ``device_sent_timestamp: 4294967295.0`` and the server's DRF ``IntegerField`` accepts it.
  ``bool`` is refused (DRF refuses it too) and so are numeric strings (which DRF would take);
* strings may arrive as msgpack ``bin`` (bytes) from Python 2 packers; they are decoded as UTF-8
  like the server's ``Python2CompatMessagePackParser`` does;
* timestamps follow Django's ``parse_datetime`` grammar; no zone means UTC (``force_to_utc``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any, NoReturn

from appliance.ingest.decoded import ReportError

U32_MAX = 0xFFFFFFFF
U16_MAX = 0xFFFF
MAX_DEPTH = 32
"""Deepest nesting a v2 document may have (the Companion app's reports need 6)."""
MAX_TIMESTAMP_LENGTH = 64

_STREAM_HEX = re.compile(r"[0-9a-fA-F]{1,4}")
_ISO_DATETIME = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:[.,](\d{1,6})\d{0,6})?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.ASCII,
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SCALARS = frozenset({str, int, bool, type(None)})


def fail(path: str, message: str, key: str) -> NoReturn:
    """Raise the decoding error for the value at ``path`` (e.g. ``data[3].stream``)."""
    raise ReportError(f"{path}: {message}", key=key)


def where(path: str, name: str) -> str:
    """The path of ``name`` inside ``path``; built only on failure, as valid reports are the norm."""
    if not name:
        return path
    return f"{path}.{name}" if path else name


def describe(value: object) -> str:
    """The JSON-ish name of a value's type, for messages a device integrator will read."""
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", bytes: "binary data",
             list: "a list", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def required(mapping: Mapping[str, Any], key: str, path: str) -> Any:
    """``mapping[key]``, refusing a missing key with its full path."""
    try:
        return mapping[key]
    except KeyError:
        fail(where(path, key), "required key is missing", "missing_key")


def mapping(value: object, path: str) -> dict[str, Any]:
    """An object with string keys (bytes keys from Python 2 packers decoded)."""
    if not isinstance(value, dict):
        fail(path, f"expected an object, got {describe(value)}", "bad_type")
    if all(type(key) is str for key in value):
        return value
    return {text(key, path, "<key>"): item for key, item in value.items()}


def sequence(value: object, path: str) -> list[Any]:
    """A list (msgpack array / JSON array)."""
    if not isinstance(value, list):
        fail(path, f"expected a list, got {describe(value)}", "bad_type")
    return value


def text(value: object, path: str, name: str = "") -> str:
    """A string; msgpack ``bin`` is accepted when it is valid UTF-8."""
    if type(value) is str:
        return value
    if type(value) is bytes:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            fail(where(path, name), "binary string is not valid UTF-8", "bad_type")
    fail(where(path, name), f"expected a string, got {describe(value)}", "bad_type")


def integer(value: object, path: str, name: str, *, high: int = U32_MAX) -> int:
    """A non-negative integer up to ``high``; integral floats pass, booleans and strings do not."""
    if type(value) is int:
        number = value
    elif type(value) is float and math.isfinite(value) and value.is_integer():
        number = int(value)
    else:
        fail(where(path, name), f"expected an integer, got {describe(value)}", "bad_type")
    if not 0 <= number <= high:
        fail(where(path, name), f"{number} is out of range 0..{high}", "out_of_range")
    return number


def stream_id(value: object, path: str, name: str = "stream") -> int:
    """A 16-bit stream id, as an int (``20512``) or a bare hex string (``"5020"``): the server's
    ``IOTileVariableSlug`` accepts both and treats them as the same variable."""
    if type(value) is int:
        return integer(value, path, name, high=U16_MAX)
    if type(value) in (str, bytes):
        digits = text(value, path, name)
        if _STREAM_HEX.fullmatch(digits):
            return int(digits, 16)
        fail(where(path, name), f"{digits[:16]!r} is not a stream id of 1 to 4 hex digits", "bad_stream")
    fail(where(path, name), f"expected a hex string or an integer, got {describe(value)}", "bad_type")


def timestamp(value: object, path: str, name: str = "timestamp") -> datetime | None:
    """An aware UTC datetime from an ISO 8601 string, or None for null."""
    if value is None:
        return None
    stamp = text(value, path, name)
    match = _ISO_DATETIME.fullmatch(stamp) if len(stamp) <= MAX_TIMESTAMP_LENGTH else None
    if match is None:
        fail(where(path, name), f"{stamp[:MAX_TIMESTAMP_LENGTH]!r} is not an ISO 8601 date and time", "bad_timestamp")
    try:
        return _to_datetime(match)
    except (ValueError, OverflowError) as err:
        fail(where(path, name), f"{stamp!r} is not a valid date and time ({err})", "bad_timestamp")


def epoch_microseconds(moment: datetime) -> int:
    """Microseconds since 1970 of an aware datetime, the integer behind ``datetime64[us]``."""
    return (moment - _EPOCH) // timedelta(microseconds=1)


def json_value(value: object, path: str, depth: int) -> Any:
    """A JSON-compatible copy of ``value`` (at nesting level ``depth``, the document being 1) for
    storage: finite numbers, string keys, bytes decoded, nothing msgpack-only (ext types,
    timestamps) and no container deeper than `MAX_DEPTH`."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is float:
        if not math.isfinite(value):  # type: ignore[arg-type]
            fail(path, f"{value} is not a finite number", "bad_number")
        return value
    if kind is bytes:
        return text(value, path)
    if depth > MAX_DEPTH:
        fail(path, f"nested deeper than {MAX_DEPTH} levels", "too_deep")
    if kind is list:
        items: list[object] = value  # type: ignore[assignment]
        return [_json_child(item, path, f"[{index}]", depth) for index, item in enumerate(items)]
    if kind is dict:
        return {text(key, path, "<key>"): _json_child(item, path, f".{key!s}", depth)
                for key, item in value.items()}  # type: ignore[attr-defined]
    fail(path, f"{describe(value)} cannot be stored as JSON", "bad_type")


def _json_child(value: object, path: str, step: str, depth: int) -> Any:
    """Skips building a path string for the common case of a plain scalar."""
    if type(value) in _SCALARS or (type(value) is float and math.isfinite(value)):
        return value
    return json_value(value, path + step, depth + 1)


def _to_datetime(match: re.Match[str]) -> datetime:
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int(fraction.ljust(6, "0")) if fraction else 0
    local = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro, _zone(zone))
    return local.astimezone(timezone.utc)


def _zone(zone: str | None) -> timezone:
    if zone is None or zone == "Z":
        return timezone.utc
    digits = zone[1:].replace(":", "")
    offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:] or 0))
    return timezone(-offset if zone[0] == "-" else offset)
