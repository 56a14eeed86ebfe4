"""/api/v1/property/ and /api/v1/propertytemplate/: typed properties on device, block and project slugs.

Differences from iotile.cloud, on purpose: a missing ``target`` is a 400 (the server answers 406);
a target of another org is 404 (the server says 403); writing needs ``can_modify_device_properties``
(``can_manage_org_and_projects`` on a project) where the server only checks membership; templates
are written by staff only; PUT/PATCH cannot rename or move a property.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appliance.api.access import access_of
from appliance.api.auth import principal, require_staff
from appliance.api.bodies import json_object, require_str
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.errors import ValidationError
from appliance.services.properties import (
    VALUE_FIELDS,
    NewProperty,
    Properties,
    PropertyTemplates,
    TemplateFields,
    parse_value,
)
from storage.metadata.models.codes import PROPERTY_TYPES

PROPERTIES: web.AppKey[Properties] = web.AppKey("properties", Properties)
TEMPLATES: web.AppKey[PropertyTemplates] = web.AppKey("property_templates", PropertyTemplates)
PROPERTY_FIELDS = frozenset({"target", "name", "is_system", *VALUE_FIELDS})
TEMPLATE_FIELDS = frozenset({"org", "name", "type", "default", "extra", "enums"})


def setup(app: web.Application) -> None:
    metadata = app[APPLIANCE].metadata
    app[PROPERTIES] = Properties(metadata)
    app[TEMPLATES] = PropertyTemplates(metadata)
    app.router.add_get(f"{API}/property/", property_list)
    app.router.add_post(f"{API}/property/", property_create)
    app.router.add_get(f"{API}/property/{{pk}}/", property_detail)
    app.router.add_patch(f"{API}/property/{{pk}}/", property_update)
    app.router.add_put(f"{API}/property/{{pk}}/", property_update)
    app.router.add_delete(f"{API}/property/{{pk}}/", property_delete)
    app.router.add_get(f"{API}/propertytemplate/", template_list)
    app.router.add_post(f"{API}/propertytemplate/", template_create)
    app.router.add_get(f"{API}/propertytemplate/{{pk}}/", template_detail)
    app.router.add_patch(f"{API}/propertytemplate/{{pk}}/", template_update)
    app.router.add_delete(f"{API}/propertytemplate/{{pk}}/", template_delete)
    app.router.add_get(f"{API}/propertytemplate/{{pk}}/enum/", template_enums)
    app.router.add_post(f"{API}/propertytemplate/{{pk}}/enum/", template_enum_add)


def pk_of(request: web.Request) -> int:
    text = request.match_info["pk"]
    if not text.isdigit():
        raise ValidationError(f"invalid id {text!r}", key="bad_pk")
    return int(text)


def _known(body: dict[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(unknown)}", key="unknown_field")


def _account_id(request: web.Request) -> int | None:
    who = principal(request)
    return who.account.id if who.account else None


async def property_list(request: web.Request) -> web.Response:
    target = request.query.get("target")
    if not target:
        raise ValidationError("target argument (e.g. target=d--0000-0000-0000-1234) is required", key="target")
    page = page_of(request)
    count, rows = await request.app[PROPERTIES].page(await access_of(request), target, page.offset, page.size)
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def property_create(request: web.Request) -> web.Response:
    body = await json_object(request)
    _known(body, PROPERTY_FIELDS)
    kind, text = parse_value(body)
    is_system = body.get("is_system", False)
    if not isinstance(is_system, bool):
        raise ValidationError("is_system: must be a valid boolean", key="wrong_type")
    new = NewProperty(require_str(body, "target"), require_str(body, "name", max_length=40), kind, text, is_system)
    record = await request.app[PROPERTIES].create(await access_of(request), new, _account_id(request))
    return respond(record.as_json(), status=201)


async def property_detail(request: web.Request) -> web.Response:
    record = await request.app[PROPERTIES].get(await access_of(request), pk_of(request))
    return respond(record.as_json())


async def property_update(request: web.Request) -> web.Response:
    body = await json_object(request)
    _known(body, PROPERTY_FIELDS)
    service, access, pk = request.app[PROPERTIES], await access_of(request), pk_of(request)
    current = await service.get(access, pk)
    for field in ("target", "name"):
        if field in body and body[field] != getattr(current, field):
            raise ValidationError(f"{field}: a property cannot be moved or renamed", key="read_only")
    kind, text = parse_value(body)
    record = await service.update(access, pk, kind, text)
    return respond(record.as_json())


async def property_delete(request: web.Request) -> web.Response:
    await request.app[PROPERTIES].delete(await access_of(request), pk_of(request))
    return web.Response(status=204)


def _template_fields(body: dict[str, Any], *, partial: bool) -> TemplateFields:
    _known(body, TEMPLATE_FIELDS)
    kind = body.get("type", None if partial else "str")
    if kind is not None and kind not in PROPERTY_TYPES:
        raise ValidationError(f"type: {kind!r} is not a valid choice", key="type")
    default, extra, enums = body.get("default"), body.get("extra"), body.get("enums", [])
    if default is not None and not isinstance(default, str):
        raise ValidationError("default: expected text", key="wrong_type")
    if extra is not None and not isinstance(extra, dict):
        raise ValidationError("extra: expected a JSON object", key="wrong_type")
    if not isinstance(enums, list) or not all(isinstance(e, str) and 0 < len(e) <= 64 for e in enums):
        raise ValidationError("enums: expected a list of texts", key="wrong_type")
    name = require_str(body, "name", max_length=40) if not partial or "name" in body else None
    org = require_str(body, "org") if not partial else None
    return TemplateFields(org, name, kind, default, extra, tuple(enums))


async def template_list(request: web.Request) -> web.Response:
    page = page_of(request)
    count, rows = await request.app[TEMPLATES].page(await access_of(request), request.query.get("org") or None,
                                                    request.query.get("name") or None, page.offset, page.size)
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def template_create(request: web.Request) -> web.Response:
    require_staff(request)
    fields = _template_fields(await json_object(request), partial=False)
    record = await request.app[TEMPLATES].create(fields, _account_id(request))
    return respond(record.as_json(), status=201)


async def template_detail(request: web.Request) -> web.Response:
    record = await request.app[TEMPLATES].get(await access_of(request), pk_of(request))
    return respond(record.as_json())


async def template_update(request: web.Request) -> web.Response:
    require_staff(request)
    fields = _template_fields(await json_object(request), partial=True)
    record = await request.app[TEMPLATES].update(await access_of(request), pk_of(request), fields)
    return respond(record.as_json())


async def template_delete(request: web.Request) -> web.Response:
    require_staff(request)
    await request.app[TEMPLATES].delete(await access_of(request), pk_of(request))
    return web.Response(status=204)


async def template_enums(request: web.Request) -> web.Response:
    record = await request.app[TEMPLATES].get(await access_of(request), pk_of(request))
    page = page_of(request)
    values = [{"value": v, "template": record.id, "org": record.org} for v in record.enums]
    return respond(paginated(request, page, len(values), values[page.offset:page.offset + page.size]))


async def template_enum_add(request: web.Request) -> web.Response:
    require_staff(request)
    value = require_str(await json_object(request), "value", max_length=64)
    record = await request.app[TEMPLATES].add_enum(await access_of(request), pk_of(request), value,
                                                   _account_id(request))
    return respond({"value": value, "template": record.id, "org": record.org}, status=201)
