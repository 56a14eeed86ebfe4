"""The route table: every resource module registers its own routes under /api/v1/."""

from __future__ import annotations

from aiohttp import web

from appliance.api.views import (
    accounts,
    auth,
    catalogue,
    config_attributes,
    data,
    devices,
    jobs,
    locations,
    notes,
    orgs,
    projects,
    properties,
    server,
    streamers,
    streams,
)

RESOURCE_MODULES = (server, auth, jobs, accounts, orgs, catalogue, projects, devices, streams, streamers, data, notes,
                    locations, properties, config_attributes)


def setup_routes(app: web.Application) -> None:
    for module in RESOURCE_MODULES:
        module.setup(app)
