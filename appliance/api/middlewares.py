"""The API's one broad catch: every error leaves as JSON ``{"error": ...}`` with the right status."""

from __future__ import annotations

import logging

from aiohttp import web

from appliance.api.auth import Handler
from appliance.api.jsonenc import respond
from appliance.errors import ApplianceError, AuthenticationError

LOGGER = logging.getLogger(__name__)


SECRET_PATHS = ("/invite/",)
"""Paths whose remainder is a secret (an invitation token): logged without it."""


def loggable_path(request: web.Request) -> str:
    for prefix in SECRET_PATHS:
        if request.path.startswith(prefix) and len(request.path) > len(prefix):
            return f"{prefix}<redacted>"
    return request.path


def _error_response(status: int, body: dict[str, object]) -> web.Response:
    response = respond(body, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'JWT realm="api"'
    return response


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApplianceError as err:
        if isinstance(err, AuthenticationError) or err.status < 500:
            LOGGER.info("%s %s -> %d %s", request.method, loggable_path(request), err.status, err.key)
        else:
            LOGGER.error("%s %s -> %d %s", request.method, loggable_path(request), err.status, err.message)
        return _error_response(err.status, err.as_json())
    except web.HTTPException as err:
        if err.status < 400:
            raise
        reason = err.text if err.text and not err.text.startswith(f"{err.status}:") else err.reason
        return _error_response(err.status, {"error": reason})
    except Exception:
        LOGGER.exception("%s %s failed", request.method, loggable_path(request))
        return _error_response(500, {"error": "Internal server error; see the appliance log."})


@web.middleware
async def no_store_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """API answers carry tokens and private data: keep them out of shared caches."""
    response = await handler(request)
    response.headers.setdefault("Cache-Control", "no-store")
    return response
