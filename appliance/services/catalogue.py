"""The catalogue: var types and units, device templates and components, sensor graphs.

Shared reference data every org reads (devices point at a template and a sensor graph; claiming turns
the graph's variable templates into streams). Only staff change it; callers check that (the API with
``require_staff``), this service only keeps it consistent. A fresh data directory is seeded from the
default catalogue shipped in ``appliance/data/catalogue.json``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import NotFound, ValidationError
from appliance.services import catalogue_rows as rows
from appliance.services import catalogue_writes as writes
from appliance.services import db
from appliance.services.catalogue_document import document_json, load_default_document
from appliance.services.catalogue_parse import parse_document
from appliance.services.catalogue_records import (
    ComponentRecord,
    DeviceTemplateRecord,
    SensorGraphRecord,
    SlotRecord,
    VariableTemplateRecord,
    VarTypeRecord,
)
from appliance.services.catalogue_variables import add_slot, create_variable, replace_variable
from appliance.services.catalogue_writes import ImportCounts, Kind
from storage.metadata import MetadataStore
from storage.metadata.repos import catalogue as repo
from storage.metadata.repos import catalogue_templates as templates_repo

LOGGER = logging.getLogger(__name__)

Page = tuple[int, list[Any]]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Catalogue:
    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    # -- reads ------------------------------------------------------------------------------------

    async def var_types(self, *, search: str | None = None, offset: int = 0, limit: int = 100) -> Page:
        def query(session: Session) -> Page:
            count, found = repo.var_type_page(session, search=search, offset=offset, limit=limit)
            return count, [VarTypeRecord.of(row) for row in found]
        return await db.read(self._store, query)

    async def var_type(self, slug: str) -> VarTypeRecord:
        record: VarTypeRecord = await self._one(writes.VAR_TYPES, slug)
        return record

    async def components(self, *, offset: int = 0, limit: int = 100) -> Page:
        def query(session: Session) -> Page:
            count, found = templates_repo.component_page(session, offset=offset, limit=limit)
            return count, rows.component_records(session, found)
        return await db.read(self._store, query)

    async def component(self, slug: str) -> ComponentRecord:
        record: ComponentRecord = await self._one(writes.COMPONENTS, slug)
        return record

    async def templates(self, *, include_inactive: bool = False, org_slug: str | None = None, offset: int = 0,
                        limit: int = 100) -> Page:
        def query(session: Session) -> Page:
            count, found = templates_repo.template_page(session, active_only=not include_inactive, org_slug=org_slug,
                                                        offset=offset, limit=limit)
            return count, rows.template_records(session, found)
        return await db.read(self._store, query)

    async def template(self, slug: str, *, include_inactive: bool = True) -> DeviceTemplateRecord:
        """Inactive templates are hidden from non-staff on the real server, even by slug."""
        record: DeviceTemplateRecord = await self._one(writes.DEVICE_TEMPLATES, slug)
        if not (record.active or include_inactive):
            raise NotFound(f"device template {slug!r} not found")
        return record

    async def graphs(self, *, include_inactive: bool = False, org_slug: str | None = None, slug: str | None = None,
                     offset: int = 0, limit: int = 100) -> Page:
        def query(session: Session) -> Page:
            count, found = templates_repo.graph_page(session, active_only=not include_inactive, org_slug=org_slug,
                                                     slug=slug, offset=offset, limit=limit)
            return count, rows.graph_records(session, found)
        return await db.read(self._store, query)

    async def graph(self, slug: str) -> SensorGraphRecord:
        """By slug even when inactive (devices keep pointing at retired graphs)."""
        record: SensorGraphRecord = await self._one(writes.SENSOR_GRAPHS, slug)
        return record

    async def graph_by_id(self, graph_id: int) -> SensorGraphRecord:
        """For claiming: a device's ``sg_id`` to the graph and its variable templates."""
        def query(session: Session) -> SensorGraphRecord | None:
            row = templates_repo.graph_by_id(session, graph_id)
            return rows.graph_records(session, [row])[0] if row else None
        record = await db.read(self._store, query)
        if record is None:
            raise NotFound("sensor graph not found")
        return record

    async def variable_template(self, variable_id: int) -> VariableTemplateRecord:
        def query(session: Session) -> VariableTemplateRecord | None:
            row = templates_repo.variable(session, variable_id)
            return rows.variable_record(session, row) if row else None
        record = await db.read(self._store, query)
        if record is None:
            raise NotFound("variable template not found")
        return record

    async def _one(self, kind: Kind, slug: str) -> Any:
        def query(session: Session) -> Any:
            row = kind.find(session, slug)
            return kind.record(session, row) if row is not None else None
        record = await db.read(self._store, query)
        if record is None:
            raise NotFound(f"{kind.what} {slug!r} not found")
        return record

    # -- writes (staff only: callers check) --------------------------------------------------------

    async def create(self, kind: Kind, data: Any, *, created_by_id: int | None = None) -> Any:
        """``kind`` is one of ``catalogue_writes.KINDS``; ``data`` is one object of the document format."""
        now = _now()
        return await db.write(self._store, lambda s: writes.create(s, kind, data, by=created_by_id, now=now))

    async def replace(self, kind: Kind, slug: str, data: Any, *, partial: bool,
                      updated_by_id: int | None = None) -> Any:
        now = _now()
        return await db.write(self._store, lambda s: writes.replace(s, kind, slug, data, partial=partial,
                                                                    by=updated_by_id, now=now))

    async def delete(self, kind: Kind, slug: str) -> None:
        await db.write(self._store, lambda s: writes.delete(s, kind, slug))

    async def add_slot(self, template_slug: str, data: Any) -> tuple[SlotRecord, bool]:
        """iotile.cloud's ``dt/<slug>/slot/``: set component ``number``; True when the slot is new."""
        return await db.write(self._store, lambda s: add_slot(s, template_slug, data))

    async def create_variable(self, data: Any, *, created_by_id: int | None = None) -> VariableTemplateRecord:
        now = _now()
        return await db.write(self._store, lambda s: create_variable(s, data, by=created_by_id, now=now))

    async def replace_variable(self, variable_id: int, data: Any, *, partial: bool) -> VariableTemplateRecord:
        now = _now()
        return await db.write(self._store, lambda s: replace_variable(s, variable_id, data, partial=partial, now=now))

    async def delete_variable(self, variable_id: int) -> None:
        def remove(session: Session) -> None:
            row = templates_repo.variable(session, variable_id)
            if row is None:
                raise NotFound("variable template not found")
            repo.delete(session, row)
        await db.write(self._store, remove)

    # -- documents ---------------------------------------------------------------------------------

    async def export_json(self) -> dict[str, Any]:
        """The whole catalogue as one document (see docs/api/catalogue.md), sorted by slug."""
        def query(session: Session) -> dict[str, Any]:
            return document_json([VarTypeRecord.of(r) for r in repo.all_var_types(session)],
                                 rows.component_records(session, templates_repo.all_components(session)),
                                 rows.template_records(session, templates_repo.all_templates(session)),
                                 rows.graph_records(session, templates_repo.all_graphs(session)))
        return await db.read(self._store, query)

    async def import_json(self, data: Any, *, existing: str = "update",
                          created_by_id: int | None = None) -> ImportCounts:
        """All or nothing. ``existing``: ``update`` replaces objects whose slug exists (their units are
        kept and updated, never dropped), ``skip`` leaves them alone, ``refuse`` fails with 409."""
        document = parse_document(_decoded(data))
        now = _now()
        counts = await db.write(self._store, lambda s: writes.import_document(
            s, document, existing=existing, by=created_by_id, now=now))
        LOGGER.info("catalogue import: %s", counts.as_json())
        return counts

    async def ensure_defaults(self) -> ImportCounts | None:
        """Seed an empty catalogue with the shipped default; a catalogue with anything in it is left alone,
        so defaults an operator deleted do not come back at the next start."""
        document = parse_document(load_default_document())
        now = _now()

        def seed(session: Session) -> ImportCounts | None:
            if not repo.is_empty(session):
                return None
            return writes.import_document(session, document, existing="skip", by=None, now=now)

        counts = await db.write(self._store, seed)
        if counts is not None:
            LOGGER.info("seeded the catalogue with the default: %s", counts.as_json())
        return counts

    async def add_defaults(self) -> ImportCounts:
        """On request (CLI, GUI): add the shipped objects that are missing, leave the others as they are."""
        return await self.import_json(load_default_document(), existing="skip")


def _decoded(data: Any) -> Any:
    if isinstance(data, (bytes, bytearray)):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValidationError("the catalogue is not UTF-8 text", key="bad_json") from err
    if isinstance(data, str):
        try:
            return json.loads(data)
        except ValueError as err:
            raise ValidationError(f"malformed JSON: {err}", key="bad_json") from err
    if not isinstance(data, Mapping):
        raise ValidationError("a catalogue document is a JSON object", key="bad_json")
    return data
