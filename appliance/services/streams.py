"""Stream variables (v--) and stream ids (s--): listing, editing, enabling, m/d/o and units.

Who may do what: every org member lists variables and streams (can_read_stream_ids); reading one
stream needs can_read_stream_data, as on the server (so an Operator gets 403); creating variables
and streams needs can_create_stream_ids (Developers and staff), editing them can_modify_stream_ids;
deleting is staff-only and answers the server's 400 "Restricted Access" to anybody else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, PermissionDenied, ValidationError
from appliance.events import Changes, EventBus
from appliance.services import db
from appliance.services import fieldspec as fs
from appliance.services.permissions import Access, Perm
from appliance.services.projects import RESTRICTED, find_project, project_gid_or_none
from appliance.services.streams_records import (
    STREAM_CREATE,
    STREAM_UPDATE,
    VARIABLE,
    StreamRecord,
    VariableRecord,
)
from appliance.slugs import BlockSlug, DeviceSlug, ProjectSlug, SlugError, StreamSlug, VariableSlug
from storage.metadata import MetadataStore
from storage.metadata.repos import devices as devices_repo
from storage.metadata.repos import projects as projects_repo
from storage.metadata.repos import streams as repo

_TRUE = frozenset({"true", "True", "1"})
_FALSE = frozenset({"false", "False", "0"})


@dataclass(frozen=True)
class StreamQuery:
    """/stream/'s filters as given (strings)."""

    project: str | None = None
    device: str | None = None
    block: str | None = None
    variable: str | None = None
    org: str | None = None
    enabled: str | None = None
    virtual: bool = False
    archived: bool = False
    include_all: bool = False


def find_variable(session: Session, access: Access, slug: str) -> VariableRecord:
    try:
        parsed = VariableSlug.parse(slug)
    except SlugError:
        raise NotFound("variable not found") from None
    row = repo.variable_by_key(session, parsed.project, parsed.lid)
    if row is None or not access.can(row[2], Perm.READ_STREAM_IDS):
        raise NotFound("variable not found")
    return VariableRecord.of(row)


def find_stream(session: Session, access: Access, slug: str) -> StreamRecord:
    try:
        parsed = StreamSlug.parse(slug)
    except SlugError:
        raise NotFound("stream not found") from None
    row = repo.stream_row(session, parsed.project, parsed.device, parsed.lid)
    if row is None or not access.can(row[0].org_id, Perm.READ_STREAM_IDS):
        raise NotFound("stream not found")
    return StreamRecord.of(row)


def _unit(session: Session, name: str, slug: str | None, var_type_id: int | None) -> int | None:
    """A unit by slug, which must belong to the variable's (or stream's) var type when it has one."""
    if slug is None:
        return None
    find: Callable[[Session, str], Any] = repo.input_unit_by_slug if name == "input_unit" else repo.output_unit_by_slug
    unit = find(session, slug)
    if unit is None:
        raise fs.invalid(name, f"Object with slug={slug} does not exist.")
    if var_type_id is not None and unit.var_type_id != var_type_id:
        raise fs.invalid(name, f"{slug} is not a unit of this variable's type")
    return int(unit.id)


def _apply(row: Any, data: dict[str, Any], session: Session, var_type_id: int | None) -> None:
    """Copy plain fields; resolve unit slugs to ids."""
    for name, value in data.items():
        if name in ("input_unit", "output_unit"):
            setattr(row, f"{name}_id", _unit(session, name, value, var_type_id))
        elif name not in ("var_type", "project", "lid", "mdo_label", "derived_variable"):
            setattr(row, name, value)


def _restricted(access: Access) -> None:
    if not access.is_staff:
        raise ValidationError(RESTRICTED, key="restricted")


class Streams:
    def __init__(self, store: MetadataStore, events: EventBus | None = None) -> None:
        self._store = store
        self._events = events

    def _changed(self) -> None:
        if self._events is not None:
            self._events.publish(Changes(streams=True, initiator="streams"))

    # -- variables --------------------------------------------------------------------------------
    async def variable_page(self, scope: frozenset[int] | None, *, project: str | None = None,
                            org: str | None = None, search: str | None = None, offset: int = 0,
                            limit: int = 1000) -> tuple[int, list[VariableRecord]]:
        def read(session: Session) -> tuple[int, list[VariableRecord]]:
            project_id = project_gid_or_none(session, project) if project is not None else None
            org_id = projects_repo.org_id_by_slug(session, org) if org is not None else None
            if org is not None and org_id is None:
                raise NotFound("Not found.")
            if project is not None and project_id is None:
                return 0, []
            count, rows = repo.variable_page(session, org_ids=scope, org_id=org_id, project_id=project_id,
                                             name=search, offset=offset, limit=limit)
            return count, [VariableRecord.of(row) for row in rows]

        return await db.read(self._store, read)

    async def get_variable(self, access: Access, slug: str) -> VariableRecord:
        return await db.read(self._store, lambda s: find_variable(s, access, slug))

    async def create_variable(self, access: Access, body: dict[str, Any]) -> VariableRecord:
        data = VARIABLE.parse(body, partial=False)
        now = datetime.now(timezone.utc)

        def insert(session: Session) -> VariableRecord:
            project = find_project(session, data["project"], access)
            access.require(project.org_id, Perm.CREATE_STREAM_IDS, "project")
            if repo.variable_row(session, project.gid, data["lid"]) is not None:
                raise Conflict(f"{VariableSlug(project.gid, data['lid']).slug} already exists",
                               key="duplicate_variable")
            var_type_id = self._var_type(session, data.get("var_type"))
            variable = repo.new_variable(session, project_id=project.gid, lid=data["lid"], var_type_id=var_type_id,
                                         created_by_id=access.account_id, created_on=now)
            _apply(variable, data, session, var_type_id)
            session.flush()
            return VariableRecord.of(repo.variable_by_key(session, project.gid, data["lid"]))  # type: ignore[arg-type]

        record = await db.write(self._store, insert)
        self._changed()
        return record

    @staticmethod
    def _var_type(session: Session, slug: str | None) -> int | None:
        if slug is None:
            return None
        var_type = repo.var_type_by_slug(session, slug)
        if var_type is None:
            raise fs.invalid("var_type", f"Object with slug={slug} does not exist.")
        return var_type.id

    async def update_variable(self, access: Access, slug: str, body: dict[str, Any]) -> VariableRecord:
        data = VARIABLE.parse(body)

        def change(session: Session) -> VariableRecord:
            found = find_variable(session, access, slug)
            access.require(found.org_id, Perm.MODIFY_STREAM_IDS, "variable")
            if data.get("lid", found.lid) != found.lid:
                raise fs.invalid("lid", "a variable's lid cannot change; create a new variable")
            if "project" in data and data["project"] not in (found.project_uuid, ProjectSlug(found.project_gid).slug):
                raise fs.invalid("project", "a variable cannot move to another project")
            variable = repo.variable_obj(session, found.id)
            var_type_id = self._var_type(session, data["var_type"]) if "var_type" in data else found.var_type_id
            variable.var_type_id = var_type_id
            _apply(variable, data, session, var_type_id)
            session.flush()
            return VariableRecord.of(repo.variable_by_key(session, found.project_gid, found.lid))  # type: ignore[arg-type]

        record = await db.write(self._store, change)
        self._changed()
        return record

    async def delete_variable(self, access: Access, slug: str) -> None:
        def remove(session: Session) -> None:
            found = find_variable(session, access, slug)
            _restricted(access)
            repo.delete_variable(session, found.id)

        await db.write(self._store, remove)
        self._changed()

    # -- streams ----------------------------------------------------------------------------------
    async def stream_page(self, access: Access, scope: frozenset[int] | None, query: StreamQuery, *, offset: int = 0,
                          limit: int = 5000) -> tuple[int, list[StreamRecord]]:
        def read(session: Session) -> tuple[int, list[StreamRecord]]:
            f = _stream_filter(session, access, scope, query)
            if f is None:
                return 0, []
            count, rows = repo.stream_page(session, f, offset, limit)
            return count, [StreamRecord.of(row) for row in rows]

        return await db.read(self._store, read)

    async def get_stream(self, access: Access, slug: str) -> StreamRecord:
        def read(session: Session) -> StreamRecord:
            stream = find_stream(session, access, slug)
            access.require(stream.org_id, Perm.READ_STREAM_DATA, "stream")
            return stream

        return await db.read(self._store, read)

    async def create_stream(self, access: Access, body: dict[str, Any]) -> StreamRecord:
        """A device's stream of a project variable, or the project's virtual stream (no device)."""
        data = STREAM_CREATE.parse(body, partial=False)
        now = datetime.now(timezone.utc)

        def insert(session: Session) -> StreamRecord:
            variable = find_variable(session, access, data["variable"])
            access.require(variable.org_id, Perm.CREATE_STREAM_IDS, "variable")
            device_id = _stream_device(session, access, data.get("device"), variable.project_gid)
            if repo.stream_by_key(session, variable.project_gid, device_id or 0, variable.lid) is not None:
                slug = StreamSlug(variable.project_gid, device_id or 0, variable.lid).slug
                raise Conflict(f"{slug} already exists", key="duplicate_stream")
            stream, _ = repo.ensure_stream(
                session, org_id=variable.org_id, project_id=variable.project_gid, device_id=device_id,
                variable=repo.variable_obj(session, variable.id), created_by_id=access.account_id, now=now,
                data_label=data.get("data_label", ""), data_type=data.get("data_type"))
            return StreamRecord.of(repo.stream_row(session, stream.project_gid, stream.device_gid,  # type: ignore[arg-type]
                                                   stream.var_lid))

        record = await db.write(self._store, insert)
        self._changed()
        return record

    async def update_stream(self, access: Access, slug: str, body: dict[str, Any]) -> StreamRecord:
        """Label, enabled, m/d/o and their source (V: the variable's, S: the stream's), units, formats."""
        data = STREAM_UPDATE.parse(body)

        def change(session: Session) -> StreamRecord:
            found = find_stream(session, access, slug)
            access.require(found.org_id, Perm.MODIFY_STREAM_IDS, "stream")
            stream = repo.stream_obj(session, found.id)
            _apply(stream, data, session, found.var_type_id)
            session.flush()
            return StreamRecord.of(repo.stream_row(session, found.project_gid, found.device_gid,  # type: ignore[arg-type]
                                                   found.lid))

        record = await db.write(self._store, change)
        self._changed()
        return record

    async def delete_stream(self, access: Access, slug: str) -> None:
        """Staff only; the readings stay in the stream store, as the server leaves them."""
        def remove(session: Session) -> None:
            found = find_stream(session, access, slug)
            _restricted(access)
            repo.delete_stream(session, found.id)

        await db.write(self._store, remove)
        self._changed()


def _stream_device(session: Session, access: Access, slug: str | None, project_gid: int) -> int | None:
    if slug is None:
        return None
    try:
        device_id = DeviceSlug.parse(slug).id
    except SlugError:
        raise NotFound("device not found") from None
    row = devices_repo.row_by_id(session, device_id)
    if row is None or not row.active or not (access.is_staff or access.is_member(row.org_id)):
        raise NotFound("device not found")
    if row.project_id != project_gid:
        raise NotFound("Project and Variable belong to different projects")
    return device_id


def _device_gid(session: Session, slug: str) -> int | None:
    """?device=: d-- (a d--<block>-... names an archive) or b--; other prefixes are refused (403)."""
    try:
        if slug.startswith("d--"):
            return DeviceSlug.parse(slug).id
        if slug.startswith("b--"):
            return BlockSlug.parse(slug).as_device().id
    except SlugError:
        return None
    raise PermissionDenied("Illegal Device ID", key="illegal_device")


def _stream_filter(session: Session, access: Access, scope: frozenset[int] | None,
                   q: StreamQuery) -> repo.StreamFilter | None:
    """The repo filter, or None when a filter already matches nothing; unknown block/variable/org: 404."""
    values: dict[str, Any] = {}
    if q.project is not None:
        values["project_id"] = project_gid_or_none(session, q.project)
    if q.device is not None:
        values["device_gid"] = _device_gid(session, q.device)
    if None in values.values():
        return None
    if q.block is not None:
        try:
            block = BlockSlug.parse(q.block)
        except SlugError:
            raise NotFound("Not found.") from None
        values["block_id"] = repo.block_id_by_number(session, block.block, block.device)
    if q.variable is not None:
        values["variable_id"] = find_variable(session, access, q.variable).id
    if q.org is not None:
        values["org_id"] = projects_repo.org_id_by_slug(session, q.org)
    if None in values.values():
        raise NotFound("Not found.")
    enabled = True if q.enabled in _TRUE else False if q.enabled in _FALSE else None
    return repo.StreamFilter(org_ids=scope, enabled=enabled, virtual=q.virtual, archived=q.archived,
                             include_all=q.include_all, **values)
