"""account/: staff creation, self-service profile and password, deactivation; the CLI's user commands."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from appliance.app import Appliance
from appliance.events import Changes
from tests.api.orgs_support import API, CALLERS, USERS, Caller, api_key_headers, snapshot
from tests.support.server import cli
from tests.support.world import World, build_world

STAFF = frozenset({"staff"})


def status_for(who: str, allowed: frozenset[str], ok: int, *, hidden: bool) -> int:
    """Other people's accounts do not exist for a user (404) unless the route is staff-only (403)."""
    if who == "anonymous":
        return 401
    if who == "apikey" or (who not in allowed and not hidden):
        return 403
    return ok if who in allowed else 404


ROWS = [
    # (name, method, path, body(who), allowed, ok, hidden)
    ("list", "GET", "/account/", None, frozenset(USERS), 200, False),
    ("create", "POST", "/account/", lambda who: {"email": f"made-by-{who}@example.com", "password": "a-password"},
     STAFF, 201, False),
    ("detail", "GET", "/account/acme-m1/", None, frozenset({"m1", "staff"}), 200, True),
    ("patch", "PATCH", "/account/acme-m1/", lambda who: {"name": "Emm One"}, frozenset({"m1", "staff"}), 200, True),
    ("put", "PUT", "/account/acme-m1/", lambda who: {"name": "Emm One", "email": "ignored@x.y"},
     frozenset({"m1", "staff"}), 200, True),
    ("set_password", "POST", "/account/acme-r1/set_password/", lambda who: {"password": f"new-password-{who}"},
     frozenset({"r1", "staff"}), 201, True),
    ("deactivate", "POST", "/account/spare/deactivate/", None, STAFF, 200, False),
    ("activate", "POST", "/account/spare/activate/", None, STAFF, 200, False),
]


@pytest.fixture
async def world(appliance: Appliance) -> World:
    return await build_world(appliance)


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
async def test_endpoint_for_every_caller(api: Any, appliance: Appliance, world: World, row: tuple[Any, ...]) -> None:
    name, method, path, body, allowed, ok, hidden = row
    await appliance.accounts.create("spare@example.com", "spare-password", username="spare")
    call = Caller(api, world, await api_key_headers(world))
    for who in CALLERS:
        before = await snapshot(appliance)
        status, _ = await call(method, path, who, body(who) if body else None)
        assert status == status_for(who, allowed, ok, hidden=hidden), (name, who, status)
        if status >= 400:
            assert await snapshot(appliance) == before, (name, who)


async def test_users_see_themselves_and_staff_see_all(api: Any, world: World) -> None:
    call = Caller(api, world, {})
    mine = (await call("GET", "/account/", "m1"))[1]
    assert mine["count"] == 1 and mine["results"][0]["slug"] == "acme-m1"
    assert (await call("GET", "/account/?staff=1", "m1"))[1]["count"] == 1
    assert (await call("GET", "/account/", "staff"))[1]["count"] == 1
    everyone = (await call("GET", "/account/?staff=1&page_size=3", "staff"))[1]
    assert everyone["count"] == 8 and len(everyone["results"]) == 3 and everyone["next"]
    found = (await call("GET", "/account/?staff=1&search=ACME.EXAMPLE", "staff"))[1]
    assert found["count"] == 5
    assert (await call("GET", "/account/acme-m1/", "staff"))[1]["email"] == "m1@acme.example"
    assert (await call("GET", "/account/no-such/", "staff"))[0] == 404


async def test_staff_creates_an_account_that_can_sign_in(api: Any, world: World) -> None:
    call = Caller(api, world, {})
    status, body = await call("POST", "/account/", "staff", {
        "email": "Operator@Plant.example", "username": "op1", "name": "Op One", "password": "operator-pass",
        "confirm_password": "operator-pass", "time_zone": "Europe/Berlin", "verified_email": True})
    assert status == 201
    assert body["email"] == "operator@plant.example" and body["slug"] == "op1" and body["time_zone"] == "Europe/Berlin"
    assert body["is_staff"] is False and body["is_active"] is True and "password" not in body
    login = await api.post(f"{API}/auth/login/", json={"email": "operator@plant.example", "password": "operator-pass"})
    assert login.status == 200


async def test_password_change_and_deactivation(api: Any, appliance: Appliance, world: World) -> None:
    call = Caller(api, world, {})
    token = (await (await api.post(f"{API}/auth/login/", json={"email": "r1@acme.example",
                                                             "password": "test-password-1"})).json())["token"]
    new = {"password": "r1-new-password", "confirm_password": "r1-new-password"}
    assert (await call("POST", "/account/acme-r1/set_password/", "r1", new))[0] == 201
    token_headers = {"Authorization": f"Token {token}"}
    assert (await api.get(f"{API}/auth/user-info/", headers=token_headers)).status == 200
    assert (await call("POST", "/account/acme-r1/set_password/", "staff", {"password": "staff-chosen-1"}))[0] == 201
    assert (await api.get(f"{API}/auth/user-info/", headers=token_headers)).status == 401
    assert (await api.post(f"{API}/auth/login/", json={"email": "r1@acme.example",
                                                       "password": "r1-new-password"})).status == 401
    assert (await api.post(f"{API}/auth/login/", json={"email": "r1@acme.example",
                                                       "password": "staff-chosen-1"})).status == 200
    status, body = await call("POST", "/account/acme-r1/deactivate/", "staff")
    assert status == 200 and body["is_active"] is False
    assert (await call("GET", "/account/", "r1"))[0] == 401
    assert (await call("POST", "/account/acme-r1/activate/", "staff"))[1]["is_active"] is True
    assert (await call("GET", "/account/", "r1"))[0] == 200


async def test_the_last_staff_account_stays_active(api: Any, appliance: Appliance, world: World) -> None:
    before = await snapshot(appliance)
    status, body = await Caller(api, world, {})("POST", "/account/owner/deactivate/", "staff")
    assert status == 409 and "last active staff" in body["error"]
    assert await snapshot(appliance) == before


BAD = [
    ("POST", "/account/", {}, 400),
    ("POST", "/account/", {"email": "x@example.com"}, 400),
    ("POST", "/account/", {"email": "not-mail", "password": "long-enough"}, 400),
    ("POST", "/account/", {"email": "y" * 250 + "@example.com", "password": "long-enough"}, 400),
    ("POST", "/account/", {"email": "x@example.com", "password": "short"}, 400),
    ("POST", "/account/", {"email": "x@example.com", "password": "long-enough", "confirm_password": "other-one"}, 400),
    ("POST", "/account/", {"email": "x@example.com", "password": 123456789}, 400),
    ("POST", "/account/", {"email": "x@example.com", "password": "long-enough", "username": "a b"}, 400),
    ("POST", "/account/", {"email": "x@example.com", "password": "long-enough", "username": "u" * 151}, 400),
    ("POST", "/account/", {"email": "x@example.com", "password": "long-enough", "name": "n" * 151}, 400),
    ("POST", "/account/", {"email": "x@example.com", "password": "long-enough", "time_zone": "Mars/Olympus"}, 400),
    ("POST", "/account/", {"email": "x@example.com", "password": "long-enough", "is_staff": "perhaps"}, 400),
    ("POST", "/account/", {"email": "x@example.com", "password": "long-enough", "role": "a0"}, 400),
    ("POST", "/account/", {"email": "M1@acme.example", "password": "long-enough"}, 409),
    ("POST", "/account/", {"email": "x@example.com", "password": "long-enough", "username": "acme-m1"}, 409),
    ("PATCH", "/account/acme-m1/", {"username": "acme-a0"}, 409),
    ("PATCH", "/account/acme-m1/", {"username": ""}, 400),
    ("PATCH", "/account/acme-m1/", {"name": 5}, 400),
    ("PATCH", "/account/acme-m1/", {"time_zone": "Nowhere"}, 400),
    ("PATCH", "/account/acme-m1/", {"password": "sneaky-password"}, 400),
    ("POST", "/account/acme-m1/set_password/", {}, 400),
    ("POST", "/account/acme-m1/set_password/", {"password": "short"}, 400),
    ("POST", "/account/acme-m1/set_password/", {"password": "long-enough", "confirm_password": "x"}, 400),
    ("POST", "/account/acme-m1/set_password/", {"password": "long-enough", "old": "x"}, 400),
    ("POST", "/account/%20acme-m1/deactivate/", None, 404),
]


async def test_bad_input_changes_nothing(api: Any, appliance: Appliance, world: World) -> None:
    call = Caller(api, world, {})
    for method, path, body, status in BAD:
        before = await snapshot(appliance)
        got, data = await call(method, path, "staff", body)
        assert got == status, (method, path, body, data)
        assert await snapshot(appliance) == before, (method, path, body)
    for raw in (b"{", b"[]", b"null"):
        resp = await api.post(f"{API}/account/", data=raw,
                              headers={**world.headers("staff"), "Content-Type": "application/json"})
        assert resp.status == 400


def test_cli_user_commands(tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = cli("user", "create", "--email", "op@example.com", "--password-stdin", data_dir=data,
               stdin="operator-password\n")
    assert made.returncode == 0, made.stderr
    passwd = cli("user", "passwd", "--email", "op@example.com", "--password-stdin", data_dir=data,
                 stdin="another-password\n")
    assert passwd.returncode == 0 and "passwd: done for op@example.com" in passwd.stdout
    assert cli("user", "deactivate", "--email", "op@example.com", data_dir=data).returncode == 0
    listed = cli("user", "list", data_dir=data)
    assert listed.returncode == 0
    assert "op@example.com\top\top\tinactive" in listed.stdout and "owner@appliance.local" in listed.stdout
    missing = cli("user", "activate", "--email", "ghost@example.com", data_dir=data)
    assert missing.returncode == 2 and "no account" in missing.stderr
    weak = cli("user", "passwd", "--email", "op@example.com", "--password-stdin", data_dir=data, stdin="short\n")
    assert weak.returncode == 2 and "at least 8" in weak.stderr


async def test_profile_change_shows_at_once_and_is_announced(api: Any, appliance: Appliance, world: World) -> None:
    seen: list[Changes] = []
    appliance.events.subscribe(Changes, seen.append)
    call = Caller(api, world, {})
    assert (await call("GET", "/account/acme-m1/", "m1"))[1]["name"] == ""
    assert (await call("PATCH", "/account/acme-m1/", "m1", {"name": "Emm"}))[0] == 200
    info = await api.get(f"{API}/auth/user-info/", headers=world.headers("m1"))
    assert (await info.json())["name"] == "Emm"
    assert any(c.accounts and c.detail.get("account") == "acme-m1" for c in seen)
