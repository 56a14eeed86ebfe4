"""Single variable templates (iotile.cloud's ``vartemplate/``) and template slots (``dt/<slug>/slot/``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, ValidationError
from appliance.services import catalogue_rows as rows
from appliance.services.catalogue_document import variable_json
from appliance.services.catalogue_parse import parse_variable
from appliance.services.catalogue_records import SlotRecord, VariableTemplateRecord
from appliance.services.catalogue_specs import SLOT_FIELDS, SLUG_MAX, VARIABLE_FIELDS, Field, Problems, read, text
from storage.metadata import SensorGraph
from storage.metadata.repos import catalogue_templates as templates_repo
from storage.metadata.repos.catalogue import Refs
from storage.metadata.repos.catalogue_templates import VariableValues

STANDALONE_VARIABLE_FIELDS = (Field("sg", text(SLUG_MAX, required=True)), *VARIABLE_FIELDS)


def _parse(session: Session, data: Any) -> tuple[SensorGraph, VariableValues, Refs]:
    problems = Problems()
    parsed = parse_variable(problems, "", data, STANDALONE_VARIABLE_FIELDS)
    problems.raise_if_any()
    assert parsed is not None
    variable, values = parsed
    graph = templates_repo.graph(session, values["sg"])
    if graph is None:
        raise ValidationError(f"sg: unknown sensor graph {values['sg']!r}", key="invalid_catalogue",
                              detail={"errors": [f"sg: unknown sensor graph {values['sg']!r}"]})
    refs = rows.resolve(session, problems, [("", variable)])
    problems.raise_if_any()
    return graph, variable, refs


def _check_free(session: Session, graph: SensorGraph, lid: int, keep_id: int | None) -> None:
    taken = templates_repo.variable_at(session, graph.id, lid)
    if taken is not None and taken.id != keep_id:
        raise Conflict(f"sensor graph {graph.slug!r} already has a variable template for {lid:04x}",
                       key="duplicate_lid")


def create_variable(session: Session, data: Any, *, by: int | None, now: datetime) -> VariableTemplateRecord:
    graph, variable, refs = _parse(session, data)
    _check_free(session, graph, variable.lid, None)
    row = templates_repo.save_variable(session, graph.id, variable, None, refs, created_by_id=by, now=now)
    return rows.variable_record(session, row)


def replace_variable(session: Session, variable_id: int, data: Any, *, partial: bool,
                     now: datetime) -> VariableTemplateRecord:
    """PUT/PATCH ``vartemplate/<id>/``; it may move to another lid or graph if that place is free."""
    row = templates_repo.variable(session, variable_id)
    if row is None:
        raise NotFound("variable template not found")
    if not isinstance(data, dict):
        raise ValidationError("expected a JSON object", key="bad_json")
    if partial:
        current = rows.variable_record(session, row)
        data = {"sg": current.sg, **variable_json(current), **data}
    graph, variable, refs = _parse(session, data)
    _check_free(session, graph, variable.lid, row.id)
    saved = templates_repo.save_variable(session, graph.id, variable, row, refs, created_by_id=row.created_by_id,
                                         now=now)
    return rows.variable_record(session, saved)


def add_slot(session: Session, template_slug: str, data: Any) -> tuple[SlotRecord, bool]:
    template = templates_repo.template(session, template_slug)
    if template is None:
        raise NotFound(f"device template {template_slug!r} not found")
    problems = Problems()
    values = read(problems, "", data, SLOT_FIELDS)
    problems.raise_if_any()
    assert values is not None
    component = templates_repo.component(session, values["component"])
    if component is None:
        raise ValidationError(f"component: unknown component {values['component']!r}", key="invalid_catalogue",
                              detail={"errors": [f"component: unknown component {values['component']!r}"]})
    created = templates_repo.set_slot(session, template.id, values["number"], component.id)
    return SlotRecord(values["number"], component.slug, component.hw_tag), created
