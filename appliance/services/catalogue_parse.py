"""Turning checked JSON into the ``...Values`` the catalogue repos write, one object or a whole document.

Only the shape is checked here (types, ranges, slugs, duplicates inside the document); whether the
var types, components, orgs and units it points at exist is checked in the write transaction, where the
answer cannot change before the commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from appliance.services.catalogue_records import component_slug, unit_slug, var_type_slug, versioned_slug
from appliance.services.catalogue_specs import (
    COMPONENT_COLUMNS,
    COMPONENT_FIELDS,
    DECODER_FIELDS,
    GRAPH_COLUMNS,
    GRAPH_FIELDS,
    INPUT_UNIT_FIELDS,
    OUTPUT_UNIT_FIELDS,
    SCHEMA_FIELDS,
    SLOT_FIELDS,
    TEMPLATE_COLUMNS,
    TEMPLATE_FIELDS,
    UNIT_COLUMNS,
    VAR_TYPE_FIELDS,
    VARIABLE_COLUMNS,
    VARIABLE_FIELDS,
    Field,
    Problems,
    derived_slug,
    integer,
    join,
    listing,
    one_of,
    pick,
    read,
    unit_name_ok,
)
from storage.metadata.repos.catalogue import UnitValues, VarTypeValues
from storage.metadata.repos.catalogue_templates import (
    ComponentValues,
    GraphValues,
    SlotValues,
    TemplateValues,
    VariableValues,
)

FORMAT = "iotile-appliance-catalogue"
FORMAT_VERSION = 1
DOCUMENT_FIELDS = (
    Field("format", one_of((FORMAT,)), FORMAT), Field("version", integer(FORMAT_VERSION, FORMAT_VERSION), 1),
    Field("var_types", listing, []), Field("components", listing, []),
    Field("device_templates", listing, []), Field("sensor_graphs", listing, []),
)

V = TypeVar("V")


@dataclass(frozen=True)
class CatalogueDocument:
    var_types: tuple[VarTypeValues, ...] = ()
    components: tuple[ComponentValues, ...] = ()
    device_templates: tuple[TemplateValues, ...] = ()
    sensor_graphs: tuple[GraphValues, ...] = ()

    @property
    def size(self) -> int:
        return len(self.var_types) + len(self.components) + len(self.device_templates) + len(self.sensor_graphs)


def _units(problems: Problems, path: str, items: list[Any], direction: str, var_type: str,
           fields: Sequence[Field]) -> tuple[UnitValues, ...]:
    units: list[UnitValues] = []
    for index, item in enumerate(items):
        where = join(path, index)
        values = read(problems, where, item, fields)
        if values is None or not unit_name_ok(problems, where, values["unit_full"]):
            continue
        slug = unit_slug(direction, var_type, values["unit_full"])
        if values["slug"] is not None and values["slug"] != slug:
            problems.add(join(where, "slug"), f"is {values['slug']!r} but unit_full makes {slug!r}")
            continue
        units.append(UnitValues(slug, pick(values, UNIT_COLUMNS)))
    _unique(problems, path, [u.slug for u in units], "unit")
    return tuple(units)


def parse_var_type(problems: Problems, path: str, data: Any) -> VarTypeValues | None:
    before = len(problems.messages)
    values = read(problems, path, data, VAR_TYPE_FIELDS)
    if values is None:
        return None
    slug = derived_slug(problems, path, values["slug"], var_type_slug(values["name"]))
    if slug is None:
        return None
    inputs = _units(problems, join(path, "available_input_units"), values["available_input_units"], "in", slug,
                    INPUT_UNIT_FIELDS)
    outputs = _units(problems, join(path, "available_output_units"), values["available_output_units"], "out", slug,
                     OUTPUT_UNIT_FIELDS)
    decoder = schema = None
    if values["decoder"] is not None:
        decoder = read(problems, join(path, "decoder"), values["decoder"], DECODER_FIELDS)
    if values["schema"] is not None:
        schema = read(problems, join(path, "schema"), values["schema"], SCHEMA_FIELDS)
    if len(problems.messages) != before:
        return None
    columns = pick(values, ("name", "storage_units_full", "stream_data_type"))
    return VarTypeValues(slug, columns, inputs, outputs, decoder, schema)


def parse_component(problems: Problems, path: str, data: Any) -> ComponentValues | None:
    values = read(problems, path, data, COMPONENT_FIELDS)
    if values is None:
        return None
    slug = derived_slug(problems, path, values["slug"], component_slug(
        values["external_sku"], values["major_version"], values["minor_version"], values["patch_version"]))
    return ComponentValues(slug, pick(values, COMPONENT_COLUMNS), values["org"]) if slug else None


def parse_slots(problems: Problems, path: str, items: list[Any]) -> tuple[SlotValues, ...]:
    slots = [SlotValues(v["number"], v["component"]) for index, item in enumerate(items)
             if (v := read(problems, join(path, index), item, SLOT_FIELDS)) is not None]
    _unique(problems, path, [str(slot.number) for slot in slots], "slot number")
    return tuple(slots)


def parse_template(problems: Problems, path: str, data: Any) -> TemplateValues | None:
    before = len(problems.messages)
    values = read(problems, path, data, TEMPLATE_FIELDS)
    if values is None:
        return None
    slug = derived_slug(problems, path, values["slug"], versioned_slug(
        values["external_sku"], values["major_version"], values["minor_version"], values["patch_version"]))
    slots = parse_slots(problems, join(path, "slots"), values["slots"])
    if slug is None or len(problems.messages) != before:
        return None
    return TemplateValues(slug, pick(values, TEMPLATE_COLUMNS), values["org"], slots)


def parse_variable(problems: Problems, path: str, data: Any,
                   fields: Sequence[Field] = VARIABLE_FIELDS) -> tuple[VariableValues, dict[str, Any]] | None:
    """The variable template, and the raw checked values (for fields outside the table, like ``sg``)."""
    values = read(problems, path, data, fields)
    if values is None:
        return None
    columns = {**pick(values, VARIABLE_COLUMNS), "derived_lid": values["derived_lid_hex"]}
    variable = VariableValues(values["lid_hex"], columns, values["var_type"], values["default_input_unit"],
                              values["default_output_unit"])
    return variable, values


def parse_graph(problems: Problems, path: str, data: Any) -> GraphValues | None:
    before = len(problems.messages)
    values = read(problems, path, data, GRAPH_FIELDS)
    if values is None:
        return None
    slug = derived_slug(problems, path, values["slug"], versioned_slug(
        values["name"], values["major_version"], values["minor_version"], values["patch_version"]))
    where = join(path, "variable_templates")
    variables = [parsed[0] for index, item in enumerate(values["variable_templates"])
                 if (parsed := parse_variable(problems, join(where, index), item)) is not None]
    _unique(problems, where, [f"{v.lid:04x}" for v in variables], "lid")
    if slug is None or len(problems.messages) != before:
        return None
    return GraphValues(slug, pick(values, GRAPH_COLUMNS), values["org"], values["project_template"],
                       tuple(variables))


def _unique(problems: Problems, path: str, keys: Sequence[str], what: str) -> None:
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            problems.add(path, f"duplicate {what} {key!r}")
        seen.add(key)


def _each(problems: Problems, name: str, items: list[Any],
          parse: Callable[[Problems, str, Any], V | None]) -> tuple[V, ...]:
    parsed = [value for index, item in enumerate(items)
              if (value := parse(problems, join(name, index), item)) is not None]
    _unique(problems, name, [getattr(value, "slug", "") for value in parsed], "slug")
    return tuple(parsed)


def parse_document(data: Any) -> CatalogueDocument:
    """A whole catalogue document, or ValidationError listing every problem in it."""
    problems = Problems()
    values = read(problems, "", data, DOCUMENT_FIELDS)
    problems.raise_if_any()
    assert values is not None
    document = CatalogueDocument(
        _each(problems, "var_types", values["var_types"], parse_var_type),
        _each(problems, "components", values["components"], parse_component),
        _each(problems, "device_templates", values["device_templates"], parse_template),
        _each(problems, "sensor_graphs", values["sensor_graphs"], parse_graph),
    )
    problems.raise_if_any()
    return document


def parse_one(data: Any, parse: Callable[[Problems, str, Any], V | None]) -> V:
    """One object from an API body; errors name its fields without a prefix."""
    problems = Problems()
    value = parse(problems, "", data)
    problems.raise_if_any()
    assert value is not None
    return value

