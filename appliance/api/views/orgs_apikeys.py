"""/api/v1/org/<slug>/apikeys/: org API keys for ``Authorization: Api-Key <key>``.

iotile.cloud manages these in its web UI only (org "M2M keys", for members with
can_manage_org_and_projects, and staff); the same rule and fields are served here as JSON. The key
is in the create answer only.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from aiohttp import web

from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.orgs_common import only_fields, org_in_path, publish_change
from appliance.errors import ValidationError
from appliance.services.accounts import AccountRecord
from appliance.services.apikeys import ApiKeyRecord
from appliance.services.orgs import OrgRecord
from appliance.services.permissions import Perm

READ_ONLY = ("id", "prefix", "org", "created", "created_by", "revoked", "has_expired", "is_valid")


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/org/{{slug}}/apikeys/", key_list)
    app.router.add_post(f"{API}/org/{{slug}}/apikeys/", key_create)
    app.router.add_get(f"{API}/org/{{slug}}/apikeys/{{prefix}}/", key_detail)
    app.router.add_patch(f"{API}/org/{{slug}}/apikeys/{{prefix}}/", key_rename)
    app.router.add_delete(f"{API}/org/{{slug}}/apikeys/{{prefix}}/", key_delete)
    app.router.add_post(f"{API}/org/{{slug}}/apikeys/{{prefix}}/revoke/", key_revoke)


def key_json(key: ApiKeyRecord, org: OrgRecord) -> dict[str, Any]:
    """djangorestframework-api-key's fields (``id`` is the prefix here), plus validity."""
    return {
        "id": key.prefix,
        "prefix": key.prefix,
        "name": key.name,
        "org": org.slug,
        "created": key.created_on,
        "created_by": key.created_by_slug,
        "revoked": key.revoked,
        "expiry_date": key.expiry,
        "has_expired": key.has_expired,
        "is_valid": key.is_valid,
    }


def parse_expiry(value: object) -> datetime | None:
    """ISO 8601; a time without an offset is UTC, as the rest of the API."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 40:
        raise ValidationError("expiry_date: expected an ISO 8601 date-time", key="wrong_type",
                              detail={"expiry_date": "invalid"})
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as err:
        raise ValidationError("expiry_date: expected an ISO 8601 date-time", key="invalid_expiry",
                              detail={"expiry_date": "invalid"}) from err
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


async def _admin_org(request: web.Request) -> tuple[AccountRecord, OrgRecord]:
    user, access, org = await org_in_path(request)
    access.require(org.id, Perm.MANAGE_ORG_AND_PROJECTS, "org")
    return user, org


async def key_list(request: web.Request) -> web.Response:
    _, org = await _admin_org(request)
    page = page_of(request)
    count, keys = await request.app[APPLIANCE].apikeys.page(org.id, offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [key_json(k, org) for k in keys]))


async def key_create(request: web.Request) -> web.Response:
    """{name, expiry_date?} -> 201 with ``key``, shown this once."""
    user, org = await _admin_org(request)
    data = await json_object(request)
    only_fields(data, ("name", "expiry_date"), READ_ONLY)
    record, key = await request.app[APPLIANCE].apikeys.create(org.id, data.get("name"), created_by_id=user.id,
                                                              expiry=parse_expiry(data.get("expiry_date")))
    publish_change(request, orgs=True, org=org.slug)
    return respond({**key_json(record, org), "key": key}, status=201)


async def key_detail(request: web.Request) -> web.Response:
    _, org = await _admin_org(request)
    return respond(key_json(await request.app[APPLIANCE].apikeys.get(org.id, request.match_info["prefix"]), org))


async def key_rename(request: web.Request) -> web.Response:
    """Only the name changes; revoke has its own action and cannot be undone."""
    _, org = await _admin_org(request)
    data = await json_object(request)
    only_fields(data, ("name",), (*READ_ONLY, "expiry_date"))
    record = await request.app[APPLIANCE].apikeys.rename(org.id, request.match_info["prefix"], data.get("name"))
    publish_change(request, orgs=True, org=org.slug)
    return respond(key_json(record, org))


async def key_revoke(request: web.Request) -> web.Response:
    _, org = await _admin_org(request)
    record = await request.app[APPLIANCE].apikeys.revoke(org.id, request.match_info["prefix"])
    publish_change(request, orgs=True, org=org.slug)
    return respond(key_json(record, org))


async def key_delete(request: web.Request) -> web.Response:
    _, org = await _admin_org(request)
    await request.app[APPLIANCE].apikeys.delete(org.id, request.match_info["prefix"])
    publish_change(request, orgs=True, org=org.slug)
    return web.Response(status=204)
