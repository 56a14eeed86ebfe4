"""Projects and the templates they are created from."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from storage.metadata.base import Base, CreatedMixin, optional_ref, owned_by

if TYPE_CHECKING:
    from storage.metadata.models.orgs import Org


class ProjectTemplate(CreatedMixin, Base):
    """A staff-managed recipe for new projects (the SGs and variables a product line needs)."""

    __tablename__ = "project_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    major_version: Mapped[int] = mapped_column(default=0)
    minor_version: Mapped[int] = mapped_column(default=0)
    patch_version: Mapped[int] = mapped_column(default=0)
    org_id: Mapped[int | None] = optional_ref("org.id")
    extra_data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)


class Project(CreatedMixin, Base):
    """A project. ``id`` *is* the gid of its ``p--`` slug (``gid`` is a synonym).

    Keeping one integer instead of an id plus a gid makes every stream key (project gid, device id,
    variable lid) a direct foreign key. SQLite allocates a new INTEGER PRIMARY KEY as max+1, which is
    exactly how iotile.cloud allocates gids; an imported project may set it explicitly.
    """

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    gid: Mapped[int] = synonym("id")
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    about: Mapped[str] = mapped_column(Text, default="")
    org_id: Mapped[int] = owned_by("org.id")
    is_template: Mapped[bool] = mapped_column(default=False)
    project_template_id: Mapped[int | None] = optional_ref("project_template.id")

    org: Mapped[Org] = relationship()
    project_template: Mapped[ProjectTemplate | None] = relationship()
