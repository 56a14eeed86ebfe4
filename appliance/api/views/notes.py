"""/api/v1/note/: notes on a target, as iotile.cloud's StreamNote API.

Differences from iotile.cloud: one note per POST (no list bodies), attachments are posted to the
appliance itself (views/notes_attachments.py) instead of S3, and targets are stored in their
canonical spelling (a d-- slug with block bits is saved as its b-- slug).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appliance.api.access import access_of
from appliance.api.auth import principal
from appliance.api.bodies import json_object, require_str
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.params import parse_datetime, query_datetime, query_int
from appliance.api.urls import API
from appliance.errors import PermissionDenied, ValidationError
from appliance.services.accounts import AccountRecord
from appliance.services.notes import MAX_NOTE_LENGTH, NoteService

NOTES: web.AppKey[NoteService] = web.AppKey("notes", NoteService)
NOTE_FIELDS = frozenset({"target", "timestamp", "note", "type"})  # type is read-only, as in DRF


def setup(app: web.Application) -> None:
    app[NOTES] = NoteService(app[APPLIANCE].metadata)
    app.router.add_get(f"{API}/note/", note_list)
    app.router.add_post(f"{API}/note/", note_create)


def require_target(request: web.Request) -> str:
    target = request.query.get("target")
    if not target:
        raise ValidationError("target: this filter is required", key="missing_target")
    return target


def require_user(request: web.Request) -> AccountRecord:
    """Notes and locations are people's (the server's views allow no API key)."""
    account = principal(request).account
    if account is None:
        raise PermissionDenied("an API key cannot read or write notes or locations", key="api_key_refused")
    return account


def check_fields(data: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError(f"unknown fields: {unknown}", key="unknown_field")


async def note_list(request: web.Request) -> web.Response:
    require_user(request)
    access = await access_of(request)
    target = require_target(request)
    start, end = query_datetime(request, "start"), query_datetime(request, "end")
    lastn = query_int(request, "lastn", minimum=1, maximum=100000)
    page = page_of(request, default_size=1000, max_size=10000)
    count, rows = await request.app[NOTES].list(access, target, start=start, end=end, lastn=lastn,
                                               offset=page.offset, limit=page.size)
    base = str(request.url.origin())
    return respond(paginated(request, page, count, [r.as_json(base) for r in rows]))


async def note_create(request: web.Request) -> web.Response:
    account = require_user(request)
    access = await access_of(request)
    data = await json_object(request)
    check_fields(data, NOTE_FIELDS)
    target = require_str(data, "target", max_length=200)
    timestamp = parse_datetime(require_str(data, "timestamp", max_length=64), "timestamp")
    note = require_str(data, "note", max_length=MAX_NOTE_LENGTH)
    record = await request.app[NOTES].add(access, target, timestamp=timestamp, note=note,
                                         created_by_id=account.id)
    return respond(record.as_json(), status=201)
