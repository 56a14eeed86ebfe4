"""What a device is: hardware templates, components, and the sensor graphs it runs."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.metadata.base import Base, CreatedMixin, optional_ref, owned_by


class Component(CreatedMixin, Base):
    """A hardware tile (a DeviceTemplate is built from slots of these)."""

    __tablename__ = "component"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_sku: Mapped[str] = mapped_column(String(50))
    internal_sku: Mapped[str] = mapped_column(String(50), default="")
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    type: Mapped[str] = mapped_column(String(20), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    hw_tag: Mapped[int] = mapped_column(default=0)
    hw_name: Mapped[str] = mapped_column(String(20), default="")
    major_version: Mapped[int] = mapped_column(default=0)
    minor_version: Mapped[int] = mapped_column(default=0)
    patch_version: Mapped[int] = mapped_column(default=0)
    org_id: Mapped[int | None] = optional_ref("org.id")
    active: Mapped[bool] = mapped_column(default=True)


class DeviceTemplate(CreatedMixin, Base):
    """A product (SKU + hardware/OS version); devices point here, so it is never cascaded away."""

    __tablename__ = "device_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_sku: Mapped[str] = mapped_column(String(50))
    internal_sku: Mapped[str] = mapped_column(String(50), default="")
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    family: Mapped[str] = mapped_column(String(20), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    major_version: Mapped[int] = mapped_column(default=0)
    minor_version: Mapped[int] = mapped_column(default=0)
    patch_version: Mapped[int] = mapped_column(default=0)
    os_tag: Mapped[int] = mapped_column(default=0)
    os_major_version: Mapped[int] = mapped_column(default=0)
    os_minor_version: Mapped[int] = mapped_column(default=0)
    hw_tag: Mapped[int] = mapped_column(default=0)
    hw_major_version: Mapped[int] = mapped_column(default=0)
    released_on: Mapped[date | None]
    active: Mapped[bool] = mapped_column(default=True)
    org_id: Mapped[int | None] = optional_ref("org.id")

    slots: Mapped[list[DeviceSlot]] = relationship(
        back_populates="template", cascade="all, delete-orphan", passive_deletes=True
    )


class DeviceSlot(Base):
    """Component number ``number`` of a template."""

    __tablename__ = "device_slot"
    __table_args__ = (UniqueConstraint("template_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = owned_by("device_template.id", index=False)
    component_id: Mapped[int] = owned_by("component.id")
    number: Mapped[int]

    template: Mapped[DeviceTemplate] = relationship(back_populates="slots")
    component: Mapped[Component] = relationship()


class SensorGraph(CreatedMixin, Base):
    """The application a device runs; its VariableTemplates become StreamIds when claimed.

    ``report_processing_engine_ver`` selects how uploads are processed (0, 1 or 2 in iotile.cloud).
    """

    __tablename__ = "sensor_graph"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    major_version: Mapped[int] = mapped_column(default=0)
    minor_version: Mapped[int] = mapped_column(default=0)
    patch_version: Mapped[int] = mapped_column(default=0)
    org_id: Mapped[int | None] = optional_ref("org.id")
    project_template_id: Mapped[int | None] = optional_ref("project_template.id")
    report_processing_engine_ver: Mapped[int] = mapped_column(default=0)
    app_tag: Mapped[int] = mapped_column(default=0)
    app_major_version: Mapped[int] = mapped_column(default=0)
    app_minor_version: Mapped[int] = mapped_column(default=0)
    ui_extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    active: Mapped[bool] = mapped_column(default=True)

    variable_templates: Mapped[list[VariableTemplate]] = relationship(
        back_populates="sg", cascade="all, delete-orphan", passive_deletes=True
    )


class VariableTemplate(CreatedMixin, Base):
    """One variable (``lid``) of a sensor graph, with its default units and scaling (m/d/o)."""

    __tablename__ = "variable_template"
    __table_args__ = (UniqueConstraint("sg_id", "lid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sg_id: Mapped[int] = owned_by("sensor_graph.id", index=False)
    label: Mapped[str] = mapped_column(String(60))
    lid: Mapped[int]
    var_type_id: Mapped[int | None] = optional_ref("var_type.id")
    derived_lid: Mapped[int | None]
    ctype: Mapped[str] = mapped_column(String(16), default="unsigned int")
    m: Mapped[int] = mapped_column(default=1)
    d: Mapped[int] = mapped_column(default=1)
    o: Mapped[float] = mapped_column(default=0.0)
    default_input_unit_id: Mapped[int | None] = optional_ref("var_type_input_unit.id")
    default_output_unit_id: Mapped[int | None] = optional_ref("var_type_output_unit.id")
    app_only: Mapped[bool] = mapped_column(default=False)
    web_only: Mapped[bool] = mapped_column(default=False)

    sg: Mapped[SensorGraph] = relationship(back_populates="variable_templates")
