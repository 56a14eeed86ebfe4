"""Bad input to the OTA API: every refusal is a 4xx with a JSON error, and nothing is stored (tables and
script blobs compared before and after)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from appliance.app import Appliance
from appliance.services.ota_scripts import MAX_SCRIPT_BYTES
from appliance.slugs import DeviceSlug
from tests.api.registry_support import API, OTHER_DEVICE, SPARE
from tests.api.test_ota_support import CLAIMED_SLUG, OtaWorld, build_ota, new_script, snapshot


@pytest.fixture
async def ota(api: Any, appliance: Appliance) -> OtaWorld:
    return await build_ota(appliance, api)


async def refused(ota: OtaWorld, method: str, path: str, body: Any = None, *, who: str = "d1",
                  status: int = 400, **kwargs: Any) -> dict[str, Any]:
    before = await snapshot(ota.reg.appliance)
    if body is not None:
        kwargs["json"] = body
    headers = {**ota.reg.headers(who), **kwargs.pop("headers", {})}
    resp = await ota.reg.api.request(method, f"{API}{path}", headers=headers, **kwargs)
    payload = await resp.json()
    assert resp.status == status, (method, path, body, resp.status, payload)
    assert isinstance(payload, dict) and payload["error"]
    assert await snapshot(ota.reg.appliance) == before, (method, path, body)
    return payload


BAD_CRITERIA: tuple[Any, ...] = (
    ["os_tag:gte:5"], ["os_tag:eq:abc"], ["os_tag:eq:"], ["os_tag:eq:-1"], ["os_tag:eq:+5"], ["os_tag:eq: 5"],
    ["app_tag:eq:1048576"], ["os_tag:eq:\u0661\u0662"], ["app_version:lt:1"], ["app_version:lt:1.2.3.4"],
    ["app_version:lt:a.b"], ["app_version:lt:1.2\n"], ["app_version:like:1.2"], ["app_version:lt:1..2"],
    ["foo:eq:1"], ["os_tag:eq:1:2"], ["os_tag"], [""], [5], [None], [["os_tag:eq:1"]], ["x" * 65],
    ["os_tag:eq:1"] * 33, "os_tag:eq:1", {"os_tag": 1}, ["os_tag:eq:1", "app_version:gte:x"],
)


@pytest.mark.parametrize("criteria", BAD_CRITERIA, ids=[repr(c)[:30] for c in BAD_CRITERIA])
async def test_invalid_criteria_are_refused(ota: OtaWorld, criteria: Any) -> None:
    body = {"script": ota.script, "org": ota.org, "fleet": ota.fleet, "selection_criteria": criteria}
    payload = await refused(ota, "POST", "/ota/request/", body)
    assert "selection_criteria" in payload["error"]
    await refused(ota, "PATCH", f"/ota/request/{ota.request}/", {"selection_criteria": criteria})


async def test_good_criteria_are_stored_as_sent(ota: OtaWorld) -> None:
    criteria = ["os_tag:eq:1024", "app_tag:eq:2049", "controller_hw_tag:eq:3", "os_version:lteq:2.0",
                "app_version:gte:1.2", "app_version:lt:2.0.0"]
    status, created = await ota.reg.call("POST", "/ota/request/", "d1", {
        "script": ota.script, "org": ota.org, "selection_criteria": criteria})
    assert status == 201 and created["selection_criteria"] == criteria and created["fleet"] is None


BAD_SCRIPTS: tuple[dict[str, Any], ...] = (
    {"version": "1.2"}, {"version": "1.2.3.4"}, {"version": "a.b.c"}, {"version": "1.2.3-beta"}, {"version": ""},
    {"version": 123}, {"version": "-1.0.0"}, {"version": "v"}, {"version": " 1.2.3"}, {"major_version": -1},
    {"major_version": "x"}, {"major_version": 1.5}, {"version": "1.0.0", "major_version": 1}, {"released": "maybe"},
    {"name": ""}, {"name": "x" * 51}, {"colour": "red"}, {"org": "no-such-org"},
)


@pytest.mark.parametrize("fields", BAD_SCRIPTS, ids=[repr(f)[:30] for f in BAD_SCRIPTS])
async def test_semver_junk_and_bad_script_fields(ota: OtaWorld, fields: dict[str, Any]) -> None:
    body = {"name": "Firmware", "org": ota.org, "version": "1.0.0", **fields}
    await refused(ota, "POST", "/ota/script/", body, status=404 if fields.get("org") else 400)
    if "org" not in fields:
        await refused(ota, "PATCH", f"/ota/script/{ota.script}/", fields)


async def test_duplicate_script_version_and_moves(ota: OtaWorld) -> None:
    status, script = await ota.reg.call("GET", f"/ota/script/{ota.script}/", "d1")
    await refused(ota, "POST", "/ota/script/", {"name": script["name"], "org": ota.org, "version": "1.0.0"})
    await refused(ota, "PATCH", f"/ota/script/{ota.script}/", {"org": ota.reg.world.other_org.slug})
    await refused(ota, "GET", "/ota/script/?version=1.x", status=400)
    await refused(ota, "GET", "/ota/script/z--0000-00001/", status=400)
    await refused(ota, "GET", "/ota/script/z--0000-0fff/", status=404)


async def test_references_of_another_org_read_as_missing(ota: OtaWorld) -> None:
    other = ota.reg.world.other_org.slug
    base = {"script": ota.script, "org": ota.org}
    await refused(ota, "POST", "/ota/request/", {**base, "fleet": "g--0000-0000-0fff"})
    await refused(ota, "POST", "/ota/request/", {**base, "script": "z--0000-0fff"})
    await refused(ota, "POST", "/ota/request/", {**base, "org": other}, status=404)
    await refused(ota, "POST", "/ota/request/", {**base, "released_on": "yesterday"})
    await refused(ota, "POST", "/ota/request/", {**base, "org": ota.org, "id": 5, "colour": 1})
    await refused(ota, "PATCH", f"/ota/request/{ota.request}/", {"org": other})
    await refused(ota, "PATCH", f"/ota/request/{ota.request}/", {"org": "no-such-org"})
    for device, status in ((DeviceSlug(OTHER_DEVICE).slug, 400), (DeviceSlug(SPARE).slug, 400),
                           ("d--0000-0000-0000-0fff", 400), ("d--oops", 400)):
        await refused(ota, "POST", "/ota/action/", {"deployment": ota.request, "device": device}, status=status)
    await refused(ota, "POST", "/ota/action/", {"deployment": 99999, "device": CLAIMED_SLUG})
    await refused(ota, "POST", "/ota/action/", {"deployment": ota.request, "device": CLAIMED_SLUG,
                                                "last_attempt_on": "not a date"})
    await refused(ota, "POST", "/ota/action/", {"device": CLAIMED_SLUG})
    await refused(ota, "POST", "/ota/action/", {"deployment": ota.request, "device": CLAIMED_SLUG},
                  who="other", status=400)


async def test_release_needs_a_released_script_with_a_file(ota: OtaWorld) -> None:
    unreleased = await new_script(ota.reg, released=False)
    fileless = await new_script(ota.reg, data=None)
    for script in (unreleased, fileless):
        body = {"script": script, "org": ota.org, "released_on": "2026-01-01T00:00:00Z"}
        await refused(ota, "POST", "/ota/request/", body)
    status, draft = await ota.reg.call("POST", "/ota/request/", "d1", {"script": unreleased, "org": ota.org})
    assert status == 201  # a draft may wait for its script
    await refused(ota, "PATCH", f"/ota/request/{draft['id']}/", {"released_on": "2026-01-01T00:00:00Z"})
    assert (await ota.reg.call("PATCH", f"/ota/script/{unreleased}/", "d1", {"released": True}))[0] == 200
    assert (await ota.reg.call("PATCH", f"/ota/request/{draft['id']}/", "d1",
                               {"released_on": "2026-01-01T00:00:00.123Z"}))[1]["released_on"] == "2026-01-01T00:00:00Z"


async def test_bad_ids_and_slugs(ota: OtaWorld) -> None:
    cases = (("/ota/request/abc/", 404), ("/ota/request/\u00b2/", 404), ("/ota/request/99999/", 404),
             ("/ota/action/abc/", 404), ("/ota/version/1e3/", 404), ("/ota/action/?request=x", 404),
             ("/ota/version/?type=firmware", 400), ("/ota/device/d--nope/", 400),
             (f"/ota/device/{DeviceSlug(SPARE).slug}/", 404), ("/ota/device/d--0001-0000-0000-0010/", 404),
             (f"/ota/device/{DeviceSlug(OTHER_DEVICE).slug}/", 404), ("/ota/request/?fleet=g--0000-0000-0fff", 404),
             ("/ota/request/?org=no-such-org", 404), ("/ota/request/?scope=no-such-org", 404))
    for path, status in cases:
        await refused(ota, "GET", path, status=status)


def form(*parts: tuple[str, bytes | str, str | None]) -> aiohttp.FormData:
    data = aiohttp.FormData(default_to_multipart=True)
    for name, value, filename in parts:
        data.add_field(name, value, filename=filename)
    return data


async def test_hostile_uploads_store_nothing(ota: OtaWorld) -> None:
    path = f"/ota/script/{ota.script}/file/"
    create = [("name", "Form", None), ("org", ota.org, None), ("version", "4.0.0", None)]
    await refused(ota, "POST", path, data=form(("file", b"", "empty.trub")))
    await refused(ota, "POST", path, data=form(("other", b"x", "x.trub")))
    await refused(ota, "POST", path, data=form(("file", b"x", "x.trub"), ("colour", "red", None)))
    await refused(ota, "POST", path, data=b"raw bytes", headers={"Content-Type": "application/octet-stream"})
    for body, content_type in ((b"no boundary here", "multipart/form-data"),
                               (b"garbage", "multipart/form-data; boundary=xyz"),
                               (b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nabc',
                                "multipart/form-data; boundary=xyz"),
                               (b"--xyz\r\nno headers end\r\n--xyz--", "multipart/form-data; boundary=xyz")):
        await refused(ota, "POST", path, data=body, headers={"Content-Type": content_type})
        await refused(ota, "POST", "/ota/script/", data=body, headers={"Content-Type": content_type})
    await refused(ota, "POST", "/ota/script/", data=form(*create))  # no file part
    await refused(ota, "POST", "/ota/script/", data=form(*create[1:], ("file", b"x", "x.trub")))  # no name
    await refused(ota, "POST", "/ota/script/", data=form(*create[:2], ("version", "1.0", None), ("file", b"x", "x")))
    await refused(ota, "POST", "/ota/script/", data=form(*create, ("file", b"", "x.trub")))
    huge = b"\0" * (MAX_SCRIPT_BYTES + 128 * 1024)
    await refused(ota, "POST", path, data=form(("file", huge, "huge.trub")), status=413)
    await refused(ota, "POST", "/ota/script/", data=form(*create, ("file", huge, "huge.trub")), status=413)
    await refused(ota, "POST", path, data=form(("file", b"x" * 10, "../../etc/passwd")), who="m1", status=403)


async def test_a_traversing_file_name_stays_inside_the_blob_store(ota: OtaWorld) -> None:
    resp = await ota.reg.api.post(f"{API}/ota/script/{ota.script}/file/", headers=ota.reg.headers("d1"),
                                  data=form(("file", b"payload", "../../../../etc/passwd")))
    assert resp.status == 201
    key = (await resp.json())["key"]
    assert key.startswith("ota/scripts/") and ".." not in key and key.count("/") == 3
    assert (ota.reg.appliance.blobs.root / key).read_bytes() == b"payload"
