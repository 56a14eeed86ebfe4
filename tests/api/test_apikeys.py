"""Org API keys: shown once, stored hashed, ``Api-Key`` authentication, revoke and expiry."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, update

from appliance.app import Appliance
from appliance.errors import AuthenticationError
from storage.metadata import AuthAPIKey
from tests.api.orgs_support import API, Caller, db_write
from tests.support.world import World, build_world

ORG = "/org/acme-corp"


@pytest.fixture
async def world(appliance: Appliance) -> World:
    return await build_world(appliance)


@pytest.fixture
def call(api: Any, world: World) -> Caller:
    return Caller(api, world, {})


async def test_key_is_shown_once_and_stored_hashed(appliance: Appliance, call: Caller) -> None:
    status, created = await call("POST", f"{ORG}/apikeys/", "d1", {"name": "line scanner", "expiry_date": None})
    assert status == 201
    key = created["key"]
    prefix, _, secret = key.partition(".")
    assert created["prefix"] == created["id"] == prefix and len(prefix) == 8 and len(secret) == 32
    assert created["org"] == "acme-corp" and created["created_by"] == "acme-d1" and created["is_valid"] is True
    listed = (await call("GET", f"{ORG}/apikeys/", "a0"))[1]
    assert listed["count"] == 1 and "key" not in listed["results"][0]
    assert "key" not in (await call("GET", f"{ORG}/apikeys/{prefix}/", "a0"))[1]
    row = await asyncio.wrap_future(appliance.metadata.read(lambda s: s.scalar(select(AuthAPIKey))))
    assert row.hashed_key == hashlib.sha256(key.encode()).hexdigest() and secret not in row.hashed_key
    db_file = appliance.data_dir.metadata
    for path in (db_file, db_file.with_name(db_file.name + "-wal")):
        assert not path.exists() or secret.encode() not in path.read_bytes()


async def test_api_key_authenticates_as_its_org(appliance: Appliance, world: World, call: Caller) -> None:
    key = (await call("POST", f"{ORG}/apikeys/", "a0", {"name": "m2m"}))[1]["key"]
    who = await appliance.authenticator.from_header(f"Api-Key {key}")
    assert who.scheme == "api-key" and who.account is None and who.org_id == world.org.id
    access = await appliance.orgs.access_for(who)
    assert access.api_key_org == world.org.id and not access.is_member(world.org.id)


@pytest.mark.parametrize("header", ["Api-Key nope", "Api-Key abc.def", "Api-Key .", "Api-Key " + "x" * 300 + ".y",
                                    "Api-Key"])
async def test_unknown_keys_are_401(api: Any, header: str) -> None:
    resp = await api.get(f"{API}/org/", headers={"Authorization": header})
    assert resp.status == 401 and (await resp.json())["error"]


async def test_right_prefix_wrong_secret_is_401(api: Any, call: Caller) -> None:
    key = (await call("POST", f"{ORG}/apikeys/", "a0", {"name": "m2m"}))[1]["key"]
    forged = key[:-1] + ("A" if key[-1] != "A" else "B")
    assert (await api.get(f"{API}/org/", headers={"Authorization": f"Api-Key {forged}"})).status == 401
    assert (await api.get(f"{API}/org/", headers={"Authorization": f"Api-Key {key}"})).status == 403


async def test_revoked_and_expired_keys_are_401(api: Any, appliance: Appliance, call: Caller) -> None:
    revoked = (await call("POST", f"{ORG}/apikeys/", "a0", {"name": "revoked"}))[1]
    expiring = (await call("POST", f"{ORG}/apikeys/", "a0", {"name": "expiring",
                                                            "expiry_date": "2999-01-01T00:00:00"}))[1]
    assert expiring["expiry_date"] == "2999-01-01T00:00:00Z" and expiring["has_expired"] is False
    status, body = await call("POST", f"{ORG}/apikeys/{revoked['prefix']}/revoke/", "a1")
    assert status == 200 and body["revoked"] is True and body["is_valid"] is False
    assert (await call("POST", f"{ORG}/apikeys/{revoked['prefix']}/revoke/", "a1"))[0] == 200
    with pytest.raises(AuthenticationError, match="revoked"):
        await appliance.authenticator.from_header(f"Api-Key {revoked['key']}")
    past = datetime.now(timezone.utc) - timedelta(seconds=1)
    await db_write(appliance, lambda s: s.execute(
        update(AuthAPIKey).where(AuthAPIKey.prefix == expiring["prefix"]).values(expiry=past)))
    with pytest.raises(AuthenticationError, match="expired"):
        await appliance.authenticator.from_header(f"Api-Key {expiring['key']}")
    for key in (revoked["key"], expiring["key"]):
        assert (await api.get(f"{API}/org/", headers={"Authorization": f"Api-Key {key}"})).status == 401
    shown = (await call("GET", f"{ORG}/apikeys/{expiring['prefix']}/", "a0"))[1]
    assert shown["has_expired"] is True and shown["is_valid"] is False


async def test_deleted_key_and_deleted_org_stop_working(appliance: Appliance, call: Caller) -> None:
    first = (await call("POST", f"{ORG}/apikeys/", "a0", {"name": "one"}))[1]
    second = (await call("POST", f"{ORG}/apikeys/", "a0", {"name": "two"}))[1]
    assert (await call("DELETE", f"{ORG}/apikeys/{first['prefix']}/", "a0"))[0] == 204
    with pytest.raises(AuthenticationError):
        await appliance.authenticator.from_header(f"Api-Key {first['key']}")
    assert (await call("DELETE", f"{ORG}/", "a0"))[0] == 204
    with pytest.raises(AuthenticationError):
        await appliance.authenticator.from_header(f"Api-Key {second['key']}")


async def test_rename_only(call: Caller) -> None:
    created = (await call("POST", f"{ORG}/apikeys/", "a0", {"name": "old"}))[1]
    status, body = await call("PATCH", f"{ORG}/apikeys/{created['prefix']}/", "a0",
                              {"name": "new", "prefix": "ignored", "revoked": False})
    assert status == 200 and body["name"] == "new" and body["prefix"] == created["prefix"]


async def test_api_key_is_refused_by_every_account_and_org_endpoint(api: Any, world: World, call: Caller) -> None:
    """A machine credential has no person behind it: 403 everywhere here, and nothing changes."""
    key = (await call("POST", f"{ORG}/apikeys/", "a0", {"name": "m2m"}))[1]["key"]
    headers = {"Authorization": f"Api-Key {key}"}
    app: Any = api.server.app
    for route in app.router.routes():
        path = route.resource.canonical if route.resource else ""
        if route.method == "HEAD" or not path.startswith((f"{API}/org/", f"{API}/account/", f"{API}/invitation/")):
            continue
        url = path.replace("{slug}", "acme-corp").replace("{user}", "acme-m1").replace("{prefix}", "x") \
            .replace("{id}", "00000000-0000-0000-0000-000000000000")
        resp = await api.request(route.method, url, json={}, headers=headers)
        assert resp.status == 403, (route.method, url, resp.status)


async def test_revoking_a_key_in_use_takes_effect_at_once(appliance: Appliance, call: Caller) -> None:
    """Sign-ins are cached for a moment; revoking through the API must drop the cached one."""
    created = (await call("POST", f"{ORG}/apikeys/", "a0", {"name": "busy"}))[1]
    header = f"Api-Key {created['key']}"
    assert (await appliance.authenticator.from_header(header)).org_id is not None
    assert (await call("POST", f"{ORG}/apikeys/{created['prefix']}/revoke/", "a0"))[0] == 200
    with pytest.raises(AuthenticationError, match="revoked"):
        await appliance.authenticator.from_header(header)
