"""Every project endpoint × every caller (anonymous, an Api-Key, each role, staff, another org's owner,
an outsider), table-driven; refused requests must change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from appliance.app import Appliance
from appliance.slugs import DeviceSlug
from tests.api.registry_support import (
    ADMINS,
    CALLERS,
    CLAIMED,
    MEMBERS,
    STAFF,
    Registry,
    Row,
    build_registry,
    fixed,
    run_row,
)


async def _project(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    return f"/project/{reg.project.uuid}/", None


async def _fresh_project(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    project = await reg.appliance.projects.create(await reg.access("a0"), {"name": f"Doomed {n}", "org": "acme-corp"})
    return f"/project/{project.uuid}/", None


def _with(prepare: Any, body: Any) -> Any:
    async def wrapped(reg: Registry, who: str, n: int) -> tuple[str, Any]:
        path, _ = await prepare(reg, who, n)
        return path, body

    return wrapped


async def _new_body(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    return "/project/", {"name": f"Project {n}", "org": "acme-corp"}


async def _from_device(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    return "/project/new/", {"name": f"From device {n}", "org": "acme-corp", "device": DeviceSlug(CLAIMED).slug}


ROWS = (
    Row("list", "GET", fixed("/project/"), frozenset(CALLERS) - {"anonymous", "apikey"}, org_scoped=False),
    Row("create", "POST", _new_body, ADMINS, 201),
    Row("new from device", "POST", _from_device, ADMINS, 201),
    Row("detail", "GET", _project, MEMBERS),
    Row("detail by slug", "GET", fixed("/project/p--0000-0001/"), MEMBERS),
    Row("extra", "GET", fixed("/project/p--0000-0001/extra/"), MEMBERS),
    Row("patch", "PATCH", _with(_project, {"about": "Meters"}), ADMINS),
    Row("put", "PUT", _with(_project, {"name": "Water", "about": "Meters"}), ADMINS),
    Row("delete", "DELETE", _fresh_project, STAFF, 204, refused=400),
)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_project_endpoint_for_every_caller(api: Any, appliance: Appliance, row: Row) -> None:
    await run_row(await build_registry(appliance, api), row)


async def test_lists_show_only_the_callers_orgs(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    seen = {who: [p["name"] for p in (await reg.call("GET", "/project/", who))[1]["results"]]
            for who in ("a0", "r1", "other", "outsider", "staff")}
    assert seen == {"a0": ["Water"], "r1": ["Water"], "other": ["Elsewhere"], "outsider": [], "staff": []}
    staff_all = (await reg.call("GET", "/project/?staff=1", "staff"))[1]
    assert [p["name"] for p in staff_all["results"]] == ["Water", "Elsewhere"]
    assert (await reg.call("GET", "/project/?org__slug=other-org", "a0"))[0] == 404
    assert (await reg.call("GET", "/project/?org__slug=no-such-org", "a0"))[0] == 404
