"""Queries for device maintenance: what a reset, trim or move touches in the metadata database.

Slugs arrive already formatted (the appliance's slugs module) because notes and properties target
slug strings; this module only compares and rewrites them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from storage.metadata.models import (
    DeviceLocation,
    GenericProperty,
    StreamId,
    StreamNote,
    StreamVariable,
)


def live_streams(session: Session, device_id: int) -> list[tuple[int, int]]:
    """(project gid, lid) of every live (not archived) stream of a device, in any project."""
    stmt = select(StreamId.project_gid, StreamId.var_lid).where(StreamId.device_id == device_id,
                                                                StreamId.block_id.is_(None))
    return [(int(project), int(lid)) for project, lid in session.execute(stmt).all()]


def trimmable_lids(session: Session, device_id: int, project_id: int, excluded: Collection[int]) -> list[int]:
    """The device's streams in its project that a trim may cut: not a kept system lid and not of
    an app-only variable (iotile.cloud's get_streams_to_trim)."""
    stmt = (select(StreamId.var_lid)
            .outerjoin(StreamVariable, StreamId.variable_id == StreamVariable.id)
            .where(StreamId.device_id == device_id, StreamId.block_id.is_(None), StreamId.project_id == project_id,
                   StreamId.var_lid.not_in(list(excluded)),
                   StreamVariable.app_only.is_not(True)))
    return sorted(int(lid) for lid in session.scalars(stmt))


def delete_user_properties(session: Session, target: str) -> int:
    """The target's properties except the system ones (a reset keeps those)."""
    result = session.execute(delete(GenericProperty).where(GenericProperty.target == target,
                                                           GenericProperty.is_system.is_(False)))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_user_notes(session: Session, targets: Sequence[str]) -> list[str]:
    """Users' notes ('ui') on these targets; returns the blob keys of their attachments."""
    chosen = select(StreamNote.attachment).where(StreamNote.target_slug.in_(targets), StreamNote.type == "ui")
    attachments = [key for key in session.scalars(chosen) if key]
    session.execute(delete(StreamNote).where(StreamNote.target_slug.in_(targets), StreamNote.type == "ui"))
    return attachments


def delete_locations(session: Session, target: str) -> int:
    result = session.execute(delete(DeviceLocation).where(DeviceLocation.target_slug == target))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def movable_streams(session: Session, device_id: int, project_id: int) -> list[StreamId]:
    """The device's live streams in ``project_id`` (what a move with its data takes along)."""
    return list(session.scalars(select(StreamId).where(
        StreamId.device_id == device_id, StreamId.block_id.is_(None), StreamId.project_id == project_id)
        .order_by(StreamId.var_lid)))


def move_stream(session: Session, stream: StreamId, dst: int, variable_id: int | None) -> bool:
    """Re-key one stream into project ``dst`` unless that project already has the stream (then the
    old row stays, as on iotile.cloud)."""
    taken = session.scalar(select(StreamId.id).where(StreamId.project_gid == dst,
                                                     StreamId.device_gid == stream.device_gid,
                                                     StreamId.var_lid == stream.var_lid))
    if taken is not None:
        return False
    stream.project_gid = stream.project_id = dst
    stream.variable_id = variable_id
    return True


def retarget_notes(session: Session, renames: Mapping[str, str]) -> int:
    """Every note on an old stream slug follows the stream to its new slug."""
    moved = 0
    for old, new in renames.items():
        result = session.execute(update(StreamNote).where(StreamNote.target_slug == old).values(target_slug=new))
        moved += int(result.rowcount or 0)  # type: ignore[attr-defined]
    return moved
