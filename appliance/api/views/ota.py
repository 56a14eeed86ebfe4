"""/api/v1/ota/script/: OTA device scripts and their files, as iotile.cloud's devicescript API.

``file/`` answers the server's ``{name, url, key, ...}``; ``url`` is a signed, expiring link to
``file/download/`` because iotile-ext-cloud fetches it with a bare GET (on the server it points at
S3). Uploads are multipart (a ``file`` part) to ``ota/script/`` or ``ota/script/<slug>/file/``,
replacing the server's S3 ``uploadurl``/``uploadsuccess`` pair. Requests, actions, versions and
``ota/device/`` live in ota_requests.py.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from appliance.api.auth import principal, public
from appliance.api.bodies import json_object, media_type, read_limited
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE, PRINCIPAL
from appliance.api.multipart import parse_form
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views import ota_requests
from appliance.api.views.devices_common import caller_access, list_scope
from appliance.errors import PermissionDenied, StorageError, ValidationError
from appliance.services.ota import Ota
from appliance.services.ota_records import ScriptRecord
from appliance.services.ota_scripts import MAX_SCRIPT_BYTES, DownloadSigner, Upload

FORM_SLACK = 64 * 1024  # the form fields and multipart framing around the file
MISSING_FILE = "missing request.data['file']"


@dataclass
class _SignerBox:
    """The download signer, made on first use (its key lives in the secret store)."""

    signer: DownloadSigner | None = None


SIGNER: web.AppKey[_SignerBox] = web.AppKey("ota_signer", _SignerBox)


def setup(app: web.Application) -> None:
    app[SIGNER] = _SignerBox()
    app.router.add_get(f"{API}/ota/script/", script_list)
    app.router.add_post(f"{API}/ota/script/", script_create)
    app.router.add_get(f"{API}/ota/script/{{slug}}/", script_detail)
    app.router.add_patch(f"{API}/ota/script/{{slug}}/", script_update)
    app.router.add_put(f"{API}/ota/script/{{slug}}/", script_update)
    app.router.add_delete(f"{API}/ota/script/{{slug}}/", script_delete)
    app.router.add_get(f"{API}/ota/script/{{slug}}/file/", script_file)
    app.router.add_post(f"{API}/ota/script/{{slug}}/file/", script_upload)
    app.router.add_get(f"{API}/ota/script/{{slug}}/file/download/", script_download)
    ota_requests.setup(app)


def ota(request: web.Request) -> Ota:
    return request.app[APPLIANCE].ota


async def _signer(request: web.Request) -> DownloadSigner:
    box = request.app[SIGNER]
    if box.signer is None:
        store = request.app[APPLIANCE].secrets
        if store is None:
            raise StorageError("the secret store is not open")
        box.signer = await asyncio.to_thread(DownloadSigner.from_secrets, store)
    return box.signer


async def _form(request: web.Request) -> tuple[dict[str, Any], Upload | None]:
    """The text fields and the ``file`` part of a multipart body, read within the script limit."""
    body = await read_limited(request, MAX_SCRIPT_BYTES + FORM_SLACK)
    form = parse_form(body, request.headers.get("Content-Type", ""))
    fields: dict[str, Any] = {}
    upload = None
    for part in form.parts:
        if part.name == "file":
            upload = Upload(part.filename or "script.bin", part.data)
        else:
            fields[part.name] = form.text(part.name)
    return fields, upload


async def script_list(request: web.Request) -> web.Response:
    """``?org=`` and ``?version=major[.minor[.patch]]``."""
    access = await caller_access(request)
    page = page_of(request)
    count, rows = await ota(request).scripts.page(
        access, await list_scope(request, access), org=request.query.get("org") or None,
        version=request.query.get("version") or None, offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def script_create(request: web.Request) -> web.Response:
    """JSON {name, org, version or major/minor/patch_version, released}, or the same as a multipart
    form with the ``file`` part."""
    access = await caller_access(request)
    upload = None
    if media_type(request).startswith("multipart/"):
        body, upload = await _form(request)
        if upload is None:
            raise ValidationError(MISSING_FILE, key="missing_file")
    else:
        body = await json_object(request)
    account = principal(request).account
    record = await ota(request).scripts.create(access, body, upload, created_by_id=account.id if account else None)
    return respond(record.as_json(), status=201)


async def script_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond((await ota(request).scripts.get(access, request.match_info["slug"])).as_json())


async def script_update(request: web.Request) -> web.Response:
    access = await caller_access(request)
    record = await ota(request).scripts.update(access, request.match_info["slug"], await json_object(request))
    return respond(record.as_json())


async def script_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await ota(request).scripts.delete(access, request.match_info["slug"])
    return web.Response(status=204)


async def _file_json(request: web.Request, record: ScriptRecord) -> dict[str, Any]:
    if not record.file:
        return record.file_json(None)
    expires, signature = (await _signer(request)).sign(record)
    url = request.url.with_path(f"{API}/ota/script/{record.slug}/file/download/").with_query(
        expires=str(expires), signature=signature)
    return record.file_json(str(url))


async def script_file(request: web.Request) -> web.Response:
    access = await caller_access(request)
    record = await ota(request).scripts.get(access, request.match_info["slug"])
    return respond(await _file_json(request, record))


async def script_upload(request: web.Request) -> web.Response:
    """Multipart ``file``: replaces the script's file; 201 with the ``file/`` answer."""
    access = await caller_access(request)
    if not media_type(request).startswith("multipart/"):
        raise ValidationError(MISSING_FILE, key="missing_file")
    fields, upload = await _form(request)
    if upload is None:
        raise ValidationError(MISSING_FILE, key="missing_file")
    if fields:
        raise ValidationError(f"unknown field(s): {', '.join(sorted(fields))}", key="unknown_field")
    record = await ota(request).scripts.upload(access, request.match_info["slug"], upload)
    return respond(await _file_json(request, record), status=201)


@public
async def script_download(request: web.Request) -> web.Response:
    """The file's bytes: with a valid ``expires``/``signature`` pair from ``file/``, or as a member."""
    scripts = ota(request).scripts
    slug, signature = request.match_info["slug"], request.query.get("signature")
    if signature is None:
        if request.get(PRINCIPAL) is None:
            principal(request)  # 401
        record = await scripts.get(await caller_access(request), slug)
    else:
        expires = request.query.get("expires", "")
        found = await scripts.by_slug(slug)
        valid = expires.isascii() and expires.isdigit() and len(expires) <= 12
        if found is None or not valid or not (await _signer(request)).verify(found, int(expires), signature):
            raise PermissionDenied("this download link is invalid or has expired", key="bad_signature")
        record = found
    data = await scripts.read_file(record)
    return web.Response(body=data, content_type="application/octet-stream",
                        headers={"Content-Disposition": f'attachment; filename="{record.slug}.bin"'})
