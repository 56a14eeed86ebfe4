"""Stream variables and stream ids as the services hand them out, and the fields clients may send."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from appliance.services import fieldspec as fs
from appliance.slugs import BlockSlug, DeviceSlug, ProjectSlug, StreamSlug, VariableSlug, parse_lid
from storage.metadata import DataBlock, VarTypeInputUnit, VarTypeOutputUnit
from storage.metadata.models import STREAM_DATA_TYPES
from storage.metadata.repos import streams as repo

# A raw reading is an unsigned 32-bit word re-read with this struct format, so only standard-size
# formats of at most four bytes make sense ('<L' unsigned, '<l' signed, '<f' float, '<H'...), or
# 'auto' for values that did not come from a report.
_RAW_FORMAT = re.compile(r"^[<>!=][bBhHiIlLf]$")


def raw_value_format(name: str, value: Any) -> str:
    if value == "auto" or (isinstance(value, str) and _RAW_FORMAT.match(value)):
        return str(value)
    raise fs.invalid(name, f"{value!r} is not 'auto' or a struct format such as '<L', '<l', '<f', '<H' or '<h'")


def lid(name: str, value: Any) -> int:
    return parse_lid(value)


def divisor(name: str, value: Any) -> int:
    number: int = fs.integer(-(2**31), 2**31 - 1)(name, value)
    if number == 0:
        raise fs.invalid(name, "may not be 0")
    return number


def unit_ref(name: str, value: Any) -> str | None:
    """A unit by slug; the nested object a GET returns (``{"slug": ...}``) is taken too."""
    if isinstance(value, dict) and "slug" in value:
        value = value["slug"]
    result: str | None = fs.nullable(fs.text(80))(name, value)
    return result


_FACTOR = fs.integer(-(2**31), 2**31 - 1)
_MDO = {"multiplication_factor": _FACTOR, "division_factor": divisor, "offset": fs.number(-1e15, 1e15)}
_UNITS = {"input_unit": unit_ref, "output_unit": unit_ref}
VARIABLE = fs.Spec(
    {"name": fs.text(60, blank=False), "lid": lid, "project": fs.text(36), "var_type": fs.nullable(fs.text(60)),
     **_UNITS, "about": fs.text(10_000), "units": fs.text(50), **_MDO, "decimal_places": fs.integer(0, 20),
     "raw_value_format": raw_value_format, "app_only": fs.boolean, "web_only": fs.boolean,
     "mdo_label": fs.ignored, "derived_variable": fs.ignored},
    read_only=frozenset({"id", "org", "slug", "created_on"}),
    required=frozenset({"name", "lid", "project"}))
STREAM_CREATE = fs.Spec(
    {"variable": fs.text(40, blank=False), "device": fs.nullable(fs.text(24)), "data_label": fs.text(100),
     "data_type": fs.choice(STREAM_DATA_TYPES)},
    read_only=frozenset({"id", "project", "org", "slug", "created_on", "created_by", "var_type",
                         "multiplication_factor", "division_factor", "offset"}),
    required=frozenset({"variable"}))
STREAM_UPDATE = fs.Spec(
    {"data_label": fs.text(100), "enabled": fs.boolean, "mdo_type": fs.choice(("V", "S")),
     **{name: fs.nullable(parse) for name, parse in _MDO.items()}, **_UNITS,
     "raw_value_format": raw_value_format, "data_type": fs.choice(STREAM_DATA_TYPES)},
    read_only=frozenset({"id", "project_id", "project", "device", "block", "variable", "var_type", "var_name",
                         "var_lid", "org", "created_on", "slug", "mdo_label", "derived_stream"}))


@dataclass(frozen=True)
class UnitRecord:
    """An input or output unit as the server nests it in variables and streams."""

    slug: str
    unit_full: str
    unit_short: str
    m: int
    d: int
    o: float
    decimal_places: int | None = None
    derived_units: dict[str, Any] | None = None

    @classmethod
    def of(cls, unit: VarTypeInputUnit | VarTypeOutputUnit | None) -> UnitRecord | None:
        if unit is None:
            return None
        if isinstance(unit, VarTypeOutputUnit):
            return cls(unit.slug, unit.unit_full, unit.unit_short, unit.m, unit.d, unit.o, unit.decimal_places,
                       dict(unit.derived_units or {}))
        return cls(unit.slug, unit.unit_full, unit.unit_short, unit.m, unit.d, unit.o)


@dataclass(frozen=True)
class VariableRecord:
    id: int
    project_gid: int
    project_uuid: str
    org_id: int
    org: str
    lid: int
    name: str
    about: str
    var_type: str | None
    var_type_id: int | None
    input_unit: UnitRecord | None
    output_unit: UnitRecord | None
    units: str
    multiplication_factor: int
    division_factor: int
    offset: float
    decimal_places: int
    raw_value_format: str
    app_only: bool
    web_only: bool
    created_on: datetime

    @property
    def slug(self) -> str:
        return VariableSlug(self.project_gid, self.lid).slug

    @classmethod
    def of(cls, row: repo.VariableRow) -> VariableRecord:
        var, project_uuid, org_id, org_slug, var_type, in_unit, out_unit = row
        return cls(var.id, var.project_id, project_uuid, org_id, org_slug, var.lid, var.name, var.about or "",
                   var_type, var.var_type_id, UnitRecord.of(in_unit), UnitRecord.of(out_unit), var.units or "",
                   var.multiplication_factor, var.division_factor, var.offset, var.decimal_places,
                   var.raw_value_format, var.app_only, var.web_only, var.created_on)


@dataclass(frozen=True)
class StreamRecord:
    id: int
    project_gid: int
    device_gid: int
    lid: int
    org_id: int
    org: str
    project_uuid: str | None
    device_id: int | None
    block: str | None
    var_name: str
    var_type: str | None
    var_type_id: int | None
    data_type: str
    input_unit: UnitRecord | None
    output_unit: UnitRecord | None
    data_label: str
    raw_value_format: str
    mdo_type: str
    multiplication_factor: int | None
    division_factor: int | None
    offset: float | None
    is_encoded: bool
    enabled: bool
    created_on: datetime

    @property
    def slug(self) -> str:
        return StreamSlug(self.project_gid, self.device_gid, self.lid).slug

    @property
    def project(self) -> str:
        return ProjectSlug(self.project_gid).slug

    @property
    def variable(self) -> str:
        """Derived from the slug, as the server's get_variable() does (even for archived streams)."""
        return VariableSlug(self.project_gid, self.lid).slug

    @property
    def device(self) -> str | None:
        return DeviceSlug(self.device_id).slug if self.device_id is not None else None

    @classmethod
    def of(cls, row: repo.StreamRow) -> StreamRecord:
        stream, org_slug, project_uuid, variable, block, in_unit, out_unit, var_type = row
        return cls(stream.id, stream.project_gid, stream.device_gid, stream.var_lid, stream.org_id, org_slug,
                   project_uuid, stream.device_id, _block_slug(block), variable.name if variable else "",
                   var_type, stream.var_type_id, stream.data_type, UnitRecord.of(in_unit), UnitRecord.of(out_unit),
                   stream.data_label or "", stream.raw_value_format, stream.mdo_type, stream.multiplication_factor,
                   stream.division_factor, stream.offset, stream.is_encoded, stream.enabled, stream.created_on)


def _block_slug(block: DataBlock | None) -> str | None:
    if block is None:
        return None
    return BlockSlug(block.block, block.device_id).slug

