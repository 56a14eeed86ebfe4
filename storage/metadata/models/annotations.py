"""What people and the system attach to slugs: properties, config attributes, notes, locations.

These rows target a slug string (device, project, block, ``^org`` or ``@user``) rather than a
foreign key, as in iotile.cloud, because one table serves every kind of target. Cleaning them up when
a target goes away is the service's job (unclaim, reset), not a cascade's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.metadata.base import Base, CreatedMixin, one_of, optional_ref, owned_by
from storage.metadata.models.codes import NOTE_TYPES, PROPERTY_TYPES
from storage.metadata.types import utcnow

TARGET_LENGTH = 64  # longest slug (a stream's) is 42 characters; ^org-slug and @user-slug fit too


class GenericProperty(CreatedMixin, Base):
    """A name/value pair on a target; the value is kept as text and typed by ``type``."""

    __tablename__ = "generic_property"
    __table_args__ = (UniqueConstraint("target", "name"), one_of("type", PROPERTY_TYPES, "type"))

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(TARGET_LENGTH))
    name: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(4), default="str")
    str_value: Mapped[str] = mapped_column(Text, default="")
    is_system: Mapped[bool] = mapped_column(default=False)


class GenericPropertyTemplate(CreatedMixin, Base):
    """A property an org expects on its devices, optionally limited to enumerated values."""

    __tablename__ = "generic_property_template"
    __table_args__ = (UniqueConstraint("org_id", "name"), one_of("type", PROPERTY_TYPES, "type"))

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = owned_by("org.id", index=False)
    name: Mapped[str] = mapped_column(String(40))
    type: Mapped[str] = mapped_column(String(4), default="str")
    default: Mapped[str] = mapped_column(Text, default="")
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    enums: Mapped[list[GenericPropertyTemplateEnum]] = relationship(
        back_populates="template", cascade="all, delete-orphan", passive_deletes=True
    )


class GenericPropertyTemplateEnum(CreatedMixin, Base):
    """One allowed value of a GenericPropertyTemplate."""

    __tablename__ = "generic_property_template_enum"
    __table_args__ = (UniqueConstraint("template_id", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = owned_by("generic_property_template.id", index=False)
    value: Mapped[str] = mapped_column(String(256))

    template: Mapped[GenericPropertyTemplate] = relationship(back_populates="enums")


class ConfigAttributeName(CreatedMixin, Base):
    """A declared configuration name, ``:a:b`` style (e.g. ``:classic:ui:trip``)."""

    __tablename__ = "config_attribute_name"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(default=list)


class ConfigAttribute(Base):
    """A JSON configuration value of a target (the service also writes a StreamNote per change)."""

    __tablename__ = "config_attribute"
    __table_args__ = (UniqueConstraint("target", "name_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(TARGET_LENGTH))
    name_id: Mapped[int] = owned_by("config_attribute_name.id")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_on: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = optional_ref("account.id", index=False)

    name: Mapped[ConfigAttributeName] = relationship()


class StreamNote(CreatedMixin, Base):
    """A timestamped note on a target; ``attachment`` is a blob key, not the file."""

    __tablename__ = "stream_note"
    __table_args__ = (Index(None, "target_slug", "timestamp"), one_of("type", NOTE_TYPES, "type"))

    id: Mapped[int] = mapped_column(primary_key=True)
    target_slug: Mapped[str] = mapped_column(String(TARGET_LENGTH))
    timestamp: Mapped[datetime]
    note: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(2), default="ui")
    attachment: Mapped[str | None] = mapped_column(String(255))


class DeviceLocation(Base):
    """Where a target was at a time (set by people or by GPS readings)."""

    __tablename__ = "device_location"
    __table_args__ = (Index(None, "target_slug", "timestamp"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    target_slug: Mapped[str] = mapped_column(String(TARGET_LENGTH))
    timestamp: Mapped[datetime]
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    user_id: Mapped[int | None] = optional_ref("account.id", index=False)
