"""Queries for components, device templates (with their slots) and sensor graphs (with variable templates)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from storage.metadata.models import (
    Component,
    DataBlock,
    Device,
    DeviceSlot,
    DeviceTemplate,
    Org,
    SensorGraph,
    VariableTemplate,
)
from storage.metadata.repos.catalogue import Refs


@dataclass(frozen=True)
class ComponentValues:
    slug: str
    columns: Mapping[str, Any]
    org: str | None = None


@dataclass(frozen=True)
class SlotValues:
    number: int
    component: str


@dataclass(frozen=True)
class TemplateValues:
    slug: str
    columns: Mapping[str, Any]
    org: str | None = None
    slots: tuple[SlotValues, ...] = ()


@dataclass(frozen=True)
class VariableValues:
    lid: int
    columns: Mapping[str, Any]  # label, derived_lid, ctype, m, d, o, app_only, web_only
    var_type: str
    input_unit: str | None = None
    output_unit: str | None = None


@dataclass(frozen=True)
class GraphValues:
    slug: str
    columns: Mapping[str, Any]
    org: str | None = None
    project_template: str | None = None
    variables: tuple[VariableValues, ...] = ()


def _page(session: Session, stmt: Select[Any], order: Sequence[Any], offset: int, limit: int) -> tuple[int, list[Any]]:
    count = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    return count, list(session.scalars(stmt.order_by(*order).offset(offset).limit(limit)))


def _by_org(stmt: Select[Any], model: Any, org_slug: str | None) -> Select[Any]:
    if org_slug is None:
        return stmt
    return stmt.join(Org, Org.id == model.org_id).where(Org.slug == org_slug)


# -- components ---------------------------------------------------------------------------------

_COMPONENT_ORDER = (Component.external_sku, Component.major_version, Component.minor_version,
                    Component.patch_version)


def component_page(session: Session, *, offset: int, limit: int) -> tuple[int, list[Component]]:
    return _page(session, select(Component), _COMPONENT_ORDER, offset, limit)


def all_components(session: Session) -> Sequence[Component]:
    return session.scalars(select(Component).order_by(Component.slug)).all()


def component(session: Session, slug: str) -> Component | None:
    return session.scalar(select(Component).where(Component.slug == slug))


def component_ids(session: Session, refs: Refs, slugs: set[str]) -> None:
    stmt = select(Component.slug, Component.id).where(Component.slug.in_(slugs))
    refs.components.update({slug: row_id for slug, row_id in session.execute(stmt)})


def save_component(session: Session, values: ComponentValues, row: Component | None, refs: Refs, *,
                   created_by_id: int | None, now: datetime) -> Component:
    if row is None:
        row = Component(slug=values.slug, created_on=now, created_by_id=created_by_id)
        session.add(row)
    row.slug = values.slug
    for name, value in values.columns.items():
        setattr(row, name, value)
    row.org_id = refs.orgs[values.org] if values.org else None
    session.flush()
    return row


def component_in_use(session: Session, component_id: int) -> bool:
    return session.scalar(select(DeviceSlot.id).where(DeviceSlot.component_id == component_id).limit(1)) is not None


# -- device templates ---------------------------------------------------------------------------

_TEMPLATE_ORDER = (DeviceTemplate.external_sku, DeviceTemplate.major_version, DeviceTemplate.minor_version,
                   DeviceTemplate.patch_version)


def _with_slots() -> Any:
    return selectinload(DeviceTemplate.slots).selectinload(DeviceSlot.component)


def template_page(session: Session, *, active_only: bool, org_slug: str | None, offset: int,
                  limit: int) -> tuple[int, list[DeviceTemplate]]:
    stmt = _by_org(select(DeviceTemplate).options(_with_slots()), DeviceTemplate, org_slug)
    if active_only:
        stmt = stmt.where(DeviceTemplate.active.is_(True))
    return _page(session, stmt, _TEMPLATE_ORDER, offset, limit)


def all_templates(session: Session) -> Sequence[DeviceTemplate]:
    return session.scalars(select(DeviceTemplate).options(_with_slots()).order_by(DeviceTemplate.slug)).all()


def template(session: Session, slug: str) -> DeviceTemplate | None:
    return session.scalar(select(DeviceTemplate).options(_with_slots()).where(DeviceTemplate.slug == slug))


def save_template(session: Session, values: TemplateValues, row: DeviceTemplate | None, refs: Refs, *,
                  created_by_id: int | None, now: datetime) -> DeviceTemplate:
    """Create or update a template; its slots are replaced by the given ones."""
    if row is None:
        row = DeviceTemplate(slug=values.slug, created_on=now, created_by_id=created_by_id)
        session.add(row)
    row.slug = values.slug
    for name, value in values.columns.items():
        setattr(row, name, value)
    row.org_id = refs.orgs[values.org] if values.org else None
    session.flush()
    for old in session.scalars(select(DeviceSlot).where(DeviceSlot.template_id == row.id)):
        session.delete(old)
    session.flush()
    for slot in values.slots:
        session.add(DeviceSlot(template_id=row.id, component_id=refs.components[slot.component], number=slot.number))
    session.flush()
    session.expire(row)
    return row


def template_in_use(session: Session, template_id: int) -> bool:
    return session.scalar(select(Device.id).where(Device.template_id == template_id).limit(1)) is not None


# -- sensor graphs ------------------------------------------------------------------------------

_GRAPH_ORDER = (SensorGraph.name, SensorGraph.major_version, SensorGraph.minor_version, SensorGraph.patch_version)


def _with_variables() -> Any:
    return selectinload(SensorGraph.variable_templates)


def graph_page(session: Session, *, active_only: bool, org_slug: str | None, slug: str | None, offset: int,
               limit: int) -> tuple[int, list[SensorGraph]]:
    stmt = _by_org(select(SensorGraph).options(_with_variables()), SensorGraph, org_slug)
    if active_only:
        stmt = stmt.where(SensorGraph.active.is_(True))
    if slug is not None:
        stmt = stmt.where(SensorGraph.slug == slug)
    return _page(session, stmt, _GRAPH_ORDER, offset, limit)


def all_graphs(session: Session) -> Sequence[SensorGraph]:
    return session.scalars(select(SensorGraph).options(_with_variables()).order_by(SensorGraph.slug)).all()


def graph(session: Session, slug: str) -> SensorGraph | None:
    return session.scalar(select(SensorGraph).options(_with_variables()).where(SensorGraph.slug == slug))


def graph_by_id(session: Session, graph_id: int) -> SensorGraph | None:
    return session.scalar(select(SensorGraph).options(_with_variables()).where(SensorGraph.id == graph_id))


def save_graph(session: Session, values: GraphValues, row: SensorGraph | None, refs: Refs, *,
               created_by_id: int | None, now: datetime) -> SensorGraph:
    """Create or update a sensor graph; its variable templates are replaced by the given ones."""
    if row is None:
        row = SensorGraph(slug=values.slug, created_on=now, created_by_id=created_by_id)
        session.add(row)
    row.slug = values.slug
    for name, value in values.columns.items():
        setattr(row, name, value)
    row.org_id = refs.orgs[values.org] if values.org else None
    row.project_template_id = refs.project_templates[values.project_template] if values.project_template else None
    session.flush()
    stmt = select(VariableTemplate).where(VariableTemplate.sg_id == row.id)
    current = {old.lid: old for old in session.scalars(stmt)}
    for variable in values.variables:  # matched by lid, so vartemplate/<id>/ stays the same row
        save_variable(session, row.id, variable, current.pop(variable.lid, None), refs,
                      created_by_id=created_by_id, now=now)
    for stale in current.values():
        session.delete(stale)
    session.flush()
    session.expire(row)
    return row


def graph_in_use(session: Session, graph_id: int) -> bool:
    return any(session.scalar(select(model.id).where(model.sg_id == graph_id).limit(1)) is not None
               for model in (Device, DataBlock))


# -- variable templates -------------------------------------------------------------------------

def variable(session: Session, variable_id: int) -> VariableTemplate | None:
    return session.get(VariableTemplate, variable_id)


def variable_at(session: Session, sg_id: int, lid: int) -> VariableTemplate | None:
    return session.scalar(select(VariableTemplate).where(VariableTemplate.sg_id == sg_id, VariableTemplate.lid == lid))


def save_variable(session: Session, sg_id: int, values: VariableValues, row: VariableTemplate | None, refs: Refs, *,
                  created_by_id: int | None, now: datetime) -> VariableTemplate:
    if row is None:
        row = VariableTemplate(created_on=now, created_by_id=created_by_id)
        session.add(row)
    row.sg_id, row.lid = sg_id, values.lid
    for name, value in values.columns.items():
        setattr(row, name, value)
    row.var_type_id = refs.var_types[values.var_type]
    row.default_input_unit_id = refs.inputs[values.input_unit][0] if values.input_unit else None
    row.default_output_unit_id = refs.outputs[values.output_unit][0] if values.output_unit else None
    session.flush()
    return row


def set_slot(session: Session, template_id: int, number: int, component_id: int) -> bool:
    """Slot ``number`` of a template now holds the component; True when the slot did not exist."""
    slot = session.scalar(select(DeviceSlot).where(DeviceSlot.template_id == template_id, DeviceSlot.number == number))
    created = slot is None
    if slot is None:
        slot = DeviceSlot(template_id=template_id, number=number, component_id=component_id)
        session.add(slot)
    slot.component_id = component_id
    session.flush()
    return created
