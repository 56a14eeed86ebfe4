"""Catalogue writes inside one transaction: create, replace or patch one object, delete, import a document.

Each kind (var type, component, device template, sensor graph) is one ``Kind`` row: how to parse it,
find it, save it, show it and tell whether something still uses it. Anything wrong raises before
the commit, so the store's savepoint rolls the whole write back: nothing is stored partially.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, ValidationError
from appliance.services import catalogue_rows as rows
from appliance.services.catalogue_document import component_json, graph_json, template_json, var_type_json
from appliance.services.catalogue_parse import (
    CatalogueDocument,
    parse_component,
    parse_graph,
    parse_one,
    parse_template,
    parse_var_type,
)
from appliance.services.catalogue_records import VarTypeRecord
from appliance.services.catalogue_specs import Problems
from storage.metadata import Component, DeviceTemplate, SensorGraph, VarType
from storage.metadata.repos import catalogue as repo
from storage.metadata.repos import catalogue_templates as templates_repo
from storage.metadata.repos.catalogue import Refs

EXISTING_MODES = ("update", "skip", "refuse")


def _save_var_type(session: Session, values: Any, row: Any, refs: Refs, now: datetime, by: int | None,
                   prune: bool) -> Any:
    return repo.save_var_type(session, values, row, created_by_id=by, now=now, prune_units=prune)


def _saver(save: Callable[..., Any]) -> Callable[[Session, Any, Any, Refs, datetime, int | None, bool], Any]:
    def run(session: Session, values: Any, row: Any, refs: Refs, now: datetime, by: int | None, prune: bool) -> Any:
        return save(session, values, row, refs, created_by_id=by, now=now)
    return run


@dataclass(frozen=True)
class Kind:
    name: str  # also the document key
    what: str
    model: type[Any]
    parse: Callable[[Problems, str, Any], Any]
    find: Callable[[Session, str], Any]
    save: Callable[[Session, Any, Any, Refs, datetime, int | None, bool], Any]
    record: Callable[[Session, Any], Any]
    as_json: Callable[[Any], dict[str, Any]]
    in_use: Callable[[Session, int], bool]
    used_by: str


VAR_TYPES = Kind("var_types", "var type", VarType, parse_var_type, repo.var_type, _save_var_type,
                 lambda s, row: VarTypeRecord.of(row), var_type_json, repo.var_type_in_use,
                 "variables, streams or sensor graphs")
COMPONENTS = Kind("components", "component", Component, parse_component, templates_repo.component,
                  _saver(templates_repo.save_component), lambda s, row: rows.component_records(s, [row])[0],
                  component_json, templates_repo.component_in_use, "device templates")
DEVICE_TEMPLATES = Kind("device_templates", "device template", DeviceTemplate, parse_template,
                        templates_repo.template, _saver(templates_repo.save_template),
                        lambda s, row: rows.template_records(s, [row])[0], template_json,
                        templates_repo.template_in_use, "devices")
SENSOR_GRAPHS = Kind("sensor_graphs", "sensor graph", SensorGraph, parse_graph, templates_repo.graph,
                     _saver(templates_repo.save_graph), lambda s, row: rows.graph_records(s, [row])[0], graph_json,
                     templates_repo.graph_in_use, "devices or data blocks")
KINDS = (VAR_TYPES, COMPONENTS, DEVICE_TEMPLATES, SENSOR_GRAPHS)


def _refs_for(session: Session, path: str, values: Any) -> Refs:
    problems = Problems()
    refs = rows.resolve(session, problems, [(path, values)])
    problems.raise_if_any()
    return refs


def create(session: Session, kind: Kind, data: Any, *, by: int | None, now: datetime) -> Any:
    values = parse_one(data, kind.parse)
    refs = _refs_for(session, "", values)  # a bad body is 400 before a taken slug is 409
    if kind.find(session, values.slug) is not None:
        raise Conflict(f"a {kind.what} with slug {values.slug!r} already exists", key="duplicate_slug")
    return kind.record(session, kind.save(session, values, None, refs, now, by, True))


def replace(session: Session, kind: Kind, slug: str, data: Any, *, partial: bool, by: int | None,
            now: datetime) -> Any:
    """PUT (``partial=False``: missing fields get their defaults) or PATCH (missing fields are kept)."""
    row = _existing(session, kind, slug)
    if not isinstance(data, dict):
        raise ValidationError("expected a JSON object", key="bad_json")
    body = data
    if partial:
        current = kind.as_json(kind.record(session, row))
        current.pop("slug")
        body = {**current, **data}
    values = parse_one(body, kind.parse)
    refs = _refs_for(session, "", values)
    if values.slug != slug:
        _check_rename(session, kind, values.slug)
    if kind is VAR_TYPES:
        _check_dropped_units(session, row, values)
    return kind.record(session, kind.save(session, values, row, refs, now, by, True))


def _existing(session: Session, kind: Kind, slug: str) -> Any:
    row = kind.find(session, slug)
    if row is None:
        raise NotFound(f"{kind.what} {slug!r} not found")
    return row


def _check_rename(session: Session, kind: Kind, new_slug: str) -> None:
    if kind is VAR_TYPES:
        raise ValidationError("a var type's name cannot change: its slug and its units' slugs come from it",
                              key="rename_refused")
    if kind.find(session, new_slug) is not None:
        raise Conflict(f"a {kind.what} with slug {new_slug!r} already exists", key="duplicate_slug")


def _check_dropped_units(session: Session, row: VarType, values: repo.VarTypeValues) -> None:
    kept = {u.slug for u in (*values.inputs, *values.outputs)}
    inputs = [u.id for u in row.input_units if u.slug not in kept]
    outputs = [u.id for u in row.output_units if u.slug not in kept]
    if (inputs or outputs) and repo.units_in_use(session, inputs, outputs):
        raise Conflict("a unit left out is still used by variables, streams or sensor graphs", key="unit_in_use")


def delete(session: Session, kind: Kind, slug: str) -> None:
    row = _existing(session, kind, slug)
    if kind.in_use(session, row.id):
        raise Conflict(f"{kind.what} {slug!r} is still used by {kind.used_by}", key="in_use")
    repo.delete(session, row)


# -- import -----------------------------------------------------------------------------------------

@dataclass
class ImportCounts:
    created: dict[str, int] = field(default_factory=lambda: {k.name: 0 for k in KINDS})
    updated: dict[str, int] = field(default_factory=lambda: {k.name: 0 for k in KINDS})
    skipped: dict[str, int] = field(default_factory=lambda: {k.name: 0 for k in KINDS})

    def as_json(self) -> dict[str, Mapping[str, int]]:
        return {"created": dict(self.created), "updated": dict(self.updated), "skipped": dict(self.skipped)}


def _items(document: CatalogueDocument, kind: Kind) -> tuple[Any, ...]:
    items: tuple[Any, ...] = getattr(document, kind.name)
    return items


def import_document(session: Session, document: CatalogueDocument, *, existing: str, by: int | None,
                    now: datetime) -> ImportCounts:
    """Var types and components first, so templates and graphs can point at what the document adds."""
    if existing not in EXISTING_MODES:
        raise ValidationError(f"existing must be one of {', '.join(EXISTING_MODES)}", key="invalid_mode")
    if existing == "refuse":
        _refuse_existing(session, document)
    problems = Problems()
    located = [(f"{kind.name}[{i}]", values) for kind in KINDS for i, values in enumerate(_items(document, kind))]
    refs = rows.resolve(session, problems, [item for item in located if not _is_later(item[1])])
    problems.raise_if_any()
    counts = ImportCounts()
    for kind in (VAR_TYPES, COMPONENTS):
        _save_all(session, kind, _items(document, kind), refs, counts, existing, by, now)
    refs = rows.resolve(session, problems, [item for item in located if _is_later(item[1])])
    problems.raise_if_any()
    for kind in (DEVICE_TEMPLATES, SENSOR_GRAPHS):
        _save_all(session, kind, _items(document, kind), refs, counts, existing, by, now)
    return counts


def _is_later(values: Any) -> bool:
    return isinstance(values, (templates_repo.TemplateValues, templates_repo.GraphValues))


def _refuse_existing(session: Session, document: CatalogueDocument) -> None:
    taken = [f"{kind.what} {slug!r}" for kind in KINDS
             for slug in sorted(repo.existing_slugs(session, kind.model, (v.slug for v in _items(document, kind))))]
    if taken:
        raise Conflict(f"already in the catalogue: {', '.join(taken[:20])}", key="duplicate_slug",
                       detail={"existing": taken})


def _save_all(session: Session, kind: Kind, items: tuple[Any, ...], refs: Refs, counts: ImportCounts,
              existing: str, by: int | None, now: datetime) -> None:
    """Units are never dropped by an import (streams may use them); everything else is replaced."""
    for values in items:
        row = kind.find(session, values.slug)
        if row is not None and existing == "skip":
            counts.skipped[kind.name] += 1
            continue
        kind.save(session, values, row, refs, now, by, False)
        (counts.updated if row is not None else counts.created)[kind.name] += 1
