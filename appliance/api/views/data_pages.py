"""Paged answers of the data endpoints, serialized off the event loop: a page may hold 20,000
readings, and turning them into JSON text takes long enough to stall uploads on the same loop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any, Protocol

from aiohttp import web

from appliance.api.jsonenc import dumps
from appliance.api.pagination import Page, paginated

INLINE_ROWS = 200


class JsonRecord(Protocol):
    def as_json(self) -> dict[str, Any]: ...


def _text(request: web.Request, page: Page, total: int, rows: Sequence[JsonRecord]) -> str:
    return dumps(paginated(request, page, total, [row.as_json() for row in rows]))


async def respond_page(request: web.Request, page: Page, total: int, rows: Sequence[JsonRecord]) -> web.Response:
    """``{count, next, previous, results}``; an out-of-range page is still a 404."""
    if len(rows) <= INLINE_ROWS:
        text = _text(request, page, total, rows)
    else:
        text = await asyncio.get_running_loop().run_in_executor(None, _text, request, page, total, rows)
    return web.Response(text=text, content_type="application/json")
