"""What the data API asks of the metadata: who owns a stream, device, block, variable or project,
and the unit settings a stream's readings are shown with.

Readings carry no foreign keys (a stream without a StreamId still has data), so ownership is
found the way iotile.cloud finds it: the StreamId when there is one, else the device (or data
block), else the project of the stream's slug.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from storage.metadata.models import (
    DataBlock,
    Device,
    Project,
    StreamId,
    StreamVariable,
    VarTypeInputUnit,
    VarTypeOutputUnit,
)
from storage.metadata.repos.ingest import StreamSettings, stream_settings

SERIAL_BITS = 48
SERIAL_MASK = (1 << SERIAL_BITS) - 1

Mdo = tuple[int, int, float]
StreamKey = tuple[int, int, int]


@dataclass(frozen=True)
class StreamDisplay:
    """The numbers iotile.cloud's StreamDataDisplayHelper reads off a StreamId and its variable."""

    org_id: int
    mdo_type: str
    stream_mdo: tuple[int | None, int | None, float | None]
    variable_mdo: Mdo | None
    input_mdo: Mdo | None
    output_mdo: Mdo | None
    decimal_places: int | None


def project_org(session: Session, gid: int) -> int | None:
    return session.scalar(select(Project.org_id).where(Project.id == gid))


def device_org(session: Session, device_id: int) -> int | None:
    """None for an unknown device and for an unclaimed one (nobody may read or write its data)."""
    return session.scalar(select(Device.org_id).where(Device.id == device_id))


def block_org(session: Session, block: int, serial: int) -> int | None:
    return session.scalar(select(DataBlock.org_id).where(DataBlock.device_id == serial, DataBlock.block == block))


def variable_org(session: Session, project_gid: int, lid: int) -> int | None:
    stmt = (select(Project.org_id).join(StreamVariable, StreamVariable.project_id == Project.id)
            .where(Project.id == project_gid, StreamVariable.lid == lid))
    return session.scalar(stmt)


def stream_org(session: Session, project_gid: int, device_gid: int, lid: int) -> int | None:
    """The StreamId's org; for data without one, its device's (or block's), else its project's."""
    owner = session.scalar(select(StreamId.org_id).where(
        StreamId.project_gid == project_gid, StreamId.device_gid == device_gid, StreamId.var_lid == lid))
    if owner is not None:
        return owner
    if device_gid >> SERIAL_BITS:
        return block_org(session, device_gid >> SERIAL_BITS, device_gid & SERIAL_MASK)
    if device_gid:
        return device_org(session, device_gid)
    return project_org(session, project_gid)


def _mdo(unit: VarTypeInputUnit | VarTypeOutputUnit | None) -> Mdo | None:
    return None if unit is None else (unit.m, unit.d, unit.o)


def stream_display(session: Session, project_gid: int, device_gid: int, lid: int) -> StreamDisplay | None:
    """A StreamId's display settings; None when the stream has no StreamId."""
    in_unit, out_unit = aliased(VarTypeInputUnit), aliased(VarTypeOutputUnit)
    stmt = (select(StreamId, StreamVariable, in_unit, out_unit)
            .outerjoin(StreamVariable, StreamVariable.id == StreamId.variable_id)
            .outerjoin(in_unit, in_unit.id == StreamId.input_unit_id)
            .outerjoin(out_unit, out_unit.id == StreamId.output_unit_id)
            .where(StreamId.project_gid == project_gid, StreamId.device_gid == device_gid,
                   StreamId.var_lid == lid))
    row = session.execute(stmt).first()
    if row is None:
        return None
    stream, variable, input_unit, output_unit = row
    variable_mdo = None if variable is None else (
        variable.multiplication_factor, variable.division_factor, variable.offset)
    return StreamDisplay(stream.org_id, stream.mdo_type,
                         (stream.multiplication_factor, stream.division_factor, stream.offset),
                         variable_mdo, _mdo(input_unit), _mdo(output_unit),
                         None if variable is None else variable.decimal_places)


def output_units(session: Session, keys: Iterable[StreamKey]) -> dict[StreamKey, Mdo]:
    """The output unit of each stream that has one: its own, else its variable's (the server's
    get_stream_output_mdo, which ``df/?apply_mdo=1`` uses)."""
    wanted = set(keys)
    if not wanted:
        return {}
    own, inherited = aliased(VarTypeOutputUnit), aliased(VarTypeOutputUnit)
    stmt = (select(StreamId.project_gid, StreamId.device_gid, StreamId.var_lid, own, inherited)
            .outerjoin(StreamVariable, StreamVariable.id == StreamId.variable_id)
            .outerjoin(own, own.id == StreamId.output_unit_id)
            .outerjoin(inherited, inherited.id == StreamVariable.output_unit_id)
            .where(StreamId.device_gid.in_({key[1] for key in wanted}),
                   StreamId.var_lid.in_({key[2] for key in wanted})))
    found: dict[StreamKey, Mdo] = {}
    for project_gid, device_gid, lid, unit, variable_unit in session.execute(stmt):
        mdo = _mdo(unit) or _mdo(variable_unit)
        key = (int(project_gid), int(device_gid), int(lid))
        if mdo is not None and key in wanted:
            found[key] = mdo
    return found


@dataclass(frozen=True)
class PostTargets:
    """What a post touches: each project's and device's org (None: unknown or unclaimed) and the
    StreamId settings of each stream that has one."""

    projects: dict[int, int | None]
    devices: dict[int, int | None]
    streams: dict[StreamKey, StreamSettings]
    busy: frozenset[int] = frozenset()  # devices being archived, reset or moved (state B*)


def post_targets(session: Session, keys: Iterable[StreamKey]) -> PostTargets:
    wanted = set(keys)
    projects = {p: project_org(session, p) for p in {key[0] for key in wanted}}
    devices = {d: device_org(session, d) for d in {key[1] for key in wanted} if d}
    streams: dict[StreamKey, StreamSettings] = {}
    for project_gid, device_gid in {(key[0], key[1]) for key in wanted}:
        for settings in stream_settings(session, project_gid, device_gid):
            streams[(project_gid, device_gid, settings.lid)] = settings
    busy = frozenset(session.scalars(select(Device.id).where(Device.id.in_(devices), Device.state.startswith("B"))))
    return PostTargets(projects, devices, streams, busy)
