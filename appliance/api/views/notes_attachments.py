"""/api/v1/note/<id>/ and the note's attachment: POST (multipart ``file``), GET (the file), DELETE.

The appliance's stand-in for iotile.cloud's uploadurl / S3 / uploadsuccess steps (see
services/note_attachments.py); registered from views/notes.py.
"""

from __future__ import annotations

from aiohttp import web

from appliance.api.access import access_of
from appliance.api.bodies import media_type, read_limited
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.multipart import parse_form
from appliance.api.urls import API
from appliance.api.views.notes import NOTES, require_user
from appliance.errors import PayloadTooLarge, ValidationError
from appliance.services.note_attachments import MAX_ATTACHMENT_BYTES, NoteAttachments, note_id_of
from appliance.services.notes import ATTACHMENT_PATH
from appliance.services.permissions import Perm

ATTACHMENTS: web.AppKey[NoteAttachments] = web.AppKey("note_attachments", NoteAttachments)
FORM_OVERHEAD = 64 * 1024  # boundaries and part headers around the file


def setup(app: web.Application) -> None:
    app[ATTACHMENTS] = NoteAttachments(app[APPLIANCE].metadata, app[APPLIANCE].blobs, app[NOTES])
    app.router.add_get(f"{API}/note/{{id}}/", note_detail)
    app.router.add_post(f"{API}/note/{{id}}/attachment/", attachment_upload)
    app.router.add_get(f"{API}/note/{{id}}/attachment/", attachment_download)
    app.router.add_delete(f"{API}/note/{{id}}/attachment/", attachment_delete)


def base_url(request: web.Request) -> str:
    return str(request.url.origin())


async def _file(request: web.Request) -> tuple[str, bytes]:
    """The multipart ``file`` part; a body announcing more than the limit is refused unread."""
    limit = MAX_ATTACHMENT_BYTES + FORM_OVERHEAD
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"an attachment may have at most {MAX_ATTACHMENT_BYTES} bytes")
    if not media_type(request).startswith("multipart/form-data"):
        raise ValidationError("send the file as multipart/form-data in a field named 'file'", key="missing_file")
    part = parse_form(await read_limited(request, limit), request.headers.get("Content-Type", "")).file("file")
    if part is None:
        raise ValidationError("missing request.data['file']", key="missing_file")
    return part.filename or "", part.data


async def note_detail(request: web.Request) -> web.Response:
    """The server's retrieve: can_read_notes in the target's org."""
    require_user(request)
    note_id = note_id_of(request.match_info["id"])
    note = await request.app[ATTACHMENTS].note(await access_of(request), note_id, Perm.READ_NOTES)
    return respond(note.as_json(base_url(request)))


async def attachment_upload(request: web.Request) -> web.Response:
    """201 with the attachment (the server's S3File: id, title, url, file_type, created_on, created_by);
    a note's earlier attachment is replaced."""
    account = require_user(request)
    note_id = note_id_of(request.match_info["id"])
    service = request.app[ATTACHMENTS]
    note = await service.note(await access_of(request), note_id, None)
    filename, data = await _file(request)
    attachment = await service.attach(note, filename, data, account.id)
    return respond(attachment.as_json(base_url(request) + ATTACHMENT_PATH.format(id=note.id)), status=201)


async def attachment_download(request: web.Request) -> web.Response:
    require_user(request)
    note_id = note_id_of(request.match_info["id"])
    service = request.app[ATTACHMENTS]
    attachment, data = await service.read(await service.note(await access_of(request), note_id, Perm.READ_NOTES))
    return web.Response(body=data, headers={
        "Content-Type": attachment.content_type,
        "Content-Disposition": f'attachment; filename="{attachment.title}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
    })


async def attachment_delete(request: web.Request) -> web.Response:
    require_user(request)
    note_id = note_id_of(request.match_info["id"])
    service = request.app[ATTACHMENTS]
    await service.remove(await service.note(await access_of(request), note_id, None))
    return web.Response(status=204)
