"""/api/v1/catalogue/: export and import the whole catalogue as one JSON document (our addition)."""

from __future__ import annotations

from aiohttp import web

from appliance.api.auth import require_staff
from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.urls import API
from appliance.api.views.catalogue_common import account_id, catalogue
from appliance.errors import ValidationError
from appliance.services.catalogue_writes import EXISTING_MODES


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/catalogue/export/", export_document)
    app.router.add_post(f"{API}/catalogue/import/", import_document)


async def export_document(request: web.Request) -> web.Response:
    require_staff(request)
    response = respond(await catalogue(request).export_json())
    if request.query.get("download") == "1":
        response.headers["Content-Disposition"] = 'attachment; filename="catalogue.json"'
    return response


async def import_document(request: web.Request) -> web.Response:
    """All or nothing: 200 with counts, or 400/409 and nothing changed."""
    who = require_staff(request)
    existing = request.query.get("existing", "update")
    if existing not in EXISTING_MODES:
        raise ValidationError(f"existing must be one of {', '.join(EXISTING_MODES)}", key="invalid_mode")
    counts = await catalogue(request).import_json(await json_object(request), existing=existing,
                                                  created_by_id=account_id(who))
    return respond(counts.as_json())
