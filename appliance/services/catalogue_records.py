"""What the catalogue hands out: frozen records of var types, components, templates and sensor graphs.

Also the naming rules the real server applies on save (Django's ``slugify`` over name and version), so
an imported iotile.cloud catalogue keeps the slugs its devices and scripts already use.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from storage.metadata import (
    Component,
    DeviceTemplate,
    SensorGraph,
    VariableTemplate,
    VarType,
    VarTypeInputUnit,
    VarTypeOutputUnit,
)

# VariableTemplate.ctype -> StreamVariable/StreamId.raw_value_format, as the real server claims devices.
CTYPE_TO_RAW_FORMAT = {"int": "<l", "unsigned int": "<L", "auto": "auto"}
COMPONENT_TYPES = ("BTC", "SEN", "COM", "IOT")  # controller, sensor, communication, other IOTile
ENGINE_VERSIONS = (0, 1, 2)


def slugify(text: str) -> str:
    """Django's ``slugify``: ASCII, lower case, runs of dashes/spaces become one dash."""
    value = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    value = re.sub(r"[^\w\s-]", "", value.lower())
    return re.sub(r"[-\s]+", "-", value).strip("-_")


def var_type_slug(name: str) -> str:
    return slugify(name)


def unit_slug(direction: str, var_type: str, unit_full: str) -> str:
    """``in--<var type>--<unit>`` / ``out--...``: joined after slugify, so the double dashes stay."""
    return f"{direction}--{var_type}--{slugify(unit_full)}"


def component_slug(external_sku: str, major: int, minor: int, patch: int) -> str:
    return slugify(f"{external_sku}-{major}-{minor}-{patch}")


def versioned_slug(name: str, major: int, minor: int, patch: int) -> str:
    """Device templates and sensor graphs: ``<name>--v1-2-3`` slugified (so ``water-meter-v1-1-0``)."""
    return slugify(f"{name}--v{major}-{minor}-{patch}")


def plain(value: Any) -> Any:
    """A deep, JSON-only copy: records must not share mutable ORM JSON values."""
    return json.loads(json.dumps(value)) if value is not None else None


@dataclass(frozen=True)
class UnitRecord:
    id: int
    slug: str
    unit_full: str
    unit_short: str
    m: int
    d: int
    o: float
    decimal_places: int | None = None  # output units only
    derived_units: dict[str, Any] | None = None

    @classmethod
    def of(cls, row: VarTypeInputUnit | VarTypeOutputUnit) -> UnitRecord:
        if isinstance(row, VarTypeOutputUnit):
            return cls(row.id, row.slug, row.unit_full, row.unit_short or "", row.m, row.d, float(row.o),
                       row.decimal_places, plain(row.derived_units) or {})
        return cls(row.id, row.slug, row.unit_full, row.unit_short or "", row.m, row.d, float(row.o))


@dataclass(frozen=True)
class DecoderRecord:
    id: int
    raw_packet_format: str
    packet_info: dict[str, Any]


@dataclass(frozen=True)
class SchemaRecord:
    id: int
    keys: dict[str, Any]
    display_order: list[Any]


@dataclass(frozen=True)
class VarTypeRecord:
    id: int
    name: str
    slug: str
    storage_units_full: str
    stream_data_type: str
    is_encoded: bool
    input_units: tuple[UnitRecord, ...]
    output_units: tuple[UnitRecord, ...]
    decoder: DecoderRecord | None
    schema: SchemaRecord | None
    created_on: datetime

    @classmethod
    def of(cls, row: VarType) -> VarTypeRecord:
        decoder = None if row.decoder is None else DecoderRecord(
            row.decoder.id, row.decoder.raw_packet_format, plain(row.decoder.packet_info) or {})
        schema = None if row.schema is None else SchemaRecord(
            row.schema.id, plain(row.schema.keys) or {}, plain(row.schema.display_order) or [])
        return cls(row.id, row.name, row.slug, row.storage_units_full or "", row.stream_data_type,
                   decoder is not None,
                   tuple(UnitRecord.of(u) for u in sorted(row.input_units, key=lambda u: u.slug)),
                   tuple(UnitRecord.of(u) for u in sorted(row.output_units, key=lambda u: u.slug)),
                   decoder, schema, row.created_on)


@dataclass(frozen=True)
class ComponentRecord:
    id: int
    slug: str
    external_sku: str
    internal_sku: str
    type: str
    hw_tag: int
    hw_name: str
    major_version: int
    minor_version: int
    patch_version: int
    description: str
    active: bool
    org: str | None
    created_on: datetime

    @property
    def version(self) -> str:
        return f"v{self.major_version}.{self.minor_version}.{self.patch_version}"

    @classmethod
    def of(cls, row: Component, orgs: dict[int, str]) -> ComponentRecord:
        return cls(row.id, row.slug, row.external_sku, row.internal_sku or "", row.type or "", row.hw_tag,
                   row.hw_name or "", row.major_version, row.minor_version, row.patch_version,
                   row.description or "", row.active, orgs.get(row.org_id) if row.org_id else None, row.created_on)


@dataclass(frozen=True)
class SlotRecord:
    number: int
    component: str
    hw_tag: int


@dataclass(frozen=True)
class DeviceTemplateRecord:
    id: int
    slug: str
    external_sku: str
    internal_sku: str
    family: str
    description: str
    major_version: int
    minor_version: int
    patch_version: int
    os_tag: int
    os_major_version: int
    os_minor_version: int
    hw_tag: int
    hw_major_version: int
    released_on: date | None
    active: bool
    org: str | None
    slots: tuple[SlotRecord, ...]
    created_on: datetime

    @property
    def version(self) -> str:
        return f"v{self.major_version}.{self.minor_version}.{self.patch_version}"

    @classmethod
    def of(cls, row: DeviceTemplate, orgs: dict[int, str]) -> DeviceTemplateRecord:
        slots = tuple(SlotRecord(s.number, s.component.slug, s.component.hw_tag)
                      for s in sorted(row.slots, key=lambda s: s.number))
        return cls(row.id, row.slug, row.external_sku, row.internal_sku or "", row.family or "",
                   row.description or "", row.major_version, row.minor_version, row.patch_version, row.os_tag,
                   row.os_major_version, row.os_minor_version, row.hw_tag, row.hw_major_version, row.released_on,
                   row.active, orgs.get(row.org_id) if row.org_id else None, slots, row.created_on)


@dataclass(frozen=True)
class Names:
    """id -> slug maps for what catalogue rows point at by id."""

    orgs: dict[int, str] = field(default_factory=dict)
    project_templates: dict[int, str] = field(default_factory=dict)
    var_types: dict[int, str] = field(default_factory=dict)
    inputs: dict[int, str] = field(default_factory=dict)
    outputs: dict[int, str] = field(default_factory=dict)
    graphs: dict[int, str] = field(default_factory=dict)


def _name(names: dict[int, str], key: int | None) -> str | None:
    return names.get(key) if key is not None else None


@dataclass(frozen=True)
class VariableTemplateRecord:
    id: int
    sg: str
    label: str
    lid: int
    derived_lid: int | None
    var_type: str | None
    default_input_unit: str | None
    default_output_unit: str | None
    ctype: str
    m: int
    d: int
    o: float
    app_only: bool
    web_only: bool

    @property
    def lid_hex(self) -> str:
        return f"{self.lid:04x}"

    @property
    def derived_lid_hex(self) -> str:
        return f"{self.derived_lid:04x}" if self.derived_lid is not None else ""

    @property
    def raw_value_format(self) -> str:
        """What a StreamVariable created from this template uses to re-cast raw u32 values."""
        return CTYPE_TO_RAW_FORMAT.get(self.ctype, "<L")

    @classmethod
    def of(cls, row: VariableTemplate, names: Names) -> VariableTemplateRecord:
        return cls(row.id, names.graphs.get(row.sg_id, ""), row.label or "", row.lid, row.derived_lid,
                   _name(names.var_types, row.var_type_id), _name(names.inputs, row.default_input_unit_id),
                   _name(names.outputs, row.default_output_unit_id), row.ctype, row.m, row.d, float(row.o),
                   row.app_only, row.web_only)


@dataclass(frozen=True)
class SensorGraphRecord:
    id: int
    name: str
    slug: str
    description: str
    major_version: int
    minor_version: int
    patch_version: int
    org: str | None
    project_template: str | None
    report_processing_engine_ver: int
    app_tag: int
    app_major_version: int
    app_minor_version: int
    ui_extra: dict[str, Any]
    active: bool
    variable_templates: tuple[VariableTemplateRecord, ...]
    created_on: datetime

    @property
    def version(self) -> str:
        return f"v{self.major_version}.{self.minor_version}.{self.patch_version}"

    @property
    def app_version(self) -> str:
        return f"v{self.app_major_version}.{self.app_minor_version}"

    @classmethod
    def of(cls, row: SensorGraph, names: Names) -> SensorGraphRecord:
        ordered = sorted(row.variable_templates, key=lambda v: v.lid)
        variables = tuple(VariableTemplateRecord.of(v, names) for v in ordered)
        return cls(row.id, row.name, row.slug, row.description or "", row.major_version, row.minor_version,
                   row.patch_version, _name(names.orgs, row.org_id), _name(names.project_templates,
                                                                           row.project_template_id),
                   row.report_processing_engine_ver, row.app_tag, row.app_major_version, row.app_minor_version,
                   plain(row.ui_extra) or {}, row.active, variables, row.created_on)
