"""Queries for the catalogue's var types and their units, and the slug lookups every catalogue write needs.

Writes take plain ``...Values`` dataclasses (already validated by the appliance) whose references are
slugs; ``Refs`` maps those slugs to row ids, built once per transaction after validation, so a save
never has to decide what a missing reference means.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from storage.metadata.models import (
    DeviceTemplate,
    Org,
    ProjectTemplate,
    SensorGraph,
    StreamId,
    StreamVariable,
    VariableTemplate,
    VarType,
    VarTypeDecoder,
    VarTypeInputUnit,
    VarTypeOutputUnit,
    VarTypeSchema,
)


@dataclass(frozen=True)
class UnitValues:
    slug: str
    columns: Mapping[str, Any]


@dataclass(frozen=True)
class VarTypeValues:
    slug: str
    columns: Mapping[str, Any]
    inputs: tuple[UnitValues, ...] = ()
    outputs: tuple[UnitValues, ...] = ()
    decoder: Mapping[str, Any] | None = None
    schema: Mapping[str, Any] | None = None


@dataclass
class Refs:
    """slug -> id of everything a template or sensor graph may point at."""

    var_types: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, tuple[int, int]] = field(default_factory=dict)  # unit slug -> (id, var_type_id)
    outputs: dict[str, tuple[int, int]] = field(default_factory=dict)
    components: dict[str, int] = field(default_factory=dict)
    orgs: dict[str, int] = field(default_factory=dict)
    project_templates: dict[str, int] = field(default_factory=dict)


def _with_parts() -> Any:
    return (selectinload(VarType.input_units), selectinload(VarType.output_units),
            selectinload(VarType.decoder), selectinload(VarType.schema))


def is_empty(session: Session) -> bool:
    return not any(session.scalar(select(model.id).limit(1)) is not None
                   for model in (VarType, DeviceTemplate, SensorGraph))


def var_type_page(session: Session, *, search: str | None, offset: int, limit: int) -> tuple[int, Sequence[VarType]]:
    stmt = select(VarType)
    if search:
        stmt = stmt.where(VarType.name.icontains(search, autoescape=True))
    count = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    rows = session.scalars(stmt.options(*_with_parts()).order_by(VarType.slug).offset(offset).limit(limit)).all()
    return count, rows


def all_var_types(session: Session) -> Sequence[VarType]:
    return session.scalars(select(VarType).options(*_with_parts()).order_by(VarType.slug)).all()


def var_type(session: Session, slug: str) -> VarType | None:
    return session.scalar(select(VarType).options(*_with_parts()).where(VarType.slug == slug))


def existing_slugs(session: Session, model: Any, slugs: Iterable[str]) -> set[str]:
    wanted = set(slugs)
    if not wanted:
        return set()
    return set(session.scalars(select(model.slug).where(model.slug.in_(wanted))))


def save_var_type(session: Session, values: VarTypeValues, row: VarType | None, *, created_by_id: int | None,
                  now: datetime, prune_units: bool) -> VarType:
    """Create or update one var type; units are matched by slug so references to them survive."""
    if row is None:
        row = VarType(slug=values.slug, created_on=now, created_by_id=created_by_id)
        session.add(row)
    row.slug = values.slug
    for name, value in values.columns.items():
        setattr(row, name, value)
    row.is_encoded = values.decoder is not None
    session.flush()
    _sync_units(session, row, VarTypeInputUnit, values.inputs, now, created_by_id, prune_units)
    _sync_units(session, row, VarTypeOutputUnit, values.outputs, now, created_by_id, prune_units)
    _sync_decoder(session, row, values.decoder, now, created_by_id)
    _sync_schema(session, row, values.schema, now, created_by_id)
    session.flush()
    session.expire(row)  # the unit collections changed behind the relationship's back
    return row


def _sync_units(session: Session, row: VarType, model: Any,
                units: Sequence[UnitValues], now: datetime, created_by_id: int | None, prune: bool) -> None:
    current = {unit.slug: unit for unit in session.scalars(select(model).where(model.var_type_id == row.id))}
    for unit in units:
        target = current.pop(unit.slug, None)
        if target is None:
            target = model(var_type_id=row.id, slug=unit.slug, created_on=now, created_by_id=created_by_id)
            session.add(target)
        for name, value in unit.columns.items():
            setattr(target, name, value)
    if prune:
        for stale in current.values():
            session.delete(stale)
    session.flush()


def _sync_decoder(session: Session, row: VarType, values: Mapping[str, Any] | None, now: datetime,
                  created_by_id: int | None) -> None:
    current = session.scalar(select(VarTypeDecoder).where(VarTypeDecoder.var_type_id == row.id))
    if values is None:
        if current is not None:
            session.delete(current)
        return
    if current is None:
        current = VarTypeDecoder(var_type_id=row.id, created_on=now, created_by_id=created_by_id)
        session.add(current)
    current.raw_packet_format = values["raw_packet_format"]
    current.packet_info = dict(values["packet_info"])


def _sync_schema(session: Session, row: VarType, values: Mapping[str, Any] | None, now: datetime,
                 created_by_id: int | None) -> None:
    current = session.scalar(select(VarTypeSchema).where(VarTypeSchema.var_type_id == row.id))
    if values is None:
        if current is not None:
            session.delete(current)
        return
    if current is None:
        current = VarTypeSchema(var_type_id=row.id, created_on=now, created_by_id=created_by_id)
        session.add(current)
    current.keys = dict(values["keys"])
    current.display_order = list(values["display_order"])


def var_type_in_use(session: Session, var_type_id: int) -> bool:
    """Streams, variables and variable templates point at a var type by id."""
    return any(session.scalar(select(model.id).where(model.var_type_id == var_type_id).limit(1)) is not None
               for model in (StreamVariable, StreamId, VariableTemplate))


def units_in_use(session: Session, input_ids: Iterable[int], output_ids: Iterable[int]) -> bool:
    inputs, outputs = list(input_ids), list(output_ids)
    for model in (StreamVariable, StreamId):
        stmt = select(model.id).where(or_(model.input_unit_id.in_(inputs), model.output_unit_id.in_(outputs)))
        if session.scalar(stmt.limit(1)) is not None:
            return True
    stmt = select(VariableTemplate.id).where(or_(VariableTemplate.default_input_unit_id.in_(inputs),
                                                 VariableTemplate.default_output_unit_id.in_(outputs)))
    return session.scalar(stmt.limit(1)) is not None


def delete(session: Session, row: Any) -> None:
    session.delete(row)
    session.flush()


def var_type_refs(session: Session, refs: Refs, var_type_slugs: Iterable[str], unit_slugs: Iterable[str]) -> None:
    """Fill ``refs`` with the var types and units (input and output) among the given slugs."""
    slugs, units = set(var_type_slugs), set(unit_slugs)
    found = select(VarType.slug, VarType.id).where(VarType.slug.in_(slugs))
    refs.var_types.update({slug: row_id for slug, row_id in session.execute(found)})
    for model, target in ((VarTypeInputUnit, refs.inputs), (VarTypeOutputUnit, refs.outputs)):
        stmt = select(model.slug, model.id, model.var_type_id).where(model.slug.in_(units))
        target.update({slug: (unit_id, vt_id) for slug, unit_id, vt_id in session.execute(stmt)})


def owner_refs(session: Session, refs: Refs, org_slugs: Iterable[str], template_slugs: Iterable[str]) -> None:
    orgs = select(Org.slug, Org.id).where(Org.slug.in_(set(org_slugs)))
    refs.orgs.update({slug: row_id for slug, row_id in session.execute(orgs)})
    stmt = select(ProjectTemplate.slug, ProjectTemplate.id).where(ProjectTemplate.slug.in_(set(template_slugs)))
    refs.project_templates.update({slug: row_id for slug, row_id in session.execute(stmt)})


def org_slugs(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row_id: slug for row_id, slug in session.execute(select(Org.id, Org.slug).where(Org.id.in_(wanted)))}


def project_template_slugs(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    stmt = select(ProjectTemplate.id, ProjectTemplate.slug).where(ProjectTemplate.id.in_(wanted))
    return {row_id: slug for row_id, slug in session.execute(stmt)}


def var_type_names(session: Session, var_type_ids: Iterable[int | None], input_ids: Iterable[int | None],
                   output_ids: Iterable[int | None]) -> tuple[dict[int, str], dict[int, str], dict[int, str]]:
    """id -> slug of var types, input units and output units (for showing variable templates)."""
    result: list[dict[int, str]] = []
    models: tuple[tuple[Any, Iterable[int | None]], ...] = (
        (VarType, var_type_ids), (VarTypeInputUnit, input_ids), (VarTypeOutputUnit, output_ids))
    for model, ids in models:
        wanted = {i for i in ids if i is not None}
        found: dict[int, str] = {}
        if wanted:
            stmt = select(model.id, model.slug).where(model.id.in_(wanted))
            found.update({row_id: slug for row_id, slug in session.execute(stmt)})
        result.append(found)
    return result[0], result[1], result[2]
