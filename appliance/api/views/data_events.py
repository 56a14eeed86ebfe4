"""/api/v1/event/<id>/, its payload (event/<id>/data/) and event/upload/ (multipart JSON or JSON.gz
payload kept as a blob), as on iotile.cloud; payloads live in the blob store instead of S3."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import PurePosixPath

from aiohttp import BodyPartReader, web

from appliance.api.access import access_of
from appliance.api.auth import principal
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.urls import API
from appliance.api.views.data_keys import READINGS
from appliance.api.views.data_params import event_id
from appliance.errors import PayloadTooLarge, ValidationError
from appliance.services.data_items import upload_item
from appliance.services.data_records import EventRecord, iso_time

FORM_FIELDS = frozenset({"stream", "timestamp", "device_timestamp", "streamer_local_id", "encoded_extra_data"})
MAX_PARTS = 32
MISSING_FILE = "missing request.data['file']"


def setup(app: web.Application) -> None:
    app.router.add_post(f"{API}/event/upload/", event_upload)
    app.router.add_get(f"{API}/event/{{id}}/", event_detail)
    app.router.add_get(f"{API}/event/{{id}}/data/", event_data)


async def event_detail(request: web.Request) -> web.Response:
    access = await access_of(request)
    record = await request.app[READINGS].event(access, event_id(request))
    return respond(record.as_json())


async def event_data(request: web.Request) -> web.Response:
    """The payload as JSON, byte for byte as stored (uncompressed when it was uploaded gzipped)."""
    access = await access_of(request)
    payload = await request.app[READINGS].event_payload(access, event_id(request))
    return web.Response(body=payload, content_type="application/json")


class _Budget:
    """Bytes of the multipart body read so far; a chunked body has no Content-Length to check."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0

    async def read(self, part: BodyPartReader, cap: int) -> bytes:
        body = bytearray()
        while chunk := await part.read_chunk(1 << 16):
            self.used += len(chunk)
            body += chunk
            if self.used > self.limit or len(body) > cap:
                raise PayloadTooLarge(f"upload is over the limit of {min(cap, self.limit)} bytes")
        return bytes(body)


async def _form(request: web.Request, limit: int, field_limit: int) -> tuple[dict[str, str], tuple[str, bytes] | None]:
    """The form fields and the ``file`` part (its name and bytes) of a multipart upload."""
    if request.content_length is not None and request.content_length > limit + field_limit:
        raise PayloadTooLarge(f"upload is over the limit of {limit} bytes")
    if not request.content_type.startswith("multipart/"):
        raise ValidationError(MISSING_FILE, key="missing_file")
    fields: dict[str, str] = {}
    upload: tuple[str, bytes] | None = None
    budget = _Budget(limit + field_limit)
    reader = await request.multipart()
    for _ in range(MAX_PARTS):
        part = await reader.next()
        if part is None:
            return fields, upload
        if not isinstance(part, BodyPartReader):
            raise ValidationError("nested multipart bodies are not accepted", key="bad_multipart")
        if part.name == "file":
            upload = (part.filename or "", await budget.read(part, limit))
        else:
            data = await budget.read(part, field_limit)
            if part.name in FORM_FIELDS:
                fields[part.name] = _text(part.name, data)
    raise ValidationError(f"more than {MAX_PARTS} form parts", key="bad_multipart")


def _text(name: str, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValidationError(f"{name}: not UTF-8 text", key="bad_form") from err


def upload_extension(filename: str) -> str:
    """``json`` or ``json.gz``, from the uploaded file's name (StreamEventDataBuilderHelper)."""
    name = PurePosixPath(filename.replace("\\", "/")).name.lower()
    if "." not in name:
        raise ValidationError("Filename must use file extensions", key="bad_extension")
    for ext in ("json.gz", "json"):
        if name.endswith(f".{ext}"):
            return ext
    raise ValidationError("Unsupported extension for Stream Event", key="bad_extension")


def _upload_json(record: EventRecord) -> dict[str, object]:
    """StreamEventDataRawUploadSerializer's fields (``encoded_extra_data`` as JSON text)."""
    as_json = record.as_json()
    return {"id": record.id, "stream": as_json["stream"], "device_timestamp": record.device_timestamp,
            "timestamp": iso_time(record.timestamp) if record.timestamp else None,
            "streamer_local_id": record.streamer_local_id or 0,
            "encoded_extra_data": None if record.extra_data is None else json.dumps(record.extra_data)}


async def event_upload(request: web.Request) -> web.Response:
    who, access = principal(request), await access_of(request)
    settings = request.app[APPLIANCE].settings
    fields, upload = await _form(request, int(settings["server.max_upload_bytes"]),
                                 int(settings["server.max_json_bytes"]))
    item = upload_item(fields, "json")
    if upload is None:
        raise ValidationError(MISSING_FILE, key="missing_file")
    item = replace(item, ext=upload_extension(upload[0]))
    posted = await request.app[READINGS].posts.upload_event(who, access, item, upload[1])
    if posted.event is None:
        return respond({"count": posted.count}, status=201)
    return respond(_upload_json(posted.event), status=201)
