"""The catalogue document: what ``export_json`` writes, ``import_json`` reads, and the shipped default.

One object in a document is exactly what ``PUT``/``POST`` accept for that kind (writable fields plus
its ``slug``, which is checked, never chosen), so an export re-imports unchanged and a GUI editor can
round-trip an object through the same validation as the API.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from appliance.errors import StartupError
from appliance.services.catalogue_parse import FORMAT, FORMAT_VERSION
from appliance.services.catalogue_records import (
    ComponentRecord,
    DeviceTemplateRecord,
    SensorGraphRecord,
    UnitRecord,
    VariableTemplateRecord,
    VarTypeRecord,
)

DEFAULT_RESOURCE = ("appliance", "data/catalogue.json")


def _unit_json(unit: UnitRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"slug": unit.slug, "unit_full": unit.unit_full, "unit_short": unit.unit_short,
                            "m": unit.m, "d": unit.d, "o": unit.o}
    if unit.decimal_places is not None:
        data.update(decimal_places=unit.decimal_places, derived_units=unit.derived_units or {})
    return data


def var_type_json(record: VarTypeRecord) -> dict[str, Any]:
    decoder = None if record.decoder is None else {
        "raw_packet_format": record.decoder.raw_packet_format, "packet_info": record.decoder.packet_info}
    schema = None if record.schema is None else {
        "keys": record.schema.keys, "display_order": record.schema.display_order}
    return {"name": record.name, "slug": record.slug, "storage_units_full": record.storage_units_full,
            "stream_data_type": record.stream_data_type,
            "available_input_units": [_unit_json(u) for u in record.input_units],
            "available_output_units": [_unit_json(u) for u in record.output_units],
            "decoder": decoder, "schema": schema}


def _versions(record: ComponentRecord | DeviceTemplateRecord | SensorGraphRecord) -> dict[str, int]:
    return {"major_version": record.major_version, "minor_version": record.minor_version,
            "patch_version": record.patch_version}


def component_json(record: ComponentRecord) -> dict[str, Any]:
    return {"external_sku": record.external_sku, "slug": record.slug, "internal_sku": record.internal_sku,
            "type": record.type, "hw_tag": record.hw_tag, "hw_name": record.hw_name, **_versions(record),
            "description": record.description, "active": record.active, "org": record.org}


def template_json(record: DeviceTemplateRecord) -> dict[str, Any]:
    return {"external_sku": record.external_sku, "slug": record.slug, "internal_sku": record.internal_sku,
            "family": record.family, "description": record.description, **_versions(record),
            "os_tag": record.os_tag, "os_major_version": record.os_major_version,
            "os_minor_version": record.os_minor_version, "hw_tag": record.hw_tag,
            "hw_major_version": record.hw_major_version,
            "released_on": record.released_on.isoformat() if record.released_on else None,
            "active": record.active, "org": record.org,
            "slots": [{"number": slot.number, "component": slot.component} for slot in record.slots]}


def variable_json(record: VariableTemplateRecord) -> dict[str, Any]:
    return {"label": record.label, "lid_hex": record.lid_hex, "derived_lid_hex": record.derived_lid_hex,
            "var_type": record.var_type, "default_input_unit": record.default_input_unit,
            "default_output_unit": record.default_output_unit, "ctype": record.ctype,
            "m": record.m, "d": record.d, "o": record.o, "app_only": record.app_only, "web_only": record.web_only}


def graph_json(record: SensorGraphRecord) -> dict[str, Any]:
    return {"name": record.name, "slug": record.slug, "description": record.description, **_versions(record),
            "org": record.org, "project_template": record.project_template,
            "report_processing_engine_ver": record.report_processing_engine_ver, "app_tag": record.app_tag,
            "app_major_version": record.app_major_version, "app_minor_version": record.app_minor_version,
            "ui_extra": record.ui_extra, "active": record.active,
            "variable_templates": [variable_json(v) for v in record.variable_templates]}


def document_json(var_types: list[VarTypeRecord], components: list[ComponentRecord],
                  templates: list[DeviceTemplateRecord], graphs: list[SensorGraphRecord]) -> dict[str, Any]:
    return {"format": FORMAT, "version": FORMAT_VERSION,
            "var_types": [var_type_json(r) for r in var_types],
            "components": [component_json(r) for r in components],
            "device_templates": [template_json(r) for r in templates],
            "sensor_graphs": [graph_json(r) for r in graphs]}


def load_default_document() -> Any:
    """The catalogue shipped inside the package (importlib.resources, so a PyInstaller build finds it)."""
    package, name = DEFAULT_RESOURCE
    try:
        text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
        return json.loads(text)
    except (OSError, ValueError) as err:
        raise StartupError(f"the default catalogue {name} cannot be read: {err}", key="default_catalogue") from err
