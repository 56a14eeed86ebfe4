"""Server time and health: public so devices can check their clock before signing in."""

from __future__ import annotations

from datetime import datetime, timezone

from aiohttp import web

from appliance.api.auth import public
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.urls import API
from appliance.version import __version__


@public
async def server_info(request: web.Request) -> web.Response:
    return respond({
        "now": datetime.now(timezone.utc),
        "stage": "appliance",
        "name": "IOTile Appliance",
        "version": __version__,
    })


def setup(app: web.Application) -> None:
    app.router.add_get("/health/", health)
    app.router.add_get(f"{API}/health/", health)
    app.router.add_get(f"{API}/server/", server_info)


@public
async def health(request: web.Request) -> web.Response:
    status = request.app[APPLIANCE].health()
    return respond(status, status=200 if status["ok"] else 503)
