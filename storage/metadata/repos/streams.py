"""Queries for stream variables (v--) and stream ids (s--), and creating them from templates.

A stream row is found by the three integers of its slug (project gid, device gid with the block in
its top bits, lid), which the ``stream`` table keeps unique together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Select, delete, func, select
from sqlalchemy.orm import Session, aliased

from storage.metadata.models import (
    DataBlock,
    Device,
    Org,
    Project,
    StreamId,
    StreamNote,
    StreamVariable,
    VariableTemplate,
    VarType,
    VarTypeInputUnit,
    VarTypeOutputUnit,
)

CTYPE_TO_RAW_FORMAT = {"int": "<l", "unsigned int": "<L", "auto": "auto"}

_In = aliased(VarTypeInputUnit)
_Out = aliased(VarTypeOutputUnit)
VariableRow = Row[StreamVariable, str, int, str, str | None, VarTypeInputUnit | None, VarTypeOutputUnit | None]
StreamRow = Row[StreamId, str, str | None, StreamVariable | None, DataBlock | None, VarTypeInputUnit | None,
                VarTypeOutputUnit | None, str | None]


@dataclass(frozen=True)
class StreamFilter:
    """The list filters of /stream/; ``org_ids`` None means every org (staff)."""

    org_ids: frozenset[int] | None
    org_id: int | None = None
    project_id: int | None = None
    device_gid: int | None = None
    block_id: int | None = None
    variable_id: int | None = None
    enabled: bool | None = None
    virtual: bool = False
    archived: bool = False
    include_all: bool = False


def _variables() -> Any:
    return (
        select(StreamVariable, Project.uuid, Org.id, Org.slug, VarType.slug, _In, _Out)
        .join(Project, StreamVariable.project_id == Project.id)
        .join(Org, Project.org_id == Org.id)
        .outerjoin(VarType, StreamVariable.var_type_id == VarType.id)
        .outerjoin(_In, StreamVariable.input_unit_id == _In.id)
        .outerjoin(_Out, StreamVariable.output_unit_id == _Out.id)
    )


def variable_page(session: Session, *, org_ids: frozenset[int] | None, org_id: int | None,
                  project_id: int | None, name: str | None, offset: int,
                  limit: int) -> tuple[int, Sequence[VariableRow]]:
    stmt = _variables()
    if org_ids is not None:
        stmt = stmt.where(Project.org_id.in_(org_ids))
    if org_id is not None:
        stmt = stmt.where(Project.org_id == org_id)
    if project_id is not None:
        stmt = stmt.where(StreamVariable.project_id == project_id)
    if name:
        stmt = stmt.where(StreamVariable.name.contains(name))
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    order = (StreamVariable.project_id, StreamVariable.lid)
    return int(count), session.execute(stmt.order_by(*order).offset(offset).limit(limit)).all()


def variable_by_key(session: Session, project_id: int, lid: int) -> VariableRow | None:
    stmt = _variables().where(StreamVariable.project_id == project_id, StreamVariable.lid == lid)
    return session.execute(stmt).first()


def variable_row(session: Session, project_id: int, lid: int) -> StreamVariable | None:
    return session.scalar(select(StreamVariable).where(StreamVariable.project_id == project_id,
                                                       StreamVariable.lid == lid))


def new_variable(session: Session, **values: Any) -> StreamVariable:
    variable = StreamVariable(name="", **values)
    session.add(variable)
    return variable


def variable_obj(session: Session, variable_id: int) -> StreamVariable:
    variable = session.get(StreamVariable, variable_id)
    if variable is None:
        raise LookupError(f"variable {variable_id} vanished inside its own transaction")
    return variable


def stream_obj(session: Session, stream_id: int) -> StreamId:
    stream = session.get(StreamId, stream_id)
    if stream is None:
        raise LookupError(f"stream {stream_id} vanished inside its own transaction")
    return stream


def ensure_variable(session: Session, project_id: int, var_t: VariableTemplate, created_by_id: int | None,
                    now: datetime) -> StreamVariable:
    """The project's variable for a template's lid, created from the template when missing."""
    found = variable_row(session, project_id, var_t.lid)
    if found is not None:
        return found
    variable = StreamVariable(
        project_id=project_id, lid=var_t.lid, name=var_t.label, multiplication_factor=var_t.m,
        division_factor=var_t.d, offset=var_t.o, decimal_places=2, var_type_id=var_t.var_type_id,
        raw_value_format=CTYPE_TO_RAW_FORMAT.get(var_t.ctype, "<L"), input_unit_id=var_t.default_input_unit_id,
        output_unit_id=var_t.default_output_unit_id, app_only=var_t.app_only, web_only=var_t.web_only,
        created_by_id=created_by_id, created_on=now)
    session.add(variable)
    session.flush()
    return variable


def ensure_stream(session: Session, *, org_id: int, project_id: int, device_id: int | None,
                  variable: StreamVariable, created_by_id: int | None, now: datetime,
                  data_label: str = "", data_type: str | None = None) -> tuple[StreamId, bool]:
    """create_stream(): a device's (or, without device, the project's virtual) stream of a variable."""
    key = (project_id, device_id or 0, variable.lid)
    found = stream_by_key(session, *key)
    if found is not None:
        return found, False
    var_type = session.get(VarType, variable.var_type_id) if variable.var_type_id else None
    stream = StreamId(
        project_gid=project_id, device_gid=device_id or 0, var_lid=variable.lid, org_id=org_id,
        project_id=project_id, device_id=device_id, variable_id=variable.id, var_type_id=variable.var_type_id,
        input_unit_id=variable.input_unit_id, output_unit_id=variable.output_unit_id,
        data_type=data_type or (var_type.stream_data_type if var_type else "D0"), data_label=data_label,
        multiplication_factor=variable.multiplication_factor, division_factor=variable.division_factor,
        offset=variable.offset, mdo_type="S", raw_value_format=variable.raw_value_format,
        is_encoded=bool(var_type and var_type.is_encoded), enabled=True, created_by_id=created_by_id,
        created_on=now)
    session.add(stream)
    session.flush()
    return stream, True


def _streams() -> Any:
    return (
        select(StreamId, Org.slug, Project.uuid, StreamVariable, DataBlock, _In, _Out, VarType.slug)
        .join(Org, StreamId.org_id == Org.id)
        .outerjoin(Project, StreamId.project_id == Project.id)
        .outerjoin(StreamVariable, StreamId.variable_id == StreamVariable.id)
        .outerjoin(DataBlock, StreamId.block_id == DataBlock.id)
        .outerjoin(_In, StreamId.input_unit_id == _In.id)
        .outerjoin(_Out, StreamId.output_unit_id == _Out.id)
        .outerjoin(VarType, StreamId.var_type_id == VarType.id)
    )


def _filtered(stmt: Select[Any], f: StreamFilter) -> Select[Any]:
    wheres: list[Any] = []
    if f.org_ids is not None:
        wheres.append(StreamId.org_id.in_(f.org_ids))
    for column, value in ((StreamId.org_id, f.org_id), (StreamId.project_id, f.project_id),
                          (StreamId.block_id, f.block_id), (StreamId.variable_id, f.variable_id),
                          (StreamId.enabled, f.enabled)):
        if value is not None:
            wheres.append(column == value)
    if f.org_id is not None or f.project_id is not None or f.variable_id is not None:
        wheres.append(StreamId.block_id.is_(None))
    if f.device_gid is not None:
        wheres.append(StreamId.device_gid == f.device_gid)
    elif f.virtual:
        wheres += [StreamId.device_id.is_(None), StreamId.block_id.is_(None)]
    elif f.archived or f.block_id is not None:
        wheres.append(StreamId.block_id.is_not(None))
    elif not f.include_all:
        stmt = stmt.join(Device, StreamId.device_id == Device.id)
        wheres += [Device.active.is_(True), StreamId.block_id.is_(None)]
    return stmt.where(*wheres)


def stream_page(session: Session, f: StreamFilter, offset: int, limit: int) -> tuple[int, Sequence[StreamRow]]:
    stmt = _filtered(_streams(), f)
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    order = (StreamId.project_gid, StreamId.device_gid, StreamId.var_lid)
    return int(count), session.execute(stmt.order_by(*order).offset(offset).limit(limit)).all()


def stream_by_key(session: Session, project_gid: int, device_gid: int, lid: int) -> StreamId | None:
    return session.scalar(select(StreamId).where(StreamId.project_gid == project_gid,
                                                 StreamId.device_gid == device_gid, StreamId.var_lid == lid))


def stream_row(session: Session, project_gid: int, device_gid: int, lid: int) -> StreamRow | None:
    stmt = _streams().where(StreamId.project_gid == project_gid, StreamId.device_gid == device_gid,
                            StreamId.var_lid == lid)
    return session.execute(stmt).first()


def var_type_by_slug(session: Session, slug: str) -> VarType | None:
    return session.scalar(select(VarType).where(VarType.slug == slug))


def input_unit_by_slug(session: Session, slug: str) -> VarTypeInputUnit | None:
    return session.scalar(select(VarTypeInputUnit).where(VarTypeInputUnit.slug == slug))


def output_unit_by_slug(session: Session, slug: str) -> VarTypeOutputUnit | None:
    return session.scalar(select(VarTypeOutputUnit).where(VarTypeOutputUnit.slug == slug))


def block_id_by_number(session: Session, block: int, device_id: int) -> int | None:
    return session.scalar(select(DataBlock.id).where(DataBlock.block == block, DataBlock.device_id == device_id))


def device_streams(session: Session, device_id: int) -> Sequence[StreamId]:
    """The live (not archived) streams of a device, in any project."""
    return session.scalars(select(StreamId).where(StreamId.device_id == device_id,
                                                  StreamId.block_id.is_(None))).all()


def delete_streams(session: Session, stream_ids: Sequence[int], note_targets: Sequence[str]) -> None:
    """Streams and the users' notes on them (unclaim with clean_streams)."""
    if note_targets:
        session.execute(delete(StreamNote).where(StreamNote.target_slug.in_(note_targets), StreamNote.type == "ui"))
    if stream_ids:
        session.execute(delete(StreamId).where(StreamId.id.in_(stream_ids)))


def delete_variable(session: Session, variable_id: int) -> None:
    """Streams keep existing (variable_id becomes NULL), as on the server."""
    session.execute(delete(StreamVariable).where(StreamVariable.id == variable_id))


def delete_stream(session: Session, stream_id: int) -> None:
    session.execute(delete(StreamId).where(StreamId.id == stream_id))

