"""Helpers shared by the catalogue's view modules: who may read, slugs in paths, staff-only writes."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from appliance.api.auth import principal, require_staff
from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.urls import API
from appliance.errors import NotFound, PermissionDenied
from appliance.services.auth import Principal
from appliance.services.catalogue import Catalogue
from appliance.services.catalogue_writes import Kind

_SLUG = re.compile(r"[a-z0-9_-]{1,80}")


def catalogue(request: web.Request) -> Catalogue:
    return request.app[APPLIANCE].catalogue


def reader(request: web.Request, *, api_key: bool) -> Principal:
    """Any signed-in caller; an Api-Key only where iotile.cloud allows it (``api_key``)."""
    who = principal(request)
    if who.account is None and not api_key:
        raise PermissionDenied("An Api-Key can only read dt/, vartype/, sg/ and production/device/.",
                               key="api_key_scope")
    return who


def staff_listing(request: web.Request, who: Principal) -> bool:
    """``?staff=1`` shows staff the inactive templates and graphs too."""
    return who.is_staff and request.query.get("staff", "") == "1"


def slug_of(request: web.Request) -> str:
    slug = request.match_info["slug"]
    if not _SLUG.fullmatch(slug):
        raise NotFound(f"{slug!r} is not a catalogue slug", key="not_found")
    return slug


def account_id(who: Principal) -> int | None:
    return who.account.id if who.account is not None else None


def add_writes(app: web.Application, path: str, kind: Kind, wire: Callable[[Any], dict[str, Any]]) -> None:
    """Staff-only POST, PUT (missing fields get defaults), PATCH (missing fields kept) and DELETE."""
    async def create(request: web.Request) -> web.Response:
        who = require_staff(request)
        record = await catalogue(request).create(kind, await json_object(request), created_by_id=account_id(who))
        return respond(wire(record), status=201)

    async def update(request: web.Request) -> web.Response:
        who = require_staff(request)
        record = await catalogue(request).replace(kind, slug_of(request), await json_object(request),
                                                  partial=request.method == "PATCH", updated_by_id=account_id(who))
        return respond(wire(record))

    async def remove(request: web.Request) -> web.Response:
        require_staff(request)
        await catalogue(request).delete(kind, slug_of(request))
        return web.Response(status=204)

    app.router.add_post(f"{API}/{path}/", create)
    app.router.add_put(f"{API}/{path}/{{slug}}/", update)
    app.router.add_patch(f"{API}/{path}/{{slug}}/", update)
    app.router.add_delete(f"{API}/{path}/{{slug}}/", remove)
