"""/api/v1/data/ and /api/v1/event/: stream data and events read with a ``filter`` slug, and
posted directly (one object or a list), as on iotile.cloud. Event details, payloads and uploads
are in data_events.py; ``stream/<slug>/data/`` and the CSV downloads in data_streams.py.

Differences from iotile.cloud are listed in docs/api/data.md (permissions follow the appliance's
matrix: 404 for another org's data, 403 for members without the permission and for Api-Keys).
"""

from __future__ import annotations

from aiohttp import web

from appliance.api.access import access_of
from appliance.api.auth import principal
from appliance.api.bodies import json_body
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of
from appliance.api.urls import API
from appliance.api.views import data_events, data_streams
from appliance.api.views.data_keys import READINGS
from appliance.api.views.data_pages import respond_page
from appliance.api.views.data_params import last, read_query
from appliance.services.data_items import data_item, event_item

LIST_SIZE, LIST_MAX = 1000, 10000  # LargeResultsSetPagination


def setup(app: web.Application) -> None:
    app[READINGS] = app[APPLIANCE].readings
    app.router.add_get(f"{API}/data/", data_list)
    app.router.add_post(f"{API}/data/", data_post)
    app.router.add_get(f"{API}/event/", event_list)
    app.router.add_post(f"{API}/event/", event_post)
    data_events.setup(app)
    data_streams.setup(app)


async def data_list(request: web.Request) -> web.StreamResponse:
    if request.query.get("format") == "csv":
        return await data_streams.filter_csv(request)
    access = await access_of(request)
    page = page_of(request, default_size=LIST_SIZE, max_size=LIST_MAX)
    result = await request.app[READINGS].data_page(access, last(request, "filter"), read_query(request, page))
    return await respond_page(request, page, result.total, result.rows)


async def data_post(request: web.Request) -> web.Response:
    who, access = principal(request), await access_of(request)
    posts = request.app[READINGS].posts
    parsed, many = await posts.parse(await json_body(request), data_item)
    posted = await posts.post_data(who, access, parsed, many=many)
    if many or posted.reading is None:
        return respond({"count": posted.count}, status=201)
    return respond(posted.reading.as_json(), status=201)


async def event_list(request: web.Request) -> web.Response:
    access = await access_of(request)
    page = page_of(request, default_size=LIST_SIZE, max_size=LIST_MAX)
    result = await request.app[READINGS].event_page(access, last(request, "filter"), read_query(request, page))
    return await respond_page(request, page, result.total, result.rows)


async def event_post(request: web.Request) -> web.Response:
    who, access = principal(request), await access_of(request)
    posts = request.app[READINGS].posts
    parsed, many = await posts.parse(await json_body(request), event_item)
    posted = await posts.post_events(who, access, parsed, many=many)
    if many or posted.event is None:
        return respond({"count": posted.count}, status=201)
    return respond(posted.event.as_json(), status=201)
