"""/api/v1/streamer/: report uploads (exactly as iotile.cloud) and acknowledgements.

Difference from iotile.cloud, on purpose: the uploader needs ``can_create_stream_data`` in the
device's org (403 otherwise); the real server accepts a report from any authenticated user.
"""

from __future__ import annotations

from aiohttp import web

from appliance.api.access import access_of
from appliance.api.auth import principal
from appliance.api.bodies import media_type, read_limited
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.multipart import parse_form
from appliance.api.pagination import page_of, paginated
from appliance.api.params import parse_datetime, query_datetime
from appliance.api.urls import API
from appliance.errors import NotFound, PayloadTooLarge, ValidationError
from appliance.services.permissions import Perm
from appliance.services.streamers import ReportFilter
from appliance.slugs import DeviceSlug, StreamerSlug


def setup(app: web.Application) -> None:
    app.router.add_post(f"{API}/streamer/report/", upload_report)
    app.router.add_get(f"{API}/streamer/report/", report_list)
    app.router.add_get(f"{API}/streamer/", streamer_list)
    app.router.add_get(f"{API}/streamer/{{slug}}/", streamer_detail)
    app.router.add_get(f"{API}/streamer/{{slug}}/report/", streamer_reports)
    app.router.add_post(f"{API}/streamer/{{slug}}/reprocess/", streamer_reprocess)


async def _file_part(request: web.Request, limit: int) -> tuple[str, bytes]:
    """The multipart ``file`` field; the body is refused before it is read when it says it is too
    big, and stopped as soon as it grows past the limit when it does not say."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"upload is over the limit of {limit} bytes")
    if not media_type(request).startswith("multipart/"):
        raise ValidationError("missing request.data['file']", key="missing_file")
    form = parse_form(await read_limited(request, limit), request.headers.get("Content-Type", ""))
    part = form.file("file")
    if part is None:
        raise ValidationError("missing request.data['file']", key="missing_file")
    return part.filename or "", part.data


async def upload_report(request: web.Request) -> web.Response:
    appliance = request.app[APPLIANCE]
    stamp = request.query.get("timestamp")
    if not stamp:
        raise ValidationError("missing timestamp argument", key="missing_timestamp")
    received = parse_datetime(stamp, "timestamp")
    filename, data = await _file_part(request, int(appliance.settings["server.max_upload_bytes"]))
    result = await appliance.ingest.upload(data, filename, received, principal=principal(request),
                                           access=lambda: access_of(request))
    return respond({"count": result.count}, status=201)


async def streamer_list(request: web.Request) -> web.Response:
    access = await access_of(request)
    device = request.query.get("device")
    device_id = DeviceSlug.parse(device).live().id if device else None
    page = page_of(request)
    count, rows = await request.app[APPLIANCE].streamers.page(access, device_id, page.offset, page.size)
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def streamer_detail(request: web.Request) -> web.Response:
    access = await access_of(request)
    slug = StreamerSlug.parse(request.match_info["slug"])
    record = await request.app[APPLIANCE].streamers.get(access, slug)
    if record is None:
        raise NotFound("streamer not found")
    return respond(record.as_json())


async def _reports(request: web.Request, where: ReportFilter) -> web.Response:
    access = await access_of(request)
    page = page_of(request)
    count, rows = await request.app[APPLIANCE].streamers.reports(access, where, page.offset, page.size)
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def report_list(request: web.Request) -> web.Response:
    slug_text = request.query.get("streamer__slug")
    slug = StreamerSlug.parse(slug_text) if slug_text else None
    return await _reports(request, ReportFilter(
        device_id=slug.device if slug else None, index=slug.index if slug else None,
        start=query_datetime(request, "start"), end=query_datetime(request, "end"),
        created_by=request.query.get("created_by__slug") or None))


async def streamer_reports(request: web.Request) -> web.Response:
    slug = StreamerSlug.parse(request.match_info["slug"])
    return await _reports(request, ReportFilter(device_id=slug.device, index=slug.index))


async def streamer_reprocess(request: web.Request) -> web.Response:
    """Our addition: re-run a streamer's reports from their raw bytes, as a job (202 + pid)."""
    appliance, access = request.app[APPLIANCE], await access_of(request)
    slug = StreamerSlug.parse(request.match_info["slug"])
    record = await appliance.streamers.get(access, slug)
    if record is None:
        raise NotFound("streamer not found")
    org_id = await appliance.streamers.org_of(slug.device)
    access.require(org_id, Perm.RESET_DEVICE, "streamer")
    who = principal(request)
    job = await appliance.jobs.schedule("reprocess_streamer", {"streamer": slug.slug},
                                        created_by_id=who.account.id if who.account else None)
    return respond({"pid": job.pid}, status=202)
