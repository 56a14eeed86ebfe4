"""Groupings across devices: stream aliases (virtual streams stitched by time) and fleets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.metadata.base import Base, CreatedMixin, owned_by


class StreamAlias(CreatedMixin, Base):
    """A virtual stream (``a--`` slug from ``id``) that reads from different streams over time."""

    __tablename__ = "stream_alias"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[int] = owned_by("org.id")

    taps: Mapped[list[StreamAliasTap]] = relationship(
        back_populates="alias",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="StreamAliasTap.timestamp",
    )


class StreamAliasTap(CreatedMixin, Base):
    """From ``timestamp`` on (until the next tap), the alias reads ``stream``."""

    __tablename__ = "stream_alias_tap"
    __table_args__ = (Index(None, "alias_id", "timestamp"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    alias_id: Mapped[int] = owned_by("stream_alias.id", index=False)
    timestamp: Mapped[datetime]
    stream_id: Mapped[int] = owned_by("stream.id")

    alias: Mapped[StreamAlias] = relationship(back_populates="taps")


class Fleet(CreatedMixin, Base):
    """A set of devices (``g--`` slug from ``id``); a network fleet also has access points."""

    __tablename__ = "fleet"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    org_id: Mapped[int] = owned_by("org.id")
    description: Mapped[str] = mapped_column(Text, default="")
    is_network: Mapped[bool] = mapped_column(default=False)

    memberships: Mapped[list[FleetMembership]] = relationship(
        back_populates="fleet", cascade="all, delete-orphan", passive_deletes=True
    )


class FleetMembership(CreatedMixin, Base):
    """A device in a fleet."""

    __tablename__ = "fleet_membership"
    __table_args__ = (UniqueConstraint("fleet_id", "device_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fleet_id: Mapped[int] = owned_by("fleet.id", index=False)
    device_id: Mapped[int] = owned_by("device.id", big=True)
    always_on: Mapped[bool] = mapped_column(default=False)
    is_access_point: Mapped[bool] = mapped_column(default=False)

    fleet: Mapped[Fleet] = relationship(back_populates="memberships")
