"""Authentication at the HTTP edge: default deny, ``@public`` for the few open endpoints."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from aiohttp import web

from appliance.api.keys import APPLIANCE, PRINCIPAL
from appliance.errors import AuthenticationError, PermissionDenied
from appliance.services.auth import Principal

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
F = TypeVar("F", bound=Callable[..., Any])


def public(handler: F) -> F:
    """Mark a handler as reachable without credentials (login, health, server time)."""
    handler.__iotile_public__ = True  # type: ignore[attr-defined]
    return handler


def is_public(handler: Callable[..., Any]) -> bool:
    return bool(getattr(handler, "__iotile_public__", False))


@web.middleware
async def auth_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    header = request.headers.get("Authorization", "")
    request[PRINCIPAL] = None
    if is_public(handler):
        if header:
            try:
                request[PRINCIPAL] = await request.app[APPLIANCE].authenticator.from_header(header)
            except AuthenticationError:
                request[PRINCIPAL] = None
        return await handler(request)
    if not header:
        raise AuthenticationError("Authentication credentials were not provided.", key="not_authenticated")
    request[PRINCIPAL] = await request.app[APPLIANCE].authenticator.from_header(header)
    return await handler(request)


def principal(request: web.Request) -> Principal:
    """The caller of a non-public handler (the middleware guarantees one)."""
    who: Principal | None = request.get(PRINCIPAL)
    if who is None:
        raise AuthenticationError("Authentication credentials were not provided.", key="not_authenticated")
    return who


def require_staff(request: web.Request) -> Principal:
    who = principal(request)
    if not who.is_staff:
        raise PermissionDenied("You do not have permission to perform this action.")
    return who
