"""The catalogue service: the shipped default, export/import round trips, strict all-or-nothing imports, CLI."""

from __future__ import annotations

import argparse
import copy
import json
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from appliance import catalogue_cli
from appliance.datadir import DataDir
from appliance.errors import ValidationError
from appliance.services.catalogue import Catalogue
from appliance.services.catalogue_records import slugify, unit_slug, versioned_slug
from storage.metadata import MetadataStore


@pytest.fixture
async def catalogue(tmp_path: Path) -> AsyncIterator[Catalogue]:
    """A catalogue on a fresh, empty metadata database (no Appliance start in between)."""
    store = MetadataStore(tmp_path / "metadata.sqlite3")
    store.open()
    try:
        yield Catalogue(store)
    finally:
        store.close()


def shipped() -> dict[str, Any]:
    return dict(json.loads(resources.files("appliance").joinpath("data/catalogue.json").read_text("utf-8")))


@pytest.mark.parametrize(("text", "slug"), [
    ("POD-1G[g1] v2--v4-3-0", "pod-1gg1-v2-v4-3-0"), ("Water Meter--v1-1-0", "water-meter-v1-1-0"),
    ("POD-1M[ae1]--v1-0-0", "pod-1mae1-v1-0-0"), ("miniT-Ext: -15:15C", "minit-ext-1515c"), ("N/A", "na"),
    ("Barrels (Oil) / Min", "barrels-oil-min"), ("Température °C", "temperature-c"), ("  a__b  ", "a__b"),
])
def test_slugify_is_djangos(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_slug_rules() -> None:
    assert unit_slug("in", "water-meter-volume", "Gallons") == "in--water-meter-volume--gallons"
    assert versioned_slug("Shipping", 2, 3, 0) == "shipping-v2-3-0"


async def test_defaults_seed_an_empty_catalogue_once(catalogue: Catalogue) -> None:
    counts = await catalogue.ensure_defaults()
    assert counts is not None
    assert counts.created == {"var_types": 21, "components": 5, "device_templates": 5, "sensor_graphs": 5}
    first = await catalogue.export_json()
    assert await catalogue.ensure_defaults() is None
    assert await catalogue.export_json() == first
    assert first == shipped()  # the shipped file is already in export form: sorted, complete

    water = await catalogue.graph("water-meter-v1-1-0")
    assert [v.lid_hex for v in water.variable_templates] == ["100b", "100c", "100d", "100e", "5001", "5002"]
    assert water.report_processing_engine_ver == 2 and water.app_tag == 1027
    volume = await catalogue.var_type("water-meter-volume")
    assert {u.unit_full for u in volume.input_units} >= {"Gallons", "Liters", "Cubic Meters"}
    assert (await catalogue.var_type("accelerometer-event")).is_encoded
    temp = await catalogue.var_type("temp")
    assert {u.unit_full for u in temp.output_units} == {"Kelvin", "Celsius", "Fahrenheit"}
    names = {t.slug for t in (await catalogue.templates())[1]}
    assert {"water-meter-pod-v1-0-0", "temp-humidity-pod-v1-0-0", "pod-1mae1-v2-v2-7-0"} <= names


async def test_defaults_do_not_return_into_a_used_catalogue(catalogue: Catalogue) -> None:
    await catalogue.import_json({"var_types": [{"name": "Only One"}]})
    assert await catalogue.ensure_defaults() is None
    assert (await catalogue.var_types())[0] == 1
    added = await catalogue.add_defaults()
    assert added.created["sensor_graphs"] == 5 and added.skipped == {
        "var_types": 0, "components": 0, "device_templates": 0, "sensor_graphs": 0}
    assert (await catalogue.add_defaults()).skipped["var_types"] == 21


async def test_export_import_round_trip(catalogue: Catalogue, tmp_path: Path) -> None:
    await catalogue.ensure_defaults()
    document = await catalogue.export_json()
    again = await catalogue.import_json(json.dumps(document))
    assert again.updated == {"var_types": 21, "components": 5, "device_templates": 5, "sensor_graphs": 5}
    assert await catalogue.export_json() == document

    other_store = MetadataStore(tmp_path / "other.sqlite3")
    other_store.open()
    try:
        other = Catalogue(other_store)
        assert (await other.import_json(document)).created["sensor_graphs"] == 5
        assert await other.export_json() == document
    finally:
        other_store.close()


async def test_update_keeps_ids_and_units(catalogue: Catalogue) -> None:
    await catalogue.ensure_defaults()
    before = await catalogue.graph("shipping-v2-3-0")
    document = await catalogue.export_json()
    volume = next(v for v in document["var_types"] if v["slug"] == "water-meter-volume")
    volume["available_input_units"] = [u for u in volume["available_input_units"] if u["unit_full"] != "Gallons"]
    volume["available_input_units"][0]["m"] = 7
    await catalogue.import_json(document)
    after = await catalogue.graph("shipping-v2-3-0")
    assert [v.id for v in after.variable_templates] == [v.id for v in before.variable_templates]
    units = {u.unit_full: u for u in (await catalogue.var_type("water-meter-volume")).input_units}
    assert "Gallons" in units  # an import never drops a unit
    assert units[volume["available_input_units"][0]["unit_full"]].m == 7


def _broken(change: str) -> Any:
    document: dict[str, Any] = copy.deepcopy(shipped())
    document["var_types"].append({"name": "Brand New"})  # would be created if anything were stored
    graph = document["sensor_graphs"][0]
    variable = graph["variable_templates"][0]
    if change == "wrong type":
        variable["m"] = "1"
    elif change == "unknown var type":
        variable["var_type"] = "no-such-type"
    elif change == "unit of another var type":
        variable["default_input_unit"] = "in--water-meter-volume--gallons"
    elif change == "duplicate slug":
        document["sensor_graphs"].append(copy.deepcopy(graph))
    elif change == "duplicate lid":
        graph["variable_templates"].append(copy.deepcopy(variable))
    elif change == "unknown field":
        document["widgets"] = []
    elif change == "bad lid":
        variable["lid_hex"] = "xyz"
    elif change == "slug mismatch":
        graph["slug"] = "renamed-v1-0-0"
    elif change == "unknown component":
        template = next(t for t in document["device_templates"] if t["slots"])
        template["slots"][0]["component"] = "btc9-0-0-0"
    elif change == "wrong format":
        document["format"] = "something-else"
    elif change == "truncated":
        return json.dumps(document)[:5000]
    return document


@pytest.mark.parametrize("change", [
    "wrong type", "unknown var type", "unit of another var type", "duplicate slug", "duplicate lid",
    "unknown field", "bad lid", "slug mismatch", "unknown component", "wrong format", "truncated",
])
async def test_bad_documents_change_nothing(catalogue: Catalogue, change: str) -> None:
    await catalogue.ensure_defaults()
    before = await catalogue.export_json()
    with pytest.raises(ValidationError) as raised:
        await catalogue.import_json(_broken(change))
    assert raised.value.status == 400 and raised.value.message
    assert await catalogue.export_json() == before


async def test_every_problem_is_listed(catalogue: Catalogue) -> None:
    document = {"var_types": [{"name": 1}, {"name": "X", "available_input_units": [{"unit_full": "A", "d": 0}]}],
                "sensor_graphs": [{"name": "G", "app_tag": -1}]}
    with pytest.raises(ValidationError) as raised:
        await catalogue.import_json(document)
    assert raised.value.detail["errors"] == [
        "var_types[0].name: expected text", "var_types[1].available_input_units[0].d: must not be 0",
        "sensor_graphs[0].app_tag: must be between 0 and 1048575"]
    assert "(and 2 more problems)" in raised.value.message
    assert await catalogue.export_json() == {"format": "iotile-appliance-catalogue", "version": 1, "var_types": [],
                                             "components": [], "device_templates": [], "sensor_graphs": []}


async def test_a_document_may_point_at_what_it_adds(catalogue: Catalogue) -> None:
    document = {"var_types": [{"name": "Lux", "available_input_units": [{"unit_full": "Lux"}]}],
                "components": [{"external_sku": "Tile-L", "type": "SEN"}],
                "device_templates": [{"external_sku": "Light POD",
                                      "slots": [{"number": 1, "component": "tile-l-0-0-0"}]}],
                "sensor_graphs": [{"name": "Light", "variable_templates": [
                    {"lid_hex": 20481, "var_type": "lux", "default_input_unit": "in--lux--lux", "ctype": "auto"}]}]}
    counts = await catalogue.import_json(document)
    assert sum(counts.created.values()) == 4
    variable = (await catalogue.graph("light-v0-0-0")).variable_templates[0]
    assert (variable.lid_hex, variable.default_input_unit) == ("5001", "in--lux--lux")
    assert variable.raw_value_format == "auto"


def _cli_args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    catalogue_cli.add_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["catalogue", *argv])


async def test_cli_export_import_defaults(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    DataDir(data_dir).create()
    store = MetadataStore(DataDir(data_dir).metadata)
    store.open()
    store.close()
    lines: list[str] = []
    await catalogue_cli.run(_cli_args("defaults"), data_dir, lines.append)
    assert "created 21 var types" in lines[-1]
    out = tmp_path / "cat.json"
    await catalogue_cli.run(_cli_args("export", "-o", str(out)), data_dir, lines.append)
    assert json.loads(out.read_text()) == shipped()
    await catalogue_cli.run(_cli_args("import", str(out), "--existing", "skip"), data_dir, lines.append)
    assert lines[-1].startswith("Imported: skipped 21 var types")
    out.write_text('{"var_types": [{"name": 3}, {"name": ""}]}')
    with pytest.raises(ValidationError):
        await catalogue_cli.run(_cli_args("import", str(out)), data_dir, lines.append)
    assert lines[-1] == "  also: var_types[1].name: must not be empty"
