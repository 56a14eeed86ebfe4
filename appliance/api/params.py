"""Query-string parsing shared by the data-facing endpoints; every bad value is a 400 naming it."""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from appliance.errors import ValidationError


def parse_datetime(text: str, name: str) -> datetime:
    """ISO 8601 as iotile.cloud accepts it: naive means UTC, 'Z' and offsets allowed."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError as err:
        raise ValidationError(f"{name}: {text!r} is not an ISO 8601 date-time", key="bad_datetime") from err
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def query_datetime(request: web.Request, name: str) -> datetime | None:
    value = request.query.get(name)
    return parse_datetime(value, name) if value else None


def query_int(request: web.Request, name: str, *, minimum: int | None = None, maximum: int | None = None) -> int | None:
    value = request.query.get(name)
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError as err:
        raise ValidationError(f"{name}: {value!r} is not a whole number", key="bad_int") from err
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise ValidationError(f"{name} must be between {minimum} and {maximum}", key="out_of_range")
    return number
