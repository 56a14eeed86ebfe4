"""The caller's Access (roles per org), computed once per request."""

from __future__ import annotations

from aiohttp import web

from appliance.api.auth import principal
from appliance.api.keys import APPLIANCE
from appliance.services.permissions import Access

ACCESS: web.RequestKey[Access] = web.RequestKey("access")


async def access_of(request: web.Request) -> Access:
    cached = request.get(ACCESS)
    if cached is None:
        cached = await request.app[APPLIANCE].orgs.access_for(principal(request))
        request[ACCESS] = cached
    return cached
