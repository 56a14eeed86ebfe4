"""The aiohttp application serving iotile.cloud's /api/v1 surface."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from appliance.api.auth import auth_middleware
from appliance.api.keys import APPLIANCE
from appliance.api.middlewares import error_middleware, no_store_middleware
from appliance.api.routes import setup_routes

if TYPE_CHECKING:
    from appliance.app import Appliance


def create_api(appliance: Appliance) -> web.Application:
    """Error handling wraps authentication so a 401 is JSON too."""
    app = web.Application(
        middlewares=[no_store_middleware, error_middleware, auth_middleware],
        client_max_size=int(appliance.settings["server.max_upload_bytes"]),
    )
    app[APPLIANCE] = appliance
    setup_routes(app)
    return app
