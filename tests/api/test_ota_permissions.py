"""Every OTA endpoint × every caller (anonymous, an Api-Key, each role, staff, another org's owner, an
outsider), table-driven as the server's role matrix says: only Developers (d1) and staff hold
can_manage_ota; Owners and Admins do not. Refused requests must change nothing."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from appliance.app import Appliance
from tests.api.registry_support import API, CALLERS, MEMBERS, expected
from tests.api.test_ota_support import (
    CLAIMED_SLUG,
    OtaWorld,
    build_ota,
    names,
    new_fleet,
    new_request,
    new_script,
    snapshot,
)

DEVELOPERS = frozenset({"d1", "staff"})  # can_manage_ota
EVERYONE = frozenset(CALLERS) - {"anonymous", "apikey"}
STAFF = frozenset({"staff"})


async def _fixed(ota: OtaWorld, path: str) -> tuple[str, Any]:
    return path.format(w=ota), None


def fixed(path: str, body: Any = None) -> Any:
    async def prepare(ota: OtaWorld, who: str) -> tuple[str, Any]:
        return path.format(w=ota), body(ota) if callable(body) else body

    return prepare


async def _fresh_script(ota: OtaWorld, who: str) -> tuple[str, Any]:
    return f"/ota/script/{await new_script(ota.reg)}/", None


async def _script_patch(ota: OtaWorld, who: str) -> tuple[str, Any]:
    return f"/ota/script/{await new_script(ota.reg)}/", {"name": f"Renamed {next(names)}", "released": True}


async def _script_body(ota: OtaWorld, who: str) -> tuple[str, Any]:
    return "/ota/script/", {"name": f"New {next(names)}", "org": ota.org, "version": "2.1.0"}


async def _request_body(ota: OtaWorld, who: str) -> tuple[str, Any]:
    return "/ota/request/", {"script": ota.script, "org": ota.org, "fleet": ota.fleet,
                             "selection_criteria": ["os_version:gte:1.0"]}


async def _fresh_request(ota: OtaWorld, who: str) -> tuple[str, Any]:
    return f"/ota/request/{await new_request(ota.reg, ota.script, fleet=await new_fleet(ota.reg))}/", None


async def _request_patch(ota: OtaWorld, who: str) -> tuple[str, Any]:
    return (await _fresh_request(ota, who))[0], {"selection_criteria": ["app_version:lt:3.0"]}


async def _fresh_action(ota: OtaWorld, who: str) -> tuple[str, Any]:
    request = await new_request(ota.reg, ota.script)
    action = await ota.reg.appliance.ota.actions.create(await ota.reg.access("r1"),
                                                        {"deployment": request, "device": CLAIMED_SLUG})
    return f"/ota/action/{action.id}/?staff=1", None


async def _fresh_version(ota: OtaWorld, who: str) -> tuple[str, Any]:
    version = await ota.reg.appliance.ota.versions.create(
        await ota.reg.access("staff"), {"device": CLAIMED_SLUG, "type": "os", "tag": 7}, staff_mode=True)
    return f"/ota/version/{version.id}/?staff=1", None


def _action_body(ota: OtaWorld) -> dict[str, Any]:
    return {"deployment": ota.request, "device": CLAIMED_SLUG, "attempt_successful": True,
            "last_attempt_on": "2026-01-08T10:00:00Z", "log": "ok"}


# name, method, prepare, allowed, ok, code for members without the right, org scoped (non-members 404)
ROWS = (
    ("script list", "GET", fixed("/ota/script/"), EVERYONE, 200, 403, False),
    ("script create", "POST", _script_body, DEVELOPERS, 201, 403, True),
    ("script detail", "GET", fixed("/ota/script/{w.script}/"), MEMBERS, 200, 403, True),
    ("script patch", "PATCH", _script_patch, DEVELOPERS, 200, 403, True),
    ("script put", "PUT", _script_patch, DEVELOPERS, 200, 403, True),
    ("script delete", "DELETE", _fresh_script, DEVELOPERS, 204, 403, True),
    ("script file", "GET", fixed("/ota/script/{w.script}/file/"), MEMBERS, 200, 403, True),
    ("script download", "GET", fixed("/ota/script/{w.script}/file/download/"), MEMBERS, 200, 403, True),
    ("request list", "GET", fixed("/ota/request/"), EVERYONE, 200, 403, False),
    ("request create", "POST", _request_body, DEVELOPERS, 201, 403, True),
    ("request detail", "GET", fixed("/ota/request/{w.request}/"), MEMBERS, 200, 403, True),
    ("request patch", "PATCH", _request_patch, DEVELOPERS, 200, 403, True),
    ("request put", "PUT", _request_patch, DEVELOPERS, 200, 403, True),
    ("request delete", "DELETE", _fresh_request, DEVELOPERS, 204, 403, True),
    ("request devices", "GET", fixed("/ota/request/{w.request}/devices/"), MEMBERS, 200, 403, True),
    ("action list", "GET", fixed("/ota/action/"), EVERYONE, 200, 403, False),
    ("action create", "POST", fixed("/ota/action/", _action_body), MEMBERS, 201, 400, False),
    ("action detail", "GET", fixed("/ota/action/{w.action}/"), MEMBERS, 200, 403, True),
    ("action patch", "PATCH", fixed("/ota/action/{w.action}/?staff=1", {"log": "fixed"}), STAFF, 200, 403, False),
    ("action put", "PUT", fixed("/ota/action/{w.action}/?staff=1", {"log": "fixed"}), STAFF, 200, 403, False),
    ("action delete", "DELETE", _fresh_action, STAFF, 204, 403, False),
    ("version list", "GET", fixed("/ota/version/"), EVERYONE, 200, 403, False),
    ("version create", "POST", fixed("/ota/version/?staff=1", {"device": CLAIMED_SLUG, "type": "os", "tag": 9}),
     STAFF, 201, 403, False),
    ("version detail", "GET", fixed("/ota/version/{w.version}/"), MEMBERS, 200, 403, True),
    ("version delete", "DELETE", _fresh_version, STAFF, 204, 403, False),
    ("device info", "GET", fixed(f"/ota/device/{CLAIMED_SLUG}/"), MEMBERS, 200, 403, True),
)


@pytest.fixture
async def ota(api: Any, appliance: Appliance) -> OtaWorld:
    return await build_ota(appliance, api)


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
async def test_ota_endpoint_for_every_caller(ota: OtaWorld, row: tuple[Any, ...]) -> None:
    name, method, prepare, allowed, ok, refused, scoped = row
    for who in CALLERS:
        path, body = await prepare(ota, who)
        before = await snapshot(ota.reg.appliance)
        resp = await ota.reg.api.request(method, f"{API}{path}", headers=ota.reg.headers(who),
                                         **({"json": body} if body is not None else {}))
        want = expected(who, allowed, ok, refused=refused, org_scoped=scoped)
        if who in ("other", "outsider") and name == "action create":
            want = 400  # the body's deployment and device read as missing for them
        assert resp.status == want, f"{name} as {who}: {resp.status} {await resp.text()}"
        if resp.status >= 400:
            assert (await resp.json())["error"]
            assert await snapshot(ota.reg.appliance) == before, f"{name} as {who} changed something"


@pytest.mark.parametrize("who", CALLERS)
async def test_multipart_uploads_for_every_caller(ota: OtaWorld, who: str) -> None:
    """Creating a script with its file, and replacing a script's file, are for can_manage_ota holders."""
    script = await new_script(ota.reg)
    for path, fields, ok in ((f"/ota/script/{script}/file/", {}, 201),
                             ("/ota/script/", {"name": f"Form {who}", "org": ota.org, "version": "3.0.0"}, 201)):
        form = aiohttp.FormData()
        for key, value in fields.items():
            form.add_field(key, value)
        form.add_field("file", b"new firmware", filename="new.trub")
        before = await snapshot(ota.reg.appliance)
        resp = await ota.reg.api.post(f"{API}{path}", data=form, headers=ota.reg.headers(who))
        assert resp.status == expected(who, DEVELOPERS, ok), (path, who, await resp.text())
        if resp.status >= 400:
            assert await snapshot(ota.reg.appliance) == before


async def test_members_see_released_scripts_only(ota: OtaWorld) -> None:
    hidden = await new_script(ota.reg, released=False)
    listed = {who: [s["slug"] for s in (await ota.reg.call("GET", "/ota/script/", who))[1]["results"]]
              for who in ("a0", "m1", "d1", "other")}
    assert listed["a0"] == listed["m1"] == [ota.script]
    assert sorted(listed["d1"]) == sorted([ota.script, hidden]) and listed["other"] == []
    assert (await ota.reg.call("GET", f"/ota/script/{hidden}/", "a0"))[0] == 404
    assert (await ota.reg.call("GET", f"/ota/script/{hidden}/", "d1"))[0] == 200
