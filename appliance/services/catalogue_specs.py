"""Strict validation of catalogue input: API bodies and import documents share these field tables.

Every problem is collected with its path (``sensor_graphs[2].variable_templates[0].m``) before anything
is written, so an operator fixing a hand-edited catalogue sees all mistakes at once and a refused
document leaves the database untouched.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from appliance.errors import ValidationError
from appliance.services.catalogue_records import (
    COMPONENT_TYPES,
    CTYPE_TO_RAW_FORMAT,
    slugify,
)
from appliance.slugs import SlugError, parse_lid
from storage.metadata.models.codes import STREAM_DATA_TYPES

INT32 = (-(1 << 31), (1 << 31) - 1)
TAG_MAX = (1 << 20) - 1  # os_tag, hw_tag and app_tag are 20-bit numbers on the device
SLUG_MAX = 60
MAX_PROBLEMS = 100
REQUIRED: Any = object()

Check = Callable[[Any], Any]


class Bad(Exception):
    """One field's value is wrong; the message says why."""


class Problems:
    """Every mistake found in one body or document, each prefixed with where it is."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.messages.append(f"{path}: {message}" if path else message)

    def raise_if_any(self) -> None:
        if not self.messages:
            return
        more = len(self.messages) - 1
        summary = self.messages[0] + (f" (and {more} more problem{'s' if more > 1 else ''})" if more else "")
        raise ValidationError(summary, key="invalid_catalogue", detail={"errors": self.messages[:MAX_PROBLEMS]})


def join(path: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{path}[{name}]"
    return f"{path}.{name}" if path else name


# -- value checks ---------------------------------------------------------------------------------

def text(max_length: int, *, required: bool = False) -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise Bad("expected text")
        if required and not value.strip():
            raise Bad("must not be empty")
        if len(value) > max_length:
            raise Bad(f"at most {max_length} characters")
        return value
    return check


def integer(lo: int = INT32[0], hi: int = INT32[1], *, nonzero: bool = False) -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise Bad("expected an integer")
        if not lo <= value <= hi:
            raise Bad(f"must be between {lo} and {hi}")
        if nonzero and value == 0:
            raise Bad("must not be 0")
        return value
    return check


def number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Bad("expected a number")
    return float(value)


def flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Bad("expected true or false")
    return value


def one_of(values: Sequence[str]) -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str) or value not in values:
            raise Bad(f"must be one of {', '.join(repr(v) for v in values)}")
        return value
    return check


def json_object(value: Any) -> dict[str, Any]:
    """``null`` reads as ``{}``, as the real server's nullable JSON fields do."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Bad("expected an object")
    return copy.deepcopy(value)


def optional_object(value: Any) -> dict[str, Any] | None:
    if value is not None and not isinstance(value, dict):
        raise Bad("expected an object or null")
    return value


def listing(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Bad("expected a list")
    return value


def text_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise Bad("expected a list of strings")
    return list(value)


def reference(value: Any) -> str | None:
    """A slug pointing at another object; ``null`` or ``""`` (the real server's empty) mean none."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 80:
        raise Bad("expected a slug or null")
    return value


def day(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise Bad("expected a date YYYY-MM-DD or null")


def lid(value: Any) -> int:
    try:
        return parse_lid(value)
    except SlugError as err:
        raise Bad(f"expected a 4-digit hex variable id like '5001' ({err.message})") from None


def optional_lid(value: Any) -> int | None:
    return None if value is None or value == "" else lid(value)


# -- field tables ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Field:
    name: str
    check: Check
    default: Any = REQUIRED


def read(problems: Problems, path: str, data: Any, fields: Sequence[Field], *,
         partial: bool = False) -> dict[str, Any] | None:
    """The checked values of ``fields`` in ``data``, or None (with problems added) if any is wrong."""
    if not isinstance(data, dict):
        problems.add(path, "expected an object")
        return None
    before = len(problems.messages)
    known = {f.name for f in fields}
    for name in sorted(set(data) - known, key=str):
        problems.add(join(path, str(name)), "unknown field")
    values: dict[str, Any] = {}
    for spec in fields:
        if spec.name in data:
            try:
                values[spec.name] = spec.check(data[spec.name])
            except Bad as err:
                problems.add(join(path, spec.name), str(err))
        elif spec.default is REQUIRED:
            if not partial:
                problems.add(join(path, spec.name), "this field is required")
        elif not partial:
            values[spec.name] = copy.deepcopy(spec.default)
    return values if len(problems.messages) == before else None


def pick(values: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    return {name: values[name] for name in names if name in values}


def derived_slug(problems: Problems, path: str, given: str | None, derived: str) -> str | None:
    """Slugs are computed from names and versions; a given one must agree (so nothing is renamed by accident)."""
    if not derived:
        problems.add(path, "the name must contain letters or digits")
        return None
    if len(derived) > SLUG_MAX:
        problems.add(path, f"the slug {derived!r} would be over {SLUG_MAX} characters")
        return None
    if given is not None and given != derived:
        problems.add(join(path, "slug"), f"is {given!r} but the name and version make {derived!r}")
        return None
    return derived


def versions() -> tuple[Field, ...]:
    return (Field("major_version", integer(0), 0), Field("minor_version", integer(0), 0),
            Field("patch_version", integer(0), 0))


SLUG = Field("slug", text(SLUG_MAX), None)
VERSION_COLUMNS = ("major_version", "minor_version", "patch_version")

INPUT_UNIT_FIELDS = (
    Field("slug", text(80), None), Field("unit_full", text(50, required=True)), Field("unit_short", text(20), ""),
    Field("m", integer(), 1), Field("d", integer(nonzero=True), 1), Field("o", number, 0.0),
)
OUTPUT_UNIT_FIELDS = (*INPUT_UNIT_FIELDS, Field("decimal_places", integer(0, 15), 0),
                      Field("derived_units", json_object, {}))
UNIT_COLUMNS = ("unit_full", "unit_short", "m", "d", "o", "decimal_places", "derived_units")

VAR_TYPE_FIELDS = (
    Field("name", text(50, required=True)), SLUG, Field("storage_units_full", text(50), ""),
    Field("stream_data_type", one_of(STREAM_DATA_TYPES), "D0"),
    Field("available_input_units", listing, []), Field("available_output_units", listing, []),
    Field("decoder", optional_object, None), Field("schema", optional_object, None),
)
DECODER_FIELDS = (Field("raw_packet_format", text(32), ""), Field("packet_info", json_object, {}))
SCHEMA_FIELDS = (Field("keys", json_object, {}), Field("display_order", text_list, []))

COMPONENT_FIELDS = (
    Field("external_sku", text(50, required=True)), SLUG, Field("internal_sku", text(50), ""),
    Field("type", one_of(COMPONENT_TYPES)), Field("hw_tag", integer(0), 0), Field("hw_name", text(20), ""),
    *versions(), Field("description", text(10_000), ""), Field("active", flag, True), Field("org", reference, None),
)
COMPONENT_COLUMNS = ("external_sku", "internal_sku", "type", "hw_tag", "hw_name", *VERSION_COLUMNS, "description",
                     "active")

TEMPLATE_FIELDS = (
    Field("external_sku", text(50, required=True)), SLUG, Field("internal_sku", text(50), ""),
    Field("family", text(20), ""), Field("description", text(10_000), ""), *versions(),
    Field("os_tag", integer(0, TAG_MAX), 0), Field("os_major_version", integer(0), 0),
    Field("os_minor_version", integer(0), 0), Field("hw_tag", integer(0, TAG_MAX), 0),
    Field("hw_major_version", integer(0), 0), Field("released_on", day, None), Field("active", flag, True),
    Field("org", reference, None), Field("slots", listing, []),
)
TEMPLATE_COLUMNS = ("external_sku", "internal_sku", "family", "description", *VERSION_COLUMNS, "os_tag",
                    "os_major_version", "os_minor_version", "hw_tag", "hw_major_version", "released_on", "active")
SLOT_FIELDS = (Field("number", integer(0, 255)), Field("component", text(SLUG_MAX, required=True)))

GRAPH_FIELDS = (
    Field("name", text(50, required=True)), SLUG, Field("description", text(10_000), ""), *versions(),
    Field("org", reference, None), Field("project_template", reference, None),
    Field("report_processing_engine_ver", integer(0, 2), 0), Field("app_tag", integer(0, TAG_MAX), 0),
    Field("app_major_version", integer(0), 0), Field("app_minor_version", integer(0), 0),
    Field("ui_extra", json_object, {}), Field("active", flag, True), Field("variable_templates", listing, []),
)
GRAPH_COLUMNS = ("name", "description", *VERSION_COLUMNS, "report_processing_engine_ver", "app_tag",
                 "app_major_version", "app_minor_version", "ui_extra", "active")

VARIABLE_FIELDS = (
    Field("label", text(60), ""), Field("lid_hex", lid), Field("derived_lid_hex", optional_lid, None),
    Field("var_type", text(SLUG_MAX, required=True)), Field("default_input_unit", reference, None),
    Field("default_output_unit", reference, None), Field("ctype", one_of(tuple(CTYPE_TO_RAW_FORMAT)), "unsigned int"),
    Field("m", integer(), 1), Field("d", integer(nonzero=True), 1), Field("o", number, 0.0),
    Field("app_only", flag, False), Field("web_only", flag, False),
)
VARIABLE_COLUMNS = ("label", "ctype", "m", "d", "o", "app_only", "web_only")


def unit_name_ok(problems: Problems, path: str, unit_full: str) -> bool:
    if not slugify(unit_full):
        problems.add(join(path, "unit_full"), "must contain letters or digits")
        return False
    return True
