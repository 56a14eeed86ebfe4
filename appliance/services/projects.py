"""Projects (gid = next free) and creating them from project templates or a device's sensor graph.

Permissions follow iotile.cloud: any member of the org sees its projects; creating and editing
needs can_manage_org_and_projects; deleting is staff-only (and, unlike the server's API, refused
while devices are still claimed into the project, as its own delete worker does).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, ValidationError
from appliance.events import Changes, EventBus
from appliance.services import db
from appliance.services import fieldspec as fs
from appliance.services.permissions import Access, Perm
from appliance.slugs import DeviceSlug, ProjectSlug, SlugError
from storage.metadata import MetadataStore
from storage.metadata.repos import devices as devices_repo
from storage.metadata.repos import projects as repo
from storage.metadata.repos import streams as streams_repo
from storage.metadata.repos.property_filters import PropertyMatch
from storage.streams import StreamSelector, StreamStore

LOGGER = logging.getLogger(__name__)
DEFAULT_TEMPLATE = "Default Template"
RESTRICTED = "Restricted Access. Contact Arch"

_SERVER_WRITTEN = frozenset({"id", "slug", "gid", "created_on", "created_by"})
CREATE = fs.Spec({"name": fs.text(50, blank=False), "org": fs.text(60), "about": fs.text(10_000),
                  "project_template": fs.nullable(fs.text(60))},
                 read_only=_SERVER_WRITTEN, required=frozenset({"name", "org"}))
UPDATE = fs.Spec({"name": fs.text(50, blank=False), "about": fs.text(10_000),
                  "project_template": fs.nullable(fs.text(60)), "org": fs.text(60)},
                 read_only=_SERVER_WRITTEN)
NEW = fs.Spec({"name": fs.text(50, blank=False), "org": fs.text(60), "about": fs.text(10_000),
               "device": fs.text(22), "project_template": fs.text(60)},
              required=frozenset({"name", "org"}))


@dataclass(frozen=True)
class ProjectRecord:
    gid: int
    uuid: str
    name: str
    about: str
    org_id: int
    org_slug: str
    is_template: bool
    project_template: str | None
    created_on: datetime
    created_by: str | None

    @property
    def slug(self) -> str:
        return ProjectSlug(self.gid).slug

    @classmethod
    def of(cls, row: repo.ProjectRow) -> ProjectRecord:
        project, org_slug, template_slug, creator_slug = row
        return cls(project.id, project.uuid, project.name, project.about or "", project.org_id, org_slug,
                   project.is_template, template_slug, project.created_on, creator_slug)


def parse_project_ref(value: str) -> tuple[str | None, int | None]:
    """A project's UUID (the server's lookup) or, as an addition, its p-- slug."""
    if value.lower().startswith("p--"):
        try:
            return None, ProjectSlug.parse(value.lower()).gid
        except SlugError:
            raise NotFound("project not found") from None
    try:
        return str(uuid.UUID(value)), None
    except ValueError:
        raise ValidationError("Project ID must be a UUID", key="invalid_project_id") from None


def project_gid_or_none(session: Session, ref: str) -> int | None:
    """A list filter's project (UUID or p-- slug); anything else matches nothing, as on the server."""
    try:
        if ref.lower().startswith("p--"):
            return ProjectSlug.parse(ref.lower()).gid
        row = repo.by_uuid(session, str(uuid.UUID(ref)))
    except (SlugError, ValueError):
        return None
    return row[0].id if row is not None else None


def find_project(session: Session, ref: str, access: Access) -> ProjectRecord:
    """The project the caller may see, or NotFound (template projects are staff-only)."""
    project_uuid, gid = parse_project_ref(ref)
    row = repo.by_uuid(session, project_uuid) if project_uuid else repo.by_gid(session, gid or 0)
    if row is None:
        raise NotFound("project not found")
    record = ProjectRecord.of(row)
    access.visible(record.org_id, "project")
    if record.is_template and not access.is_staff:
        raise NotFound("project not found")
    return record


def _org_for_write(session: Session, access: Access, slug: str) -> int:
    org_id = repo.org_id_by_slug(session, slug)
    if org_id is None:
        raise NotFound("org not found")
    access.require(org_id, Perm.MANAGE_ORG_AND_PROJECTS, "org")
    return org_id


def _template_id(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    template = repo.template_by_slug(session, slug)
    if template is None:
        raise fs.invalid("project_template", f"Object with slug={slug} does not exist.")
    return template.id


class Projects:
    def __init__(self, store: MetadataStore, streams: StreamStore | None = None,
                 events: EventBus | None = None) -> None:
        self._store = store
        self._streams = streams
        self._events = events

    def _changed(self) -> None:
        if self._events is not None:
            self._events.publish(Changes(projects=True, initiator="projects"))

    async def page(self, access: Access, scope: frozenset[int] | None, *, org_slug: str | None = None,
                   name: str | None = None, offset: int = 0, limit: int = 100,
                   prop: PropertyMatch | None = None) -> tuple[int, list[ProjectRecord]]:
        """``scope``: the orgs listed (None: every org, for staff); ``prop``: the ?property= filter."""
        def read(session: Session) -> tuple[int, list[ProjectRecord]]:
            org_id = None
            if org_slug is not None:
                org_id = repo.org_id_by_slug(session, org_slug)
                access.visible(org_id, "org")
            count, rows = repo.page(session, org_ids=scope, org_id=org_id, name=name,
                                    offset=offset, limit=limit, prop=prop)
            return count, [ProjectRecord.of(row) for row in rows]

        return await db.read(self._store, read)

    async def get(self, access: Access, ref: str) -> ProjectRecord:
        return await db.read(self._store, lambda s: find_project(s, ref, access))

    async def extra_info(self, access: Access, ref: str) -> tuple[ProjectRecord, dict[str, int]]:
        def read(session: Session) -> tuple[ProjectRecord, dict[str, int]]:
            record = find_project(session, ref, access)
            return record, repo.counts(session, record.gid)

        return await db.read(self._store, read)

    async def create(self, access: Access, body: dict[str, Any]) -> ProjectRecord:
        """POST project/: without a template, the one named "Default Template" when it exists."""
        data = CREATE.parse(body, partial=False)
        now = datetime.now(timezone.utc)

        def insert(session: Session) -> ProjectRecord:
            org_id = _org_for_write(session, access, data["org"])
            template_id = _template_id(session, data.get("project_template"))
            if template_id is None:
                default = repo.template_by_name(session, DEFAULT_TEMPLATE)
                template_id = default.id if default else None
            project = self._insert(session, access, org_id, data, template_id, now)
            return ProjectRecord.of(repo.by_gid(session, project.gid))  # type: ignore[arg-type]

        record = await db.write(self._store, insert)
        self._changed()
        return record

    def _insert(self, session: Session, access: Access, org_id: int, data: dict[str, Any],
                template_id: int | None, now: datetime) -> Any:
        name = data["name"].strip()
        if repo.name_taken(session, org_id, name):
            raise Conflict(f"a project named {name!r} already exists in this org", key="duplicate_project")
        return repo.insert(session, uuid=str(uuid.uuid4()), name=name, about=data.get("about", ""),
                           org_id=org_id, is_template=False, project_template_id=template_id,
                           created_by_id=access.account_id, created_on=now)

    async def create_new(self, access: Access, body: dict[str, Any]) -> ProjectRecord:
        """POST project/new/: variables from a device's SG (the server's way) or a project template."""
        data = NEW.parse(body, partial=False)
        now = datetime.now(timezone.utc)

        def insert(session: Session) -> ProjectRecord:
            org_id = _org_for_write(session, access, data["org"])
            if "device" in data:
                sg_id = self._device_sg(session, data["device"])
                template_id = repo.sg_project_template_id(session, sg_id)
                project = self._insert(session, access, org_id, data, template_id, now)
                self._variables_from_sg(session, sg_id, project.gid, access.account_id, now)
            else:
                template_id = _template_id(session, data.get("project_template"))
                project = self._insert(session, access, org_id, data, template_id, now)
                if template_id is not None:
                    self._variables_from_template(session, template_id, project.gid, access.account_id, now)
            return ProjectRecord.of(repo.by_gid(session, project.gid))  # type: ignore[arg-type]

        record = await db.write(self._store, insert)
        self._changed()
        return record

    @staticmethod
    def _device_sg(session: Session, slug: str) -> int:
        try:
            device_id = DeviceSlug.parse(slug).id
        except SlugError:
            raise fs.invalid("device", f"Object with slug={slug} does not exist.") from None
        row = devices_repo.row_by_id(session, device_id)
        if row is None:
            raise fs.invalid("device", f"Object with slug={slug} does not exist.")
        if row.sg_id is None:
            raise ValidationError("Device not properly setup. Contact Arch Support", key="device_without_sg")
        return int(row.sg_id)

    @staticmethod
    def _variables_from_sg(session: Session, sg_id: int, gid: int, account_id: int | None, now: datetime) -> None:
        for var_t in repo.variable_templates(session, sg_id):
            streams_repo.ensure_variable(session, gid, var_t, account_id, now)

    def _variables_from_template(self, session: Session, template_id: int, gid: int, account_id: int | None,
                                 now: datetime) -> None:
        """clone_project from the template's master project; else the variables of its SG."""
        master = repo.master_project(session, template_id)
        if master is not None:
            repo.copy_variables(session, master.id, gid, account_id, now)
            return
        sg = repo.sg_for_template(session, template_id)
        if sg is not None:
            self._variables_from_sg(session, sg.id, gid, account_id, now)

    async def update(self, access: Access, ref: str, body: dict[str, Any]) -> ProjectRecord:
        data = UPDATE.parse(body)

        def change(session: Session) -> ProjectRecord:
            record = find_project(session, ref, access)
            access.require(record.org_id, Perm.MANAGE_ORG_AND_PROJECTS, "project")
            if data.get("org", record.org_slug) != record.org_slug:
                raise fs.invalid("org", "a project cannot move to another org")
            project = repo.project_obj(session, record.gid)
            if "name" in data:
                name = data["name"].strip()
                if repo.name_taken(session, record.org_id, name, exclude_id=record.gid):
                    raise Conflict(f"a project named {name!r} already exists in this org", key="duplicate_project")
                project.name = name
            if "about" in data:
                project.about = data["about"]
            if "project_template" in data:
                project.project_template_id = _template_id(session, data["project_template"])
            session.flush()
            return ProjectRecord.of(repo.by_gid(session, record.gid))  # type: ignore[arg-type]

        record = await db.write(self._store, change)
        self._changed()
        return record

    async def delete(self, access: Access, ref: str) -> None:
        def remove(session: Session) -> int:
            record = find_project(session, ref, access)
            if not access.is_staff:
                raise ValidationError(RESTRICTED, key="restricted")
            if repo.device_count(session, record.gid):
                raise Conflict("the project still has devices; unclaim them first", key="project_has_devices")
            repo.delete_project(session, record.gid)
            return record.gid

        gid = await db.write(self._store, remove)
        if self._streams is not None:
            await asyncio.wrap_future(self._streams.delete_data(StreamSelector(project=gid)))
            await asyncio.wrap_future(self._streams.delete_events(StreamSelector(project=gid)))
        LOGGER.info("project %s deleted", ProjectSlug(gid).slug)
        self._changed()

