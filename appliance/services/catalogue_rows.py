"""Inside a read or write transaction: catalogue rows to records, and references checked against the database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy.orm import Session

from appliance.services.catalogue_records import (
    ComponentRecord,
    DeviceTemplateRecord,
    Names,
    SensorGraphRecord,
    VariableTemplateRecord,
)
from appliance.services.catalogue_specs import Problems, join
from storage.metadata import Component, DeviceTemplate, SensorGraph, VariableTemplate
from storage.metadata.repos import catalogue as repo
from storage.metadata.repos import catalogue_templates as templates_repo
from storage.metadata.repos.catalogue import Refs
from storage.metadata.repos.catalogue_templates import (
    ComponentValues,
    GraphValues,
    TemplateValues,
    VariableValues,
)


def component_records(session: Session, rows: Sequence[Component]) -> list[ComponentRecord]:
    orgs = repo.org_slugs(session, (row.org_id for row in rows))
    return [ComponentRecord.of(row, orgs) for row in rows]


def template_records(session: Session, rows: Sequence[DeviceTemplate]) -> list[DeviceTemplateRecord]:
    orgs = repo.org_slugs(session, (row.org_id for row in rows))
    return [DeviceTemplateRecord.of(row, orgs) for row in rows]


def _names(session: Session, graphs: Sequence[SensorGraph], variables: Iterable[VariableTemplate]) -> Names:
    variables = list(variables)
    var_types, inputs, outputs = repo.var_type_names(
        session, (v.var_type_id for v in variables), (v.default_input_unit_id for v in variables),
        (v.default_output_unit_id for v in variables))
    return Names(orgs=repo.org_slugs(session, (g.org_id for g in graphs)),
                 project_templates=repo.project_template_slugs(session, (g.project_template_id for g in graphs)),
                 var_types=var_types, inputs=inputs, outputs=outputs, graphs={g.id: g.slug for g in graphs})


def graph_records(session: Session, rows: Sequence[SensorGraph]) -> list[SensorGraphRecord]:
    names = _names(session, rows, (v for row in rows for v in row.variable_templates))
    return [SensorGraphRecord.of(row, names) for row in rows]


def variable_record(session: Session, row: VariableTemplate) -> VariableTemplateRecord:
    graph = templates_repo.graph_by_id(session, row.sg_id)
    names = _names(session, [graph] if graph else [], [row])
    return VariableTemplateRecord.of(row, names)


# -- references -------------------------------------------------------------------------------------

Located = tuple[str, object]  # (path in the body or document, values)


def resolve(session: Session, problems: Problems, items: Sequence[Located]) -> Refs:
    """Look every slug the items point at up once, and report those that do not exist."""
    refs = Refs()
    orgs: set[str] = set()
    templates: set[str] = set()
    components: set[str] = set()
    var_types: set[str] = set()
    units: set[str] = set()
    for _, values in items:
        if isinstance(values, (ComponentValues, TemplateValues, GraphValues)) and values.org:
            orgs.add(values.org)
        if isinstance(values, TemplateValues):
            components.update(slot.component for slot in values.slots)
        if isinstance(values, GraphValues):
            templates.update([values.project_template] if values.project_template else [])
        for variable in _variables(values):
            var_types.add(variable.var_type)
            units.update(u for u in (variable.input_unit, variable.output_unit) if u)
    repo.owner_refs(session, refs, orgs, templates)
    templates_repo.component_ids(session, refs, components)
    repo.var_type_refs(session, refs, var_types, units)
    for path, values in items:
        _check(problems, path, values, refs)
    return refs


def _variables(values: object) -> Sequence[VariableValues]:
    if isinstance(values, GraphValues):
        return values.variables
    return [values] if isinstance(values, VariableValues) else []


def _check(problems: Problems, path: str, values: object, refs: Refs) -> None:
    org = getattr(values, "org", None)
    if org and org not in refs.orgs:
        problems.add(join(path, "org"), f"unknown org {org!r}")
    if isinstance(values, GraphValues) and values.project_template \
            and values.project_template not in refs.project_templates:
        problems.add(join(path, "project_template"), f"unknown project template {values.project_template!r}")
    if isinstance(values, TemplateValues):
        for index, slot in enumerate(values.slots):
            if slot.component not in refs.components:
                problems.add(join(join(join(path, "slots"), index), "component"),
                             f"unknown component {slot.component!r}")
    nested = isinstance(values, GraphValues)
    for index, variable in enumerate(_variables(values)):
        where = join(join(path, "variable_templates"), index) if nested else path
        check_variable(problems, where, variable, refs)


def check_variable(problems: Problems, path: str, variable: VariableValues, refs: Refs) -> None:
    var_type = refs.var_types.get(variable.var_type)
    if var_type is None:
        problems.add(join(path, "var_type"), f"unknown var type {variable.var_type!r}")
        return
    for name, slug, known in (("default_input_unit", variable.input_unit, refs.inputs),
                              ("default_output_unit", variable.output_unit, refs.outputs)):
        if slug and (slug not in known or known[slug][1] != var_type):
            problems.add(join(path, name), f"{slug!r} is not a unit of var type {variable.var_type!r}")
