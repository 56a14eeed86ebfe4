"""/api/v1/alias/ and /api/v1/tap/: stream aliases and their taps, as iotile.cloud's streamalias API.

Reads through an alias are data/?filter=a--... and event/?filter=a--... (data_scope.py). The
differences from iotile.cloud are listed in docs/api/aliases.md.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appliance.api.auth import principal
from appliance.api.bodies import json_object, require_str
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.params import parse_datetime
from appliance.api.urls import API
from appliance.api.views.devices_common import caller_access, list_scope
from appliance.errors import ValidationError
from appliance.services.alias_taps import AliasTaps, TapFields
from appliance.services.aliases import MAX_NAME, AliasFields, StreamAliases

ALIASES: web.AppKey[StreamAliases] = web.AppKey("stream_aliases", StreamAliases)
TAPS: web.AppKey[AliasTaps] = web.AppKey("alias_taps", AliasTaps)
ALIAS_FIELDS = frozenset({"name", "org"})
ALIAS_READ_ONLY = frozenset({"id", "slug", "gid", "created_on", "created_by"})
TAP_FIELDS = frozenset({"alias", "timestamp", "stream"})
TAP_READ_ONLY = frozenset({"id", "created_on", "created_by"})


def setup(app: web.Application) -> None:
    metadata = app[APPLIANCE].metadata
    app[ALIASES] = StreamAliases(metadata)
    app[TAPS] = AliasTaps(metadata)
    app.router.add_get(f"{API}/alias/", alias_list)
    app.router.add_post(f"{API}/alias/", alias_create)
    app.router.add_get(f"{API}/alias/{{slug}}/", alias_detail)
    app.router.add_put(f"{API}/alias/{{slug}}/", alias_put)
    app.router.add_patch(f"{API}/alias/{{slug}}/", alias_patch)
    app.router.add_delete(f"{API}/alias/{{slug}}/", alias_delete)
    app.router.add_get(f"{API}/tap/", tap_list)
    app.router.add_post(f"{API}/tap/", tap_create)
    app.router.add_get(f"{API}/tap/{{pk}}/", tap_detail)
    app.router.add_put(f"{API}/tap/{{pk}}/", tap_put)
    app.router.add_patch(f"{API}/tap/{{pk}}/", tap_patch)
    app.router.add_delete(f"{API}/tap/{{pk}}/", tap_delete)


def _known(body: dict[str, Any], writable: frozenset[str], read_only: frozenset[str]) -> None:
    """Read-only fields are ignored, as DRF does (clients PUT back what they GET); others are refused."""
    unknown = sorted(set(body) - writable - read_only)
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(unknown)}", key="unknown_field")


def _optional_str(body: dict[str, Any], name: str, *, partial: bool, max_length: int = 100) -> str | None:
    if partial and name not in body:
        return None
    return require_str(body, name, max_length=max_length)


def _creator_id(request: web.Request) -> int | None:
    account = principal(request).account
    return account.id if account is not None else None


async def _alias_fields(request: web.Request, *, partial: bool) -> AliasFields:
    body = await json_object(request)
    _known(body, ALIAS_FIELDS, ALIAS_READ_ONLY)
    return AliasFields(name=_optional_str(body, "name", partial=partial, max_length=MAX_NAME),
                       org=_optional_str(body, "org", partial=partial))


async def alias_list(request: web.Request) -> web.Response:
    """``?org=<slug>``; staff see every org's aliases with ``?staff=1``."""
    access = await caller_access(request)
    page = page_of(request)
    count, aliases = await request.app[ALIASES].page(
        access, await list_scope(request, access), org_slug=request.query.get("org") or None,
        offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [a.as_json() for a in aliases]))


async def alias_create(request: web.Request) -> web.Response:
    access = await caller_access(request)
    fields = await _alias_fields(request, partial=False)
    record = await request.app[ALIASES].create(access, fields, _creator_id(request))
    return respond(record.as_json(), status=201)


async def alias_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond((await request.app[ALIASES].get(access, request.match_info["slug"])).as_json())


async def _alias_update(request: web.Request, *, partial: bool) -> web.Response:
    access = await caller_access(request)
    fields = await _alias_fields(request, partial=partial)
    record = await request.app[ALIASES].update(access, request.match_info["slug"], fields)
    return respond(record.as_json())


async def alias_put(request: web.Request) -> web.Response:
    return await _alias_update(request, partial=False)


async def alias_patch(request: web.Request) -> web.Response:
    return await _alias_update(request, partial=True)


async def alias_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await request.app[ALIASES].delete(access, request.match_info["slug"])
    return web.Response(status=204)


def _tap_id(request: web.Request) -> int:
    text = request.match_info["pk"]
    if not text.isdigit() or len(text) > 18:
        raise ValidationError(f"invalid tap id {text!r}", key="bad_pk")
    return int(text)


async def _tap_fields(request: web.Request, *, partial: bool) -> TapFields:
    body = await json_object(request)
    _known(body, TAP_FIELDS, TAP_READ_ONLY)
    when = _optional_str(body, "timestamp", partial=partial)
    return TapFields(alias=_optional_str(body, "alias", partial=partial),
                     timestamp=parse_datetime(when, "timestamp") if when is not None else None,
                     stream=_optional_str(body, "stream", partial=partial))


async def tap_list(request: web.Request) -> web.Response:
    """``?target=<a--slug>``: one alias's taps."""
    access = await caller_access(request)
    page = page_of(request)
    count, taps = await request.app[TAPS].page(
        access, await list_scope(request, access), target=request.query.get("target") or None,
        offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [t.as_json() for t in taps]))


async def tap_create(request: web.Request) -> web.Response:
    access = await caller_access(request)
    fields = await _tap_fields(request, partial=False)
    record = await request.app[TAPS].create(access, fields, _creator_id(request))
    return respond(record.as_json(), status=201)


async def tap_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond((await request.app[TAPS].get(access, _tap_id(request))).as_json())


async def _tap_update(request: web.Request, *, partial: bool) -> web.Response:
    access = await caller_access(request)
    tap_id = _tap_id(request)
    fields = await _tap_fields(request, partial=partial)
    return respond((await request.app[TAPS].update(access, tap_id, fields)).as_json())


async def tap_put(request: web.Request) -> web.Response:
    return await _tap_update(request, partial=False)


async def tap_patch(request: web.Request) -> web.Response:
    return await _tap_update(request, partial=True)


async def tap_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await request.app[TAPS].delete(access, _tap_id(request))
    return web.Response(status=204)
