"""/api/v1/location/: where a target was, as iotile.cloud's DeviceLocation API.

Differences from iotile.cloud: one location per POST (no list bodies), lat/lon
are range-checked (the server stores any number), and targets are stored in canonical spelling.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appliance.api.access import access_of
from appliance.api.bodies import json_object, require_str
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.params import parse_datetime, query_datetime
from appliance.api.urls import API
from appliance.api.views.notes import NOTES, check_fields, require_target, require_user
from appliance.errors import ValidationError
from appliance.services.locations import LocationService

LOCATIONS: web.AppKey[LocationService] = web.AppKey("locations", LocationService)
LOCATION_FIELDS = frozenset({"target", "timestamp", "lat", "lon"})


def setup(app: web.Application) -> None:
    app[LOCATIONS] = LocationService(app[APPLIANCE].metadata, app[NOTES], app[APPLIANCE].streams)
    app.router.add_get(f"{API}/location/", location_list)
    app.router.add_post(f"{API}/location/", location_create)


def _number(data: dict[str, Any], name: str) -> float:
    """A number or numeric text, as DRF's FloatField accepts."""
    value = data.get(name)
    if value is None or value == "":
        raise ValidationError(f"{name}: this field is required", key="missing_field", detail={name: "required"})
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValidationError(f"{name}: a valid number is required", key="wrong_type", detail={name: "not a number"})
    try:
        return float(value)
    except ValueError as err:
        raise ValidationError(f"{name}: a valid number is required", key="wrong_type",
                              detail={name: "not a number"}) from err


async def location_list(request: web.Request) -> web.Response:
    require_user(request)
    access = await access_of(request)
    target = require_target(request)
    start, end = query_datetime(request, "start"), query_datetime(request, "end")
    page = page_of(request, default_size=1000, max_size=10000)
    count, rows = await request.app[LOCATIONS].list(access, target, start=start, end=end,
                                                   offset=page.offset, limit=page.size,
                                                   mask=request.query.get("mask") in ("1", "true", "True"))
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def location_create(request: web.Request) -> web.Response:
    account = require_user(request)
    access = await access_of(request)
    data = await json_object(request)
    check_fields(data, LOCATION_FIELDS)
    target = require_str(data, "target", max_length=200)
    timestamp = parse_datetime(require_str(data, "timestamp", max_length=64), "timestamp")
    lat, lon = _number(data, "lat"), _number(data, "lon")
    record = await request.app[LOCATIONS].add(access, target, timestamp=timestamp, lat=lat, lon=lon,
                                             user_id=account.id)
    return respond(record.as_json(), status=201)
