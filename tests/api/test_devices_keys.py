"""Per-device a-jwt tokens (issued by key/?type=a-jwt, accepted as ``Authorization: a-jwt``) and the
org Api-Key's production/device/ door."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
from sqlalchemy import select

from appliance.app import Appliance
from appliance.slugs import DeviceSlug
from storage.metadata import DeviceKey
from tests.api.registry_support import (
    CLAIMED,
    OTHER_DEVICE,
    SG,
    SPARE,
    TEMPLATE,
    Registry,
    build_registry,
    db_read,
    db_write,
    snapshot,
)

D = DeviceSlug(CLAIMED).slug


async def _token(reg: Registry, who: str = "m1", slug: str = D) -> str:
    status, body = await reg.call("GET", f"/device/{slug}/key/?type=a-jwt", who)
    assert status == 200, body
    return str(body["key"])


async def _as_device(reg: Registry, token: str, path: str) -> int:
    resp = await reg.api.get(f"/api/v1{path}", headers={"Authorization": f"a-jwt {token}"})
    return int(resp.status)


async def test_a_jwt_is_signed_with_the_devices_own_key(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    token = await _token(reg)
    assert jwt.decode(token, options={"verify_signature": False}) == {
        "user": "acme-a0", "device": D, "project": reg.project.uuid}
    keys = await db_read(appliance, lambda s: [(k.device_id, k.type, k.secret_ref, k.downloadable)
                                               for k in s.scalars(select(DeviceKey))])
    assert keys == [(CLAIMED, "A-JWT-KEY", "device-key:16:a-jwt", False)]
    assert appliance.secrets is not None
    secret = await asyncio.to_thread(appliance.secrets.get, "device-key:16:a-jwt")
    assert secret and jwt.decode(token, secret, algorithms=["HS256"])["device"] == D
    assert await _token(reg, "r1") == token  # the same key signs every token of the device


async def test_a_jwt_acts_as_the_claimer(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    token = await _token(reg, "r1")
    assert await _as_device(reg, token, f"/device/{D}/") == 200
    resp = await api.get("/api/v1/project/", headers={"Authorization": f"a-jwt {token}"})
    assert [p["name"] for p in (await resp.json())["results"]] == ["Water"]
    # acts as the claimer (a0, an owner) even though an Operator fetched the token, as on the server
    assert await _as_device(reg, token, f"/device/{DeviceSlug(OTHER_DEVICE).slug}/") == 404


async def test_bad_device_tokens_are_401(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    good = await _token(reg)
    payload = jwt.decode(good, options={"verify_signature": False})
    forged = jwt.encode(payload, "not-the-devices-secret-but-long-enough-for-hs256", algorithm="HS256")
    unknown = jwt.encode({**payload, "device": "d--0000-0000-0000-0999"}, "x" * 32, algorithm="HS256")
    other_project = jwt.encode({**payload, "project": reg.other_project.uuid}, "x" * 32, algorithm="HS256")
    for token in (forged, unknown, other_project, "garbage", jwt.encode({"user": "acme-a0"}, "x" * 32)):
        resp = await api.get(f"/api/v1/device/{D}/", headers={"Authorization": f"a-jwt {token}"})
        assert resp.status == 401 and "error" in await resp.json(), token


async def test_tokens_die_with_the_claim(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    token = await _token(reg)
    assert (await reg.call("PATCH", f"/device/{D}/", "a0", {"state": "N0"}))[0] == 200
    assert await _as_device(reg, token, "/project/") == 401  # inactive
    assert (await reg.call("PATCH", f"/device/{D}/", "a0", {"state": "N1"}))[0] == 200
    assert await _as_device(reg, token, "/project/") == 200
    pid = (await reg.call("POST", f"/device/{D}/unclaim/", "a0", {}))[1]["pid"]
    assert (await appliance.jobs.wait(pid)).status == "done"
    assert await _as_device(reg, token, "/project/") == 401  # not claimed
    second = await appliance.projects.create(await reg.access("a0"), {"name": "Second", "org": "acme-corp"})
    await reg.claim(CLAIMED, second, "a1")
    assert await _as_device(reg, token, "/project/") == 401  # another project (and another claimer)
    fresh = await _token(reg)
    assert jwt.decode(fresh, options={"verify_signature": False})["user"] == "acme-a1"
    assert await _as_device(reg, fresh, "/project/") == 200


async def test_key_requests(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, body = await reg.call("GET", f"/device/{D}/key/", "a0")
    assert status == 400 and body["error"] == "No type specified"
    status, body = await reg.call("GET", f"/device/{D}/key/?type=ssh", "a0")
    assert status == 403 and body["error"] == "No key available"
    assert (await reg.call("GET", f"/device/{DeviceSlug(SPARE).slug}/key/?type=a-jwt", "staff"))[0] == 403
    assert appliance.secrets is not None
    await asyncio.to_thread(appliance.secrets.set, "device-key:16:ssh", "ssh-secret")
    await db_write(appliance, lambda s: s.add(DeviceKey(device_id=CLAIMED, type="SSH", secret_ref="device-key:16:ssh",
                                                        downloadable=True)))
    assert (await reg.call("GET", f"/device/{D}/key/?type=ssh", "m1"))[1] == {"key": "ssh-secret"}
    status, listed = await reg.call("GET", "/production/device/?keys=1", "apikey")
    assert listed["results"][0]["keys"] == [{"type": "SSH", "secret": "ssh-secret"}]


async def test_production_device_list_and_detail(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    await reg.device(0x30, org="acme-corp", active=False)
    status, body = await reg.call("GET", "/production/device/", "apikey")
    assert status == 200 and body["count"] == 2
    first = body["results"][0]
    assert first | {"created_on": None} == {"id": CLAIMED, "slug": D, "gid": "0000-0000-0000-0010", "created_on": None,
                                            "template": TEMPLATE, "sg": SG, "claimed": True}
    assert body["results"][1]["claimed"] is False
    assert (await reg.call("GET", f"/production/device/{D}/", "apikey"))[1]["slug"] == D
    for slug in (DeviceSlug(OTHER_DEVICE).slug, DeviceSlug(SPARE).slug, "d--0999", "junk"):
        assert (await reg.call("GET", f"/production/device/{slug}/", "apikey"))[0] == 404, slug


async def test_production_registration(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, body = await reg.call("POST", "/production/device/", "apikey", {"id": 0x300, "sg": SG})
    assert status == 201 and body["org"] == "acme-corp" and body["project"] is None
    for bad, want in (({"id": 0x301, "org": "other-org"}, 400), ({"id": 0x301, "project": reg.project.uuid}, 400),
                      ({"id": 0x300}, 409)):
        before = await snapshot(appliance)
        assert (await reg.call("POST", "/production/device/", "apikey", bad))[0] == want, bad
        assert await snapshot(appliance) == before
    status, body = await reg.call("POST", "/production/device/create_virtual/", "apikey",
                                  {"sg": SG, "user": "owner"})
    assert status == 201 and body[0]["org"] == "acme-corp" and body[0]["claimed_by"] == "owner"
    for bad in ({"sg": SG, "user": "acme-a0"}, {"sg": "no-such-sg", "user": "owner"}, {"sg": SG},
                {"sg": SG, "user": "owner", "qty": 2}, {"sg": SG, "user": "owner", "org": "other-org"}):
        before = await snapshot(appliance)
        assert (await reg.call("POST", "/production/device/create_virtual/", "apikey", bad))[0] == 400, bad
        assert await snapshot(appliance) == before
