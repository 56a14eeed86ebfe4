"""Queries for data blocks (archives): listing, numbering, and the metadata an archive moves.

Slugs are the appliance's to format; the archive and delete functions get them as text (the
device's and block's slugs, and the ``s--<project>--<device>--`` prefixes of their streams), so
this module never imports the appliance. Every function runs inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, String, cast, delete, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from storage.metadata.models import (
    Account,
    ConfigAttribute,
    DataBlock,
    Device,
    DeviceLocation,
    GenericProperty,
    Org,
    SensorGraph,
    StreamId,
    StreamNote,
)

BLOCK_COLUMNS = (DataBlock, Org.slug, SensorGraph.slug, Account.slug)
BlockRow = Row[DataBlock, str, str | None, str | None]
SERIAL_BITS = 48


@dataclass(frozen=True)
class BlockFilter:
    """``org_ids`` None: every org (staff with ?staff=1); ``q``: words in title, description or slug."""

    org_ids: frozenset[int] | None
    org_id: int | None = None
    device_id: int | None = None
    q: str | None = None


def _rows() -> Any:
    return (select(*BLOCK_COLUMNS)
            .join(Org, DataBlock.org_id == Org.id)
            .outerjoin(SensorGraph, DataBlock.sg_id == SensorGraph.id)
            .outerjoin(Account, DataBlock.created_by_id == Account.id))


def _slug_text() -> Any:
    """The b-- slug in SQL (``b--BBBB-DDDD-DDDD-DDDD``), so ``?q=`` can match it without a column."""
    def group(value: Any, shift: int) -> Any:
        return func.printf("%04x", (value // (1 << shift)) % 65536)

    device = DataBlock.device_id
    return ("b--" + group(DataBlock.block, 0) + "-" + group(device, 32) + "-" + group(device, 16) + "-"
            + group(device, 0))


def page(session: Session, f: BlockFilter, offset: int, limit: int) -> tuple[int, Sequence[BlockRow]]:
    stmt = _rows()
    if f.org_ids is not None:
        stmt = stmt.where(DataBlock.org_id.in_(f.org_ids))
    if f.org_id is not None:
        stmt = stmt.where(DataBlock.org_id == f.org_id)
    if f.device_id is not None:
        stmt = stmt.where(DataBlock.device_id == f.device_id)
    for word in (f.q or "").split():
        pattern = f"%{word.lower()}%"
        stmt = stmt.where(or_(func.lower(DataBlock.title).like(pattern),
                              func.lower(DataBlock.description).like(pattern), _slug_text().like(pattern)))
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.order_by(DataBlock.device_id, DataBlock.block).offset(offset).limit(limit)).all()
    return int(count), rows


def row_by_key(session: Session, device_id: int, block: int) -> BlockRow | None:
    stmt = _rows().where(DataBlock.device_id == device_id, DataBlock.block == block)
    return session.execute(stmt).first()


def block_obj(session: Session, block_id: int) -> DataBlock | None:
    return session.get(DataBlock, block_id)


def org_id_by_slug(session: Session, slug: str) -> int | None:
    return session.scalar(select(Org.id).where(Org.slug == slug))


def next_block(session: Session, device_id: int) -> int:
    """The device's last block number plus one (get_block_id), 1 for its first archive."""
    last = session.scalar(select(func.max(DataBlock.block)).where(DataBlock.device_id == device_id))
    return int(last or 0) + 1


def add_block(session: Session, **values: Any) -> DataBlock:
    block = DataBlock(**values)
    session.add(block)
    session.flush()
    return block


def clone_streams(session: Session, block: DataBlock, project_gid: int) -> int:
    """clone_into_block(): each live StreamId of the device in ``project_gid`` gets an archived twin
    keyed ``(0, block << 48 | device, lid)``; twins already there (a re-run) are kept."""
    archived = (block.block << SERIAL_BITS) | block.device_id
    have = set(session.scalars(select(StreamId.var_lid).where(StreamId.project_gid == 0,
                                                              StreamId.device_gid == archived)))
    sources = session.scalars(select(StreamId).where(
        StreamId.project_gid == project_gid, StreamId.device_gid == block.device_id, StreamId.block_id.is_(None)))
    rows = [_twin(source, block, archived) for source in sources if source.var_lid not in have]
    if rows:
        session.execute(insert(StreamId), rows)
    return len(rows)


def _twin(src: StreamId, block: DataBlock, archived: int) -> dict[str, Any]:
    copied = ("var_lid", "org_id", "device_id", "variable_id", "var_type_id", "input_unit_id", "output_unit_id",
              "data_type", "data_label", "multiplication_factor", "division_factor", "offset", "mdo_type",
              "raw_value_format", "is_encoded", "enabled", "created_by_id")
    return {**{name: getattr(src, name) for name in copied}, "project_gid": 0, "device_gid": archived,
            "project_id": None, "block_id": block.id, "created_on": block.created_on}


def move_annotations(session: Session, *, device_slug: str, block_slug: str, old_streams: str,
                     new_streams: str) -> dict[str, int]:
    """What the archive takes from the device: its user properties (system ones are copied), its
    user notes, every note on its streams (``old_streams`` is their slug prefix) and its locations."""
    system = select(GenericProperty.name, GenericProperty.type, GenericProperty.str_value,
                    GenericProperty.created_by_id).where(GenericProperty.target == device_slug,
                                                         GenericProperty.is_system.is_(True))
    present = set(session.scalars(select(GenericProperty.name).where(GenericProperty.target == block_slug)))
    copies = [{"target": block_slug, "name": n, "type": t, "str_value": v, "is_system": True, "created_by_id": c}
              for n, t, v, c in session.execute(system) if n not in present]
    if copies:
        session.execute(insert(GenericProperty), copies)
    moved = {"system_properties": len(copies)}
    moved["properties"] = _moved(session, update(GenericProperty).where(
        GenericProperty.target == device_slug, GenericProperty.is_system.is_(False)).values(target=block_slug))
    moved["notes"] = _moved(session, update(StreamNote).where(
        StreamNote.target_slug == device_slug, StreamNote.type == "ui").values(target_slug=block_slug))
    tail = func.substr(StreamNote.target_slug, len(old_streams) + 1)
    moved["stream_notes"] = _moved(session, update(StreamNote).where(
        StreamNote.target_slug.startswith(old_streams, autoescape=True))
        .values(target_slug=cast(literal(new_streams), String) + tail))
    moved["locations"] = _moved(session, update(DeviceLocation).where(
        DeviceLocation.target_slug == device_slug).values(target_slug=block_slug))
    return moved


def _moved(session: Session, stmt: Any) -> int:
    return int(getattr(session.execute(stmt.execution_options(synchronize_session=False)), "rowcount", 0) or 0)


def delete_block(session: Session, block_id: int, *, block_slug: str, streams: str) -> dict[str, int]:
    """DataBlockDeleteAction's metadata: the block's streams, properties, config attributes, notes
    (on the block and on its streams, slug prefix ``streams``), locations, then the block itself."""
    removed = {
        "streams": _moved(session, delete(StreamId).where(StreamId.block_id == block_id)),
        "properties": _moved(session, delete(GenericProperty).where(GenericProperty.target == block_slug)),
        "config_attributes": _moved(session, delete(ConfigAttribute).where(ConfigAttribute.target == block_slug)),
        "notes": _moved(session, delete(StreamNote).where(or_(
            StreamNote.target_slug == block_slug, StreamNote.target_slug.startswith(streams, autoescape=True)))),
        "locations": _moved(session, delete(DeviceLocation).where(DeviceLocation.target_slug == block_slug)),
    }
    session.execute(delete(DataBlock).where(DataBlock.id == block_id))
    return removed


def block_stream_lids(session: Session, block_id: int) -> set[int]:
    """The lids of the StreamIds archived with a block."""
    return set(session.scalars(select(StreamId.var_lid).where(StreamId.block_id == block_id)))


def drop_unfinished(session: Session, block_id: int, device_id: int, state: str) -> None:
    """Take back an archive that moved nothing: its block row goes and a device still busy
    archiving (B1) returns to ``state``."""
    session.execute(delete(DataBlock).where(DataBlock.id == block_id, DataBlock.completed_on.is_(None)))
    release_device(session, device_id, state)


def release_device(session: Session, device_id: int, state: str) -> None:
    """A device left busy archiving (B1) becomes ``state`` again; any other state is left alone."""
    session.execute(update(Device).where(Device.id == device_id, Device.state == "B1")
                    .values(state=state, active=state != "N0").execution_options(synchronize_session=False))
