"""JSON as iotile.cloud writes it: UTC datetimes with a 'Z', UUIDs as strings."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timezone
from typing import Any

from aiohttp import web


def format_datetime(value: datetime) -> str:
    """Microseconds only when present, like DRF's ISO output; always UTC with 'Z'."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    text = value.astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_datetime(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dumps(data: Any) -> str:
    return json.dumps(data, default=_default, separators=(",", ":"))


def respond(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps)
