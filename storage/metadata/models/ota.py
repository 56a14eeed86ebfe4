"""Over-the-air updates: scripts, their deployment to devices, and per-device outcomes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, synonym

from storage.metadata.base import Base, CreatedMixin, owned_by


class DeviceScript(CreatedMixin, Base):
    """An OTA file (``z--`` slug; ``id`` is its gid) and its semver; ``file`` is a blob key."""

    __tablename__ = "device_script"

    id: Mapped[int] = mapped_column(primary_key=True)
    gid: Mapped[int] = synonym("id")
    name: Mapped[str] = mapped_column(String(50))
    org_id: Mapped[int] = owned_by("org.id")
    major_version: Mapped[int] = mapped_column(default=0)
    minor_version: Mapped[int] = mapped_column(default=0)
    patch_version: Mapped[int] = mapped_column(default=0)
    released: Mapped[bool] = mapped_column(default=False)
    file: Mapped[str | None] = mapped_column(String(255))


class DeploymentRequest(CreatedMixin, Base):
    """Deploy a script to a fleet (or, with no fleet, the whole org) filtered by criteria.

    ``selection_criteria`` holds strings such as ``os_tag:eq:1024`` or ``app_version:gte:1.2``.
    Deleting the fleet deletes the request rather than widening it to the whole org.
    """

    __tablename__ = "deployment_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = owned_by("device_script.id")
    org_id: Mapped[int] = owned_by("org.id")
    fleet_id: Mapped[int | None] = owned_by("fleet.id")
    selection_criteria: Mapped[list[str]] = mapped_column(default=list)
    released_on: Mapped[datetime | None]
    completed_on: Mapped[datetime | None]

    script: Mapped[DeviceScript] = relationship()
    actions: Mapped[list[DeploymentAction]] = relationship(
        back_populates="request", cascade="all, delete-orphan", passive_deletes=True
    )


class DeploymentAction(Base):
    """What happened when a request was applied to one device."""

    __tablename__ = "deployment_action"
    __table_args__ = (UniqueConstraint("request_id", "device_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = owned_by("deployment_request.id", index=False)
    device_id: Mapped[int] = owned_by("device.id", big=True)
    attempt_successful: Mapped[bool] = mapped_column(default=False)
    device_confirmation: Mapped[bool] = mapped_column(default=False)
    last_attempt_on: Mapped[datetime | None]
    log: Mapped[str] = mapped_column(Text, default="")

    request: Mapped[DeploymentRequest] = relationship(back_populates="actions")
