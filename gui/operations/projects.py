"""Projects for the Projects screen: a filtered page of them with their device counts, and creating one.

The project service filters by exact name only, so the filter box's "contains" is applied here
while paging (gui/operations/paging.py). Organizations offered for a new project are those where
the operator may manage projects.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from appliance.app import Appliance
from appliance.services.accounts import AccountRecord
from appliance.services.orgs import OrgRecord
from appliance.services.permissions import Access, Perm
from appliance.services.projects import ProjectRecord
from gui.operations import Op
from gui.operations.access import access_for, list_scope
from gui.operations.paging import Chunk, matches, scan

LOGGER = logging.getLogger(__name__)
ORG_LIMIT = 500
PROJECT_LIMIT = 1000


@dataclass(frozen=True)
class ProjectRow:
    project: ProjectRecord
    org_name: str
    devices: int


async def org_names(appliance: Appliance, access: Access) -> dict[int, str]:
    _, orgs = await appliance.orgs.page(list_scope(access), limit=ORG_LIMIT)
    return {org.id: org.name for org in orgs}


async def _rows(appliance: Appliance, access: Access, projects: list[ProjectRecord],
                names: dict[int, str]) -> list[ProjectRow]:
    extras = await asyncio.gather(*(appliance.projects.extra_info(access, p.uuid) for p in projects))
    return [ProjectRow(project, names.get(project.org_id, project.org_slug), counts["active_devices"])
            for (project, counts) in extras]


def project_pager(account: AccountRecord, text: str, offset: int, want: int) -> Op[Chunk[ProjectRow]]:
    async def read(appliance: Appliance) -> Chunk[ProjectRow]:
        access = await access_for(appliance, account)
        names = await org_names(appliance, access)

        async def service_page(start: int, limit: int) -> tuple[int, list[ProjectRecord]]:
            return await appliance.projects.page(access, list_scope(access), offset=start, limit=limit)

        def keep(project: ProjectRecord) -> bool:
            return matches(text, project.name, names.get(project.org_id), project.slug, project.about)

        chunk = await scan(service_page, keep, offset, want)
        rows = await _rows(appliance, access, list(chunk.rows), names)
        return Chunk(tuple(rows), chunk.consumed, chunk.total)

    return read


def manageable_orgs(account: AccountRecord) -> Op[list[OrgRecord]]:
    """Orgs the operator may create projects in (owners, admins, developers, staff)."""
    async def read(appliance: Appliance) -> list[OrgRecord]:
        access = await access_for(appliance, account)
        _, orgs = await appliance.orgs.page(list_scope(access), limit=ORG_LIMIT)
        return [org for org in orgs if access.can(org.id, Perm.MANAGE_ORG_AND_PROJECTS)]

    return read


def project_creator(account: AccountRecord, org_slug: str, name: str) -> Op[ProjectRecord]:
    async def create(appliance: Appliance) -> ProjectRecord:
        access = await access_for(appliance, account)
        project = await appliance.projects.create(access, {"name": name, "org": org_slug})
        LOGGER.info("project %s (%s) created from the GUI", project.slug, project.name)
        return project

    return create


def all_projects(account: AccountRecord) -> Op[list[ProjectRecord]]:
    """Every project the operator sees (for choosers: claim into, filter by)."""
    async def read(appliance: Appliance) -> list[ProjectRecord]:
        access = await access_for(appliance, account)
        _, projects = await appliance.projects.page(access, list_scope(access), limit=PROJECT_LIMIT)
        return projects

    return read
