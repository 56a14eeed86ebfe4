"""What the registry views (projects, devices, variables, streams) share: the caller, list scope, JSON.

These endpoints act for a person or for a device acting as its claimer (``a-jwt``); an org
``Api-Key`` has its own door (``production/device/``) and is refused here with 403.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from aiohttp import web

from appliance.api.access import access_of
from appliance.api.auth import principal
from appliance.api.bodies import json_body, read_limited
from appliance.api.jsonenc import format_datetime, respond
from appliance.api.keys import APPLIANCE
from appliance.errors import PermissionDenied, ValidationError
from appliance.services.devices import DeviceQuery
from appliance.services.devices_records import DeviceRecord, DeviceStatusRecord
from appliance.services.permissions import Access

_TRUE = frozenset({"1", "true", "True", "yes"})
DEVICE_PAGE, DEVICE_PAGE_MAX = 1000, 10_000


async def caller_access(request: web.Request) -> Access:
    """The caller's Access; machine-to-machine keys have no person to act for."""
    if principal(request).account is None:
        raise PermissionDenied("this endpoint needs a user's credentials or a device token, not an API key",
                               key="user_required")
    return await access_of(request)


def flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "0") in _TRUE


async def list_scope(request: web.Request, access: Access) -> frozenset[int] | None:
    """Which orgs a list covers: the caller's; staff see every org only with ``?staff=1``, as on
    iotile.cloud (so the owner account lists what it is a member of, like everybody else)."""
    if not access.is_staff:
        return access.org_ids or frozenset()
    if flag(request, "staff") or access.account_id is None:
        return None
    return await request.app[APPLIANCE].orgs.member_org_ids(access.account_id)


# A device list is mostly the same timestamps written again and again (two per device per page).
_iso = lru_cache(maxsize=1 << 16)(format_datetime)


def decimal6(value: float | None) -> str | None:
    """DRF writes the server's DecimalField(max_digits=9, decimal_places=6) as a string."""
    return None if value is None else f"{value:.6f}"


def device_json(device: DeviceRecord) -> dict[str, Any]:
    """iotile.cloud's DeviceSerializer (``project`` is the project's UUID, the rest slugs)."""
    slug = device.slug
    return {
        "id": device.id,
        "slug": slug,
        "gid": slug[3:],
        "label": device.label,
        "active": device.active,
        "external_id": device.external_id,
        "sg": device.sg,
        "template": device.template,
        "org": device.org,
        "project": device.project,
        "lat": decimal6(device.lat),
        "lon": decimal6(device.lon),
        "state": device.state,
        "busy": device.busy,
        "created_on": _iso(device.created_on),
        "claimed_by": device.claimed_by,
        "claimed_on": _iso(device.claimed_on) if device.claimed_on else None,
    }


def health_json(status: DeviceStatusRecord) -> dict[str, Any]:
    return {
        "health_check_enabled": status.health_check_enabled,
        "health_check_period": status.health_check_period,
        "notification_recipients": list(status.notification_recipients),
    }


def status_json(status: DeviceStatusRecord) -> dict[str, Any]:
    """DeviceStatusReadOnlySerializer: the heartbeat state and the health settings."""
    return {
        "alert": status.alert,
        "last_report_ts": status.last_report_ts,
        "last_known_id": status.last_known_id,
        "last_known_state": status.last_known_state,
        **health_json(status),
    }


def device_query(request: web.Request, *, include_inactive: bool) -> DeviceQuery:
    q = request.query
    return DeviceQuery(project=q.get("project") or None, dt=q.get("dt") or None, sg=q.get("sg") or None,
                       claimed=q.get("claimed") or None, external_id=q.get("external_id") or None,
                       org_slug=q.get("org__slug") or None, include_inactive=include_inactive,
                       property=q.get("property") or None)


def created(devices: list[DeviceRecord], single: bool) -> web.Response:
    if single:
        return respond(device_json(devices[0]), status=201)
    return respond({"count": len(devices), "results": [device_json(d) for d in devices]}, status=201)


async def create_from(request: web.Request, access: Access) -> web.Response:
    """One device (an object) or a batch (a list of objects); the batch is stored whole or not at all."""
    body = await json_body(request)
    if not isinstance(body, (list, dict)):
        raise ValidationError("expected a JSON object or a list of objects", key="bad_json")
    items: list[Any] = body if isinstance(body, list) else [body]
    devices = await request.app[APPLIANCE].devices.create(access, items)
    return created(devices, isinstance(body, dict))


async def csv_text(request: web.Request) -> str:
    raw = await read_limited(request, int(request.app[APPLIANCE].settings["server.max_upload_bytes"]))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise ValidationError("the CSV must be UTF-8 text", key="bad_csv") from err
