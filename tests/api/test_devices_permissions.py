"""Every device endpoint × every caller, table-driven (claim and unclaim included); refused requests
change nothing. The org Api-Key's own door, production/device/, has its own table."""

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
    MODIFIERS,
    STAFF,
    Registry,
    Row,
    build_registry,
    fixed,
    run_row,
    snapshot,
)

D = f"/device/{DeviceSlug(CLAIMED).slug}"
USERS = frozenset(CALLERS) - {"anonymous", "apikey"}


def _serial(n: int) -> int:
    return 0x1000 + 16 * n


async def _create(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    return "/device/", {"id": _serial(n), "org": "acme-corp", "label": f"new {n}"}


async def _create_range(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    return "/device/range/", {"first": _serial(n), "count": 3, "org": "acme-corp", "sg": "water-meter-v1-1-0"}


async def _create_csv(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    return "/device/csv/", f"id,label,org\n{_serial(n)},first,acme-corp\n{_serial(n) + 1},second,acme-corp\n"


async def _fresh_in_org(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    device = await reg.device(_serial(n), org="acme-corp")
    return f"/device/{device.slug}/", None


async def _claim(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    device = await reg.device(_serial(n))
    return "/device/claim/", {"device": device.slug, "project": reg.project.uuid}


async def _unclaim(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    device = await reg.device(_serial(n), project=reg.project.uuid)
    return f"/device/{device.slug}/unclaim/", {"clean_streams": True}


ROWS = (
    Row("list", "GET", fixed("/device/"), USERS, org_scoped=False),
    Row("create", "POST", _create, ADMINS, 201),
    Row("create range", "POST", _create_range, ADMINS, 201),
    Row("create csv", "POST", _create_csv, ADMINS, 201),
    Row("detail", "GET", fixed(f"{D}/"), MEMBERS),
    Row("patch", "PATCH", fixed(f"{D}/", {"label": "Renamed", "lat": 45.5, "lon": -122.25}), MODIFIERS),
    Row("put", "PUT", fixed(f"{D}/", {"label": "Renamed", "state": "N1"}), MODIFIERS),
    Row("delete", "DELETE", _fresh_in_org, STAFF, 204),
    Row("status", "GET", fixed(f"{D}/status/"), MEMBERS),
    Row("health", "GET", fixed(f"{D}/health/"), MEMBERS),
    Row("health patch", "PATCH", fixed(f"{D}/health/", {"health_check_enabled": True}), MODIFIERS),
    Row("a-jwt key", "GET", fixed(f"{D}/key/?type=a-jwt"), MEMBERS),
    Row("claimable", "POST", fixed("/device/claimable/", {"slugs": [D[8:]]}), USERS, 202, org_scoped=False),
    Row("claim", "POST", _claim, ADMINS, 202),
    Row("unclaim", "POST", _unclaim, ADMINS, 202),
)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_device_endpoint_for_every_caller(api: Any, appliance: Appliance, row: Row) -> None:
    await run_row(await build_registry(appliance, api), row)


async def test_lists_show_only_the_callers_orgs(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    seen = {who: [d["slug"][-4:] for d in (await reg.call("GET", "/device/", who))[1]["results"]]
            for who in ("a0", "r1", "other", "outsider", "staff")}
    assert seen == {"a0": ["0010"], "r1": ["0010"], "other": ["0020"], "outsider": [], "staff": []}
    every = (await reg.call("GET", "/device/?staff=1", "staff"))[1]
    assert [d["slug"][-4:] for d in every["results"]] == ["0010", "0011", "0020"]
    assert (await reg.call("GET", "/device/?staff=1", "a0"))[1]["count"] == 1  # only staff may widen


PRODUCTION = (
    ("GET", "/production/device/", None, 200),
    ("GET", f"/production/device/{DeviceSlug(CLAIMED).slug}/", None, 200),
    ("POST", "/production/device/", {"id": 0x3000, "label": "line 1"}, 201),
    ("POST", "/production/device/range/", {"first": 0x3100, "last": 0x3104}, 201),
    ("POST", "/production/device/csv/", "id\n12800\n", 201),
    ("POST", "/production/device/create_virtual/", {"sg": "water-meter-v1-1-0", "user": "owner"}, 201),
)


@pytest.mark.parametrize("method,path,body,ok", PRODUCTION, ids=[f"{m} {p}" for m, p, _, _ in PRODUCTION])
async def test_production_device_is_the_api_keys_door(api: Any, appliance: Appliance, method: str, path: str,
                                                      body: Any, ok: int) -> None:
    """Only an org Api-Key gets in (the server's HasAuthAPIKey): people get 403, anonymous 401."""
    reg = await build_registry(appliance, api)
    for who in CALLERS:
        before = await snapshot(appliance)
        if isinstance(body, str):
            status, _ = await reg.call(method, path, who, data=body)
        else:
            status, _ = await reg.call(method, path, who, body)
        want = ok if who == "apikey" else 401 if who == "anonymous" else 403
        assert status == want, (who, status)
        if status >= 400:
            assert await snapshot(appliance) == before
