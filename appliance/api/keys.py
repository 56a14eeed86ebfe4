"""Typed keys for values the API stores on the aiohttp application and on requests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from appliance.app import Appliance
    from appliance.services.auth import Principal

APPLIANCE: web.AppKey[Appliance] = web.AppKey("appliance")
PRINCIPAL: web.RequestKey[Principal | None] = web.RequestKey("principal")
