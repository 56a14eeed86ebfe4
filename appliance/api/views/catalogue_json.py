"""Catalogue objects on the wire, field for field as iotile.cloud's serializers write them.

VarTypeReadOnlySerializer, ComponentSerializer, DeviceTemplateSerializer (with DeviceSlotReadOnlySerializer),
SensorGraphSerializer (with VariableTemplateReadOnlySerializer) and VariableTemplateSerializer. Write-only
fields of the real serializers (``major_version`` of a template, ``app_major_version``...) appear only
as the composed ``version``/``os_version``/``app_version`` strings, as there.
"""

from __future__ import annotations

from typing import Any

from appliance.services.catalogue_records import (
    ComponentRecord,
    DeviceTemplateRecord,
    SensorGraphRecord,
    SlotRecord,
    UnitRecord,
    VariableTemplateRecord,
    VarTypeRecord,
)


def unit_wire(unit: UnitRecord) -> dict[str, Any]:
    data: dict[str, Any] = {"slug": unit.slug, "unit_full": unit.unit_full, "unit_short": unit.unit_short,
                            "m": unit.m, "d": unit.d, "o": unit.o}
    if unit.decimal_places is not None:
        data.update(decimal_places=unit.decimal_places, derived_units=unit.derived_units)
    return data


def var_type_wire(record: VarTypeRecord) -> dict[str, Any]:
    decoder = None if record.decoder is None else {
        "id": record.decoder.id, "raw_packet_format": record.decoder.raw_packet_format,
        "packet_info": record.decoder.packet_info}
    schema = None if record.schema is None else {
        "id": record.schema.id, "keys": record.schema.keys, "display_order": record.schema.display_order}
    return {"name": record.name, "slug": record.slug,
            "available_input_units": [unit_wire(u) for u in record.input_units],
            "available_output_units": [unit_wire(u) for u in record.output_units],
            "stream_data_type": record.stream_data_type, "decoder": decoder, "schema": schema,
            "storage_units_full": record.storage_units_full, "storage_units_short": ""}


def component_wire(record: ComponentRecord) -> dict[str, Any]:
    return {"id": record.id, "external_sku": record.external_sku, "internal_sku": record.internal_sku,
            "slug": record.slug, "type": record.type, "hw_tag": record.hw_tag, "hw_name": record.hw_name,
            "version": record.version, "description": record.description, "created_on": record.created_on}


def slot_wire(slot: SlotRecord) -> dict[str, Any]:
    return {"number": slot.number, "component": slot.component, "hw_tag": slot.hw_tag}


def template_wire(record: DeviceTemplateRecord) -> dict[str, Any]:
    return {"id": record.id, "external_sku": record.external_sku, "internal_sku": record.internal_sku,
            "family": record.family, "slug": record.slug, "org": record.org, "version": record.version,
            "os_tag": record.os_tag, "os_version": f"v{record.os_major_version}.{record.os_minor_version}",
            "hw_tag": record.hw_tag, "hw_version": f"v{record.hw_major_version}",
            "slots": [slot_wire(s) for s in record.slots], "created_on": record.created_on,
            "released_on": record.released_on}


def variable_wire(record: VariableTemplateRecord, *, with_sg: bool = False) -> dict[str, Any]:
    """In a sensor graph the template has no ``sg`` (the read-only serializer); alone it has."""
    data: dict[str, Any] = {"id": record.id, "label": record.label}
    if with_sg:
        data["sg"] = record.sg
    data.update(lid_hex=record.lid_hex, derived_lid_hex=record.derived_lid_hex, var_type=record.var_type,
                default_input_unit=record.default_input_unit, default_output_unit=record.default_output_unit,
                ctype=record.ctype, m=record.m, d=record.d, o=record.o, app_only=record.app_only,
                web_only=record.web_only)
    return data


def graph_wire(record: SensorGraphRecord) -> dict[str, Any]:
    return {"id": record.id, "name": record.name, "slug": record.slug, "org": record.org,
            "project_template": record.project_template,
            "variable_templates": [variable_wire(v) for v in record.variable_templates],
            "display_widget_templates": [], "ui_extra": record.ui_extra,
            "report_processing_engine_ver": record.report_processing_engine_ver,
            "major_version": record.major_version, "minor_version": record.minor_version,
            "patch_version": record.patch_version, "version": record.version, "app_tag": record.app_tag,
            "app_version": record.app_version, "created_on": record.created_on}
