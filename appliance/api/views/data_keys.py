"""The data service on the aiohttp application (built by data.setup; shared by the data_* views)."""

from __future__ import annotations

from aiohttp import web

from appliance.services.data import Readings

READINGS: web.AppKey[Readings] = web.AppKey("readings", Readings)
