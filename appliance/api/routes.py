"""The route table: every resource module registers its own routes under /api/v1/."""

from __future__ import annotations

from aiohttp import web

from appliance.api.views import (
    accounts,
    aliases,
    auth,
    catalogue,
    config_attributes,
    data,
    datablocks,
    devices,
    devices_maintenance,
    fleets,
    invite_page,
    jobs,
    locations,
    notes,
    notes_attachments,
    orgs,
    ota,
    projects,
    properties,
    server,
    streamers,
    streams,
)

RESOURCE_MODULES = (server, auth, jobs, accounts, orgs, catalogue, projects, devices, streams, streamers, data, notes,
                    locations, properties, config_attributes, aliases, datablocks,
                    devices_maintenance, notes_attachments, fleets, ota, invite_page)


def setup_routes(app: web.Application) -> None:
    for module in RESOURCE_MODULES:
        module.setup(app)
