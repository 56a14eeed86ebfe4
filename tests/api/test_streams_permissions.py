"""Every variable and stream endpoint × every caller, table-driven; refused requests change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from appliance.app import Appliance
from appliance.slugs import DeviceSlug, StreamSlug, VariableSlug
from tests.api.registry_support import (
    CALLERS,
    CLAIMED,
    DEVELOPERS,
    MEMBERS,
    MODIFIERS,
    STAFF,
    Registry,
    Row,
    build_registry,
    fixed,
    run_row,
)

V = f"/variable/{VariableSlug(1, 0x5001).slug}/"
S = f"/stream/{StreamSlug(1, CLAIMED, 0x5001).slug}/"
USERS = frozenset(CALLERS) - {"anonymous", "apikey"}
READERS = frozenset({"a0", "a1", "m1", "d1", "staff"})  # can_read_stream_data: not the Operator


async def _new_variable(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    return "/variable/", {"name": f"Var {n}", "lid": 0x1000 + n, "project": reg.project.uuid, "units": "l"}


async def _fresh_variable(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    body = {"name": f"Var {n}", "lid": 0x2000 + n, "project": reg.project.uuid}
    variable = await reg.appliance.stream_ids.create_variable(await reg.access("staff"), body)
    return f"/variable/{variable.slug}/", None


async def _new_stream(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    path, _ = await _fresh_variable(reg, who, n)
    return "/stream/", {"variable": path.split("/")[2], "device": DeviceSlug(CLAIMED).slug, "data_label": "x"}


async def _fresh_stream(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    path, _ = await _fresh_variable(reg, who, n)
    stream = await reg.appliance.stream_ids.create_stream(await reg.access("staff"), {"variable": path.split("/")[2]})
    return f"/stream/{stream.slug}/", None


ROWS = (
    Row("variable list", "GET", fixed("/variable/"), USERS, org_scoped=False),
    Row("variable create", "POST", _new_variable, DEVELOPERS, 201),
    Row("variable detail", "GET", fixed(V), MEMBERS),
    Row("variable patch", "PATCH", fixed(V, {"about": "main meter", "units": "gal"}), MODIFIERS),
    Row("variable put", "PUT", fixed(V, {"name": "Water Volume", "decimal_places": 3}), MODIFIERS),
    Row("variable delete", "DELETE", _fresh_variable, STAFF, 204, refused=400),
    Row("stream list", "GET", fixed("/stream/"), USERS, org_scoped=False),
    Row("stream create", "POST", _new_stream, DEVELOPERS, 201),
    Row("stream detail", "GET", fixed(S), READERS),
    Row("stream disable", "PATCH", fixed(S, {"enabled": False}), MODIFIERS),
    Row("stream put", "PUT", fixed(S, {"data_label": "Main", "mdo_type": "S", "multiplication_factor": 2}), MODIFIERS),
    Row("stream delete", "DELETE", _fresh_stream, STAFF, 204, refused=400),
)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_stream_endpoint_for_every_caller(api: Any, appliance: Appliance, row: Row) -> None:
    await run_row(await build_registry(appliance, api), row)


async def test_lists_show_only_the_callers_orgs(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    for path, per_org in (("/variable/", 3), ("/stream/", 3)):
        counts = {who: (await reg.call("GET", path, who))[1]["count"] for who in ("a0", "r1", "other", "outsider")}
        assert counts == {"a0": per_org, "r1": per_org, "other": per_org, "outsider": 0}, path
        assert (await reg.call("GET", f"{path}?staff=1", "staff"))[1]["count"] == 2 * per_org
        mine = (await reg.call("GET", path, "a0"))[1]["results"]
        assert {item["org"] for item in mine} == {"acme-corp"}
