"""Queries for projects and project templates.

Rows come back as (Project, org slug, template slug, creator slug) tuples so one SELECT gives
everything the wire format names by slug.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, select
from sqlalchemy.orm import Session, aliased

from storage.metadata.models import (
    Account,
    Device,
    Org,
    Project,
    ProjectTemplate,
    SensorGraph,
    StreamId,
    StreamVariable,
    VariableTemplate,
)
from storage.metadata.repos.property_filters import PropertyMatch, has_property, project_target

ProjectRow = Row[Project, str, str | None, str | None]
_Creator = aliased(Account)


def _rows() -> Any:
    return (
        select(Project, Org.slug, ProjectTemplate.slug, _Creator.slug)
        .join(Org, Project.org_id == Org.id)
        .outerjoin(ProjectTemplate, Project.project_template_id == ProjectTemplate.id)
        .outerjoin(_Creator, Project.created_by_id == _Creator.id)
    )


def page(session: Session, *, org_ids: frozenset[int] | None, org_id: int | None, name: str | None,
         offset: int, limit: int, prop: PropertyMatch | None = None) -> tuple[int, Sequence[ProjectRow]]:
    """Non-template projects of the given orgs (None: every org), ordered like the server: org, name."""
    stmt = _rows().where(Project.is_template.is_(False))
    if org_ids is not None:
        stmt = stmt.where(Project.org_id.in_(org_ids))
    if org_id is not None:
        stmt = stmt.where(Project.org_id == org_id)
    if name is not None:
        stmt = stmt.where(Project.name == name)
    if prop is not None:
        stmt = stmt.where(has_property(project_target(Project.id), prop))
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.order_by(Org.name, Project.name, Project.id).offset(offset).limit(limit)).all()
    return int(count), rows


def by_uuid(session: Session, uuid: str) -> ProjectRow | None:
    return session.execute(_rows().where(Project.uuid == uuid)).first()


def by_gid(session: Session, gid: int) -> ProjectRow | None:
    return session.execute(_rows().where(Project.id == gid)).first()


def name_taken(session: Session, org_id: int, name: str, *, exclude_id: int | None = None) -> bool:
    stmt = select(Project.id).where(Project.org_id == org_id, Project.name == name,
                                    Project.is_template.is_(False))
    if exclude_id is not None:
        stmt = stmt.where(Project.id != exclude_id)
    return session.scalar(stmt.limit(1)) is not None


def next_gid(session: Session) -> int:
    """Like the server's save(): max(gid) + 1, so gids are small and dense."""
    return int(session.scalar(select(func.max(Project.id))) or 0) + 1


def insert(session: Session, **values: Any) -> Project:
    project = Project(id=next_gid(session), **values)
    session.add(project)
    session.flush()
    return project


def project_obj(session: Session, gid: int) -> Project:
    project = session.get(Project, gid)
    if project is None:
        raise LookupError(f"project {gid} vanished inside its own transaction")
    return project


def sg_project_template_id(session: Session, sg_id: int) -> int | None:
    return session.scalar(select(SensorGraph.project_template_id).where(SensorGraph.id == sg_id))


def template_by_slug(session: Session, slug: str) -> ProjectTemplate | None:
    return session.scalar(select(ProjectTemplate).where(ProjectTemplate.slug == slug))


def template_by_name(session: Session, name: str) -> ProjectTemplate | None:
    return session.scalar(select(ProjectTemplate).where(ProjectTemplate.name == name)
                          .order_by(ProjectTemplate.id.desc()).limit(1))


def master_project(session: Session, template_id: int) -> Project | None:
    """The one template project (is_template) that holds a ProjectTemplate's variables."""
    return session.scalar(select(Project).where(Project.project_template_id == template_id,
                                                Project.is_template.is_(True)).order_by(Project.id).limit(1))


def sg_for_template(session: Session, template_id: int) -> SensorGraph | None:
    return session.scalar(select(SensorGraph).where(SensorGraph.project_template_id == template_id)
                          .order_by(SensorGraph.id).limit(1))


def variable_templates(session: Session, sg_id: int) -> Sequence[VariableTemplate]:
    return session.scalars(select(VariableTemplate).where(VariableTemplate.sg_id == sg_id)
                           .order_by(VariableTemplate.lid)).all()


def copy_variables(session: Session, src_id: int, dst_id: int, created_by_id: int | None, now: datetime) -> int:
    """clone_project's step 2: the template project's variables, with their units and m/d/o."""
    copied = 0
    for var in session.scalars(select(StreamVariable).where(StreamVariable.project_id == src_id)):
        session.add(StreamVariable(
            project_id=dst_id, lid=var.lid, name=var.name, about=var.about, var_type_id=var.var_type_id,
            units=var.units, input_unit_id=var.input_unit_id, output_unit_id=var.output_unit_id,
            multiplication_factor=var.multiplication_factor, division_factor=var.division_factor,
            offset=var.offset, decimal_places=var.decimal_places, raw_value_format=var.raw_value_format,
            app_only=var.app_only, web_only=var.web_only, created_by_id=created_by_id, created_on=now))
        copied += 1
    session.flush()
    return copied


def counts(session: Session, project_id: int) -> dict[str, int]:
    def count(stmt: Any) -> int:
        return int(session.scalar(stmt) or 0)

    devices = select(func.count(Device.id)).where(Device.project_id == project_id)
    return {
        "active_devices": count(devices.where(Device.active.is_(True))),
        "inactive_devices": count(devices.where(Device.active.is_(False))),
        "variables": count(select(func.count(StreamVariable.id)).where(StreamVariable.project_id == project_id)),
        "streams": count(select(func.count(StreamId.id)).where(StreamId.project_id == project_id,
                                                               StreamId.block_id.is_(None))),
    }


def device_count(session: Session, project_id: int) -> int:
    return int(session.scalar(select(func.count(Device.id)).where(Device.project_id == project_id)) or 0)


def delete_project(session: Session, project_id: int) -> None:
    """Variables and streams go with it (ON DELETE CASCADE); devices were checked to be gone."""
    session.execute(delete(Project).where(Project.id == project_id))


def org_id_by_slug(session: Session, slug: str) -> int | None:
    return session.scalar(select(Org.id).where(Org.slug == slug))
