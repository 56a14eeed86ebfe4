"""/api/v1/datablock/: data blocks (archives of a device's data), as iotile.cloud's APIDataBlockViewSet.

The archived data is read through the data API (``data/?filter=b--...``, ``stream/<s--...>/data/``,
``stream/?block=``); this module lists, shows, edits, creates (archives) and deletes blocks.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.devices_common import caller_access, list_scope
from appliance.services.datablocks import DataBlocks
from appliance.services.datablocks_records import BlockRecord, StreamCountRecord


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/datablock/", block_list)
    app.router.add_post(f"{API}/datablock/", block_create)
    app.router.add_get(f"{API}/datablock/{{slug}}/", block_detail)
    app.router.add_patch(f"{API}/datablock/{{slug}}/", block_update)
    app.router.add_put(f"{API}/datablock/{{slug}}/", block_replace)
    app.router.add_delete(f"{API}/datablock/{{slug}}/", block_delete)
    app.router.add_get(f"{API}/datablock/{{slug}}/extra/", block_extra)
    app.router.add_get(f"{API}/datablock/{{slug}}/mask/", block_mask)
    app.router.add_patch(f"{API}/datablock/{{slug}}/mask/", block_mask_set)
    app.router.add_delete(f"{API}/datablock/{{slug}}/mask/", block_mask_clear)


def _blocks(request: web.Request) -> DataBlocks:
    return request.app[APPLIANCE].datablocks


def block_json(block: BlockRecord, pid: str = "") -> dict[str, Any]:
    """DataBlockSerializer (``pid`` is set only by the POST that scheduled the archive), plus the
    appliance's ``device`` and ``completed_on``."""
    return {"id": block.id, "slug": block.slug, "title": block.title, "description": block.description,
            "block": block.block, "org": block.org, "sg": block.sg, "created_on": block.created_on,
            "created_by": block.created_by, "pid": pid, "device": block.device,
            "completed_on": block.completed_on}


def counts_json(counts: list[StreamCountRecord]) -> dict[str, dict[str, Any]]:
    """The server's stream_counts: ``data_cnt``/``event_cnt`` only where the stream has some."""
    result: dict[str, dict[str, Any]] = {}
    for count in counts:
        entry: dict[str, Any] = {}
        if count.data_cnt:
            entry["data_cnt"] = count.data_cnt
        if count.event_cnt:
            entry["event_cnt"] = count.event_cnt
        result[count.slug] = {**entry, "has_streamid": count.has_streamid}
    return result


async def block_list(request: web.Request) -> web.Response:
    """``?org=`` (slug), ``?device=`` (d-- slug), ``?q=`` (words in title, description or slug; needs org)."""
    access = await caller_access(request)
    page = page_of(request)
    q = request.query
    count, blocks = await _blocks(request).page(
        access, await list_scope(request, access), org=q.get("org") or None, device=q.get("device") or None,
        q=q.get("q"), offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [block_json(b) for b in blocks]))


async def block_create(request: web.Request) -> web.Response:
    access = await caller_access(request)
    block, pid = await _blocks(request).create(access, await json_object(request))
    return respond(block_json(block, pid), status=202)


async def block_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond(block_json(await _blocks(request).get(access, request.match_info["slug"])))


async def block_update(request: web.Request) -> web.Response:
    access = await caller_access(request)
    body = await json_object(request)
    return respond(block_json(await _blocks(request).update(access, request.match_info["slug"], body)))


async def block_replace(request: web.Request) -> web.Response:
    access = await caller_access(request)
    body = await json_object(request)
    block = await _blocks(request).update(access, request.match_info["slug"], body, partial=False)
    return respond(block_json(block))


async def block_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    block, pid = await _blocks(request).delete(access, request.match_info["slug"])
    return respond({"slug": block.slug, "pid": pid}, status=202)


async def block_extra(request: web.Request) -> web.Response:
    access = await caller_access(request)
    block, counts = await _blocks(request).stream_counts(access, request.match_info["slug"])
    return respond({"id": block.id, "slug": block.slug, "title": block.title, "description": block.description,
                    "created_on": block.created_on, "stream_counts": counts_json(counts)})


async def block_mask(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond(await request.app[APPLIANCE].block_masks.get(access, request.match_info["slug"]))


async def block_mask_set(request: web.Request) -> web.Response:
    access = await caller_access(request)
    body = await json_object(request)
    return respond(await request.app[APPLIANCE].block_masks.set(access, request.match_info["slug"], body), status=202)


async def block_mask_clear(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await request.app[APPLIANCE].block_masks.clear(access, request.match_info["slug"])
    return web.Response(status=204)
