"""/api/v1/stream/<slug>/data/ (paged the way python_iotile_cloud's StreamData reads it), the
stream's CSV (stream/<slug>/csv/, or data/?format=csv) and CSV of any data/ filter
(data/?filter=d--...&format=csv), streamed in chunks."""

from __future__ import annotations

from aiohttp import web

from appliance.api.access import access_of
from appliance.api.pagination import page_of
from appliance.api.urls import API
from appliance.api.views.data_keys import READINGS
from appliance.api.views.data_pages import respond_page
from appliance.api.views.data_params import last, read_query
from appliance.errors import ValidationError
from appliance.services.data_csv import CsvExport, scope_csv, stream_csv
from appliance.slugs import StreamSlug

STREAM_SIZE, STREAM_MAX = 5000, 20000  # the StreamId viewset's SuperLargeResultsSetPagination


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/stream/{{slug}}/data/", stream_data)
    app.router.add_get(f"{API}/stream/{{slug}}/csv/", stream_data_csv)


def _slug(request: web.Request) -> StreamSlug:
    return StreamSlug.parse(request.match_info["slug"])


async def stream_data(request: web.Request) -> web.StreamResponse:
    if request.query.get("format") == "csv":
        return await stream_data_csv(request)
    access = await access_of(request)
    page = page_of(request, default_size=STREAM_SIZE, max_size=STREAM_MAX)
    result = await request.app[READINGS].stream_page(access, _slug(request), read_query(request, page, strict=False))
    return await respond_page(request, page, result.total, result.rows)


async def _send(request: web.Request, export: CsvExport) -> web.StreamResponse:
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{export.filename}"',
    })
    await response.prepare(request)
    async for chunk in export.chunks:
        await response.write(chunk)
    await response.write_eof()
    return response


async def stream_data_csv(request: web.Request) -> web.StreamResponse:
    access = await access_of(request)
    query = read_query(request, None, strict=False)
    return await _send(request, await stream_csv(request.app[READINGS], access, _slug(request), query))


async def filter_csv(request: web.Request) -> web.StreamResponse:
    access = await access_of(request)
    filter_text = last(request, "filter")
    if not filter_text:
        raise ValidationError("a CSV download needs a filter (s--, d--, b--, v-- or p-- slug)", key="missing_filter")
    query = read_query(request, None)
    return await _send(request, await scope_csv(request.app[READINGS], access, filter_text, query))
