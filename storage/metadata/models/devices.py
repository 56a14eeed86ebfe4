"""Devices and what hangs off them: status, keys, firmware versions, archives (data blocks)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.metadata.base import Base, CreatedMixin, kept_ref, one_of, optional_ref, owned_by
from storage.metadata.models.codes import DEVICE_KEY_TYPES, DEVICE_STATES, HEALTH_STATES, VERSION_TYPES

if TYPE_CHECKING:
    from storage.metadata.models.orgs import Org
    from storage.metadata.models.projects import Project
    from storage.metadata.models.templates import DeviceTemplate, SensorGraph


class Device(CreatedMixin, Base):
    """A device; ``id`` is its serial number (the ``d--`` slug), assigned by the factory, never by us.

    ``org``/``project`` are empty while unclaimed; unclaiming or deleting the project leaves the
    device in place. Its template and SG are shared data and cannot be deleted while in use.
    """

    __tablename__ = "device"
    __table_args__ = (one_of("state", DEVICE_STATES, "state"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    org_id: Mapped[int | None] = optional_ref("org.id")
    project_id: Mapped[int | None] = optional_ref("project.id")
    template_id: Mapped[int | None] = kept_ref("device_template.id")
    sg_id: Mapped[int | None] = kept_ref("sensor_graph.id")
    external_id: Mapped[str] = mapped_column(String(24), default="")
    label: Mapped[str] = mapped_column(String(100), default="")
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    active: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(String(2), default="N1")
    claimed_on: Mapped[datetime | None]
    claimed_by_id: Mapped[int | None] = optional_ref("account.id", index=False)

    org: Mapped[Org | None] = relationship()
    project: Mapped[Project | None] = relationship()
    template: Mapped[DeviceTemplate | None] = relationship()
    sg: Mapped[SensorGraph | None] = relationship()
    status: Mapped[DeviceStatus | None] = relationship(
        back_populates="device", cascade="all, delete-orphan", passive_deletes=True
    )


class DeviceStatus(Base):
    """Heartbeat state (1:1 with Device), updated by every upload; kept apart so it stays small."""

    __tablename__ = "device_status"
    __table_args__ = (one_of("last_known_state", HEALTH_STATES, "last_known_state"),)

    device_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("device.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    last_known_id: Mapped[int] = mapped_column(default=0)
    last_report_ts: Mapped[datetime | None]
    health_check_enabled: Mapped[bool] = mapped_column(default=False)
    health_check_period: Mapped[int] = mapped_column(default=7200)
    last_known_state: Mapped[str] = mapped_column(String(4), default="UNK")
    notification_recipients: Mapped[list[str]] = mapped_column(default=list)

    device: Mapped[Device] = relationship(back_populates="status")


class DeviceKey(CreatedMixin, Base):
    """A per-device credential. The secret lives in the OS keyring; ``secret_ref`` names it there."""

    __tablename__ = "device_key"
    __table_args__ = (UniqueConstraint("device_id", "type"), one_of("type", DEVICE_KEY_TYPES, "type"))

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = owned_by("device.id", index=False, big=True)
    type: Mapped[str] = mapped_column(String(12))
    secret_ref: Mapped[str] = mapped_column(String(200))
    downloadable: Mapped[bool] = mapped_column(default=False)


class DeviceVersionAttribute(Base):
    """The OS or SG version a device reported, with the reading that reported it (history kept)."""

    __tablename__ = "device_version_attribute"
    __table_args__ = (
        Index(None, "device_id", "type", "updated_ts"),
        one_of("type", VERSION_TYPES, "type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = owned_by("device.id", index=False, big=True)
    type: Mapped[str] = mapped_column(String(2))
    tag: Mapped[int]
    major_version: Mapped[int] = mapped_column(default=0)
    minor_version: Mapped[int] = mapped_column(default=0)
    streamer_local_id: Mapped[int | None]
    updated_ts: Mapped[datetime]


class DataBlock(CreatedMixin, Base):
    """An archive of a device's data (``b--`` slug = block number in the top 16 bits of the id).

    ``sg`` is frozen at archive time so the archive still decodes after the device is re-programmed.
    """

    __tablename__ = "data_block"
    __table_args__ = (
        UniqueConstraint("device_id", "block"),
        # below 2**15: the block sits in the top 16 bits of a stream's 64-bit device_gid, and
        # SQLite integers are signed, so a block of 0x8000 or more would not fit in the key
        CheckConstraint("block > 0 AND block < 32768", name="block_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = owned_by("org.id")
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    device_id: Mapped[int] = owned_by("device.id", index=False, big=True)
    block: Mapped[int]
    sg_id: Mapped[int | None] = kept_ref("sensor_graph.id")
    completed_on: Mapped[datetime | None]

    device: Mapped[Device] = relationship()
