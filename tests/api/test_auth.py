"""Sign-in endpoints against a real aiohttp server on 127.0.0.1 over a real data directory."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import jwt as pyjwt
import pytest
from sqlalchemy import func, select

from appliance.app import Appliance
from appliance.services.jwt_codec import JwtCodec
from storage.metadata import AuthToken

LOGIN = "/api/v1/auth/login/"


async def token_count(appliance: Appliance) -> int:
    count = await asyncio.wrap_future(appliance.metadata.read(lambda s: s.scalar(select(func.count(AuthToken.id)))))
    return int(count or 0)


async def test_login_answers_like_iotile_cloud(api: Any, owner_credentials: dict[str, str]) -> None:
    resp = await api.post(LOGIN, json=owner_credentials)
    assert resp.status == 200
    body = await resp.json()
    assert body["username"] == "owner"
    assert body["email"] == owner_credentials["email"]
    assert body["is_staff"] is True
    assert body["jwt"] and body["token"]
    assert "password" not in body and "password_hash" not in body


@pytest.mark.parametrize("scheme", ["jwt", "JWT"])
async def test_jwt_schemes_reach_user_info(api: Any, owner_jwt: str, scheme: str) -> None:
    resp = await api.get("/api/v1/auth/user-info/", headers={"Authorization": f"{scheme} {owner_jwt}"})
    assert resp.status == 200
    assert (await resp.json())["username"] == "owner"


async def test_drf_token_scheme_and_logout_revokes_it(api: Any, owner_credentials: dict[str, str]) -> None:
    body = await (await api.post(LOGIN, json=owner_credentials)).json()
    headers = {"Authorization": f"Token {body['token']}"}
    assert (await api.get("/api/v1/auth/user-info/", headers=headers)).status == 200
    assert (await api.post("/api/v1/auth/logout/", headers=headers)).status == 204
    resp = await api.get("/api/v1/auth/user-info/", headers=headers)
    assert resp.status == 401
    assert "error" in await resp.json()


async def test_jwt_auth_refresh_verify(api: Any, owner_credentials: dict[str, str]) -> None:
    resp = await api.post("/api/v1/auth/api-jwt-auth/", json=owner_credentials)
    token = (await resp.json())["token"]
    verified = await api.post("/api/v1/auth/api-jwt-verify/", json={"token": token})
    assert verified.status == 200 and (await verified.json())["token"] == token
    refreshed = await api.post("/api/v1/auth/api-jwt-refresh/", json={"token": token})
    assert refreshed.status == 200
    new = (await refreshed.json())["token"]
    assert pyjwt.decode(new, options={"verify_signature": False})["orig_iat"] == \
        pyjwt.decode(token, options={"verify_signature": False})["orig_iat"]


async def test_unauthenticated_is_401_json(api: Any) -> None:
    resp = await api.get("/api/v1/auth/user-info/")
    assert resp.status == 401
    assert resp.content_type == "application/json"
    assert (await resp.json())["error"]


@pytest.mark.parametrize("header", [
    "jwt not-a-token", "jwt", "Bearer abc", "Token 0123456789abcdef", "jwt a.b.c", "", "   "
])
async def test_bad_authorization_headers(api: Any, header: str) -> None:
    resp = await api.get("/api/v1/auth/user-info/", headers={"Authorization": header})
    assert resp.status == 401
    assert "error" in await resp.json()


async def test_forged_and_expired_tokens(api: Any, appliance: Appliance) -> None:
    other_key = "another-key-that-is-long-enough-for-hs256!!"
    forged = JwtCodec(other_key, timedelta(hours=1), timedelta(days=1)).issue(1, "owner", "o@x")
    expired = JwtCodec(appliance.jwt._key, timedelta(seconds=-10), timedelta(days=1)).issue(1, "owner", "o@x")
    none_alg = pyjwt.encode({"user_id": 1, "exp": 2**40, "orig_iat": 0}, key="", algorithm="none")
    for token in (forged, expired, none_alg):
        resp = await api.get("/api/v1/auth/user-info/", headers={"Authorization": f"jwt {token}"})
        assert resp.status == 401, token
        assert (await api.post("/api/v1/auth/api-jwt-verify/", json={"token": token})).status == 401


async def test_refresh_window_is_enforced(api: Any, appliance: Appliance) -> None:
    old = appliance.jwt.issue(1, "owner", "o@x", orig_iat=0)
    resp = await api.post("/api/v1/auth/api-jwt-refresh/", json={"token": old})
    assert resp.status == 400
    assert "error" in await resp.json()


@pytest.mark.parametrize("body", [
    {"email": "owner@appliance.local", "password": "wrong-password"},
    {"email": "nobody@example.com", "password": "whatever-password"},
])
async def test_wrong_credentials_change_nothing(api: Any, appliance: Appliance, body: dict[str, str]) -> None:
    before = await token_count(appliance)
    resp = await api.post(LOGIN, json=body)
    assert resp.status == 401
    assert (await resp.json())["error"] == "Unable to log in with provided credentials."
    assert await token_count(appliance) == before


@pytest.mark.parametrize("payload,content_type", [
    (b"{not json", "application/json"),
    (b'{"email": "owner@appliance.local"', "application/json"),
    (b"[1, 2, 3]", "application/json"),
    (b'"just a string"', "application/json"),
    (b"\xff\xfe\x00", "application/json"),
    (b'{"email": 5, "password": ["x"]}', "application/json"),
    (b"{}", "application/json"),
    (b'{"password": "abcdefgh"}', "application/json"),
    (b"<xml/>", "application/xml"),
])
async def test_malformed_login_bodies_are_400(api: Any, appliance: Appliance, payload: bytes,
                                              content_type: str) -> None:
    before = await token_count(appliance)
    resp = await api.post(LOGIN, data=payload, headers={"Content-Type": content_type})
    assert resp.status == 400, await resp.text()
    assert "error" in await resp.json()
    assert await token_count(appliance) == before


async def test_oversized_body_is_413(api: Any, appliance: Appliance) -> None:
    limit = appliance.settings["server.max_json_bytes"]
    resp = await api.post(LOGIN, data=b"{" + b" " * (limit + 10) + b"}",
                          headers={"Content-Type": "application/json"})
    assert resp.status == 413
    assert "error" in await resp.json()


async def test_unknown_route_and_method_are_json(api: Any, owner_jwt: str) -> None:
    headers = {"Authorization": f"jwt {owner_jwt}"}
    missing = await api.get("/api/v1/no-such-thing/", headers=headers)
    assert missing.status == 404 and "error" in await missing.json()
    wrong = await api.delete(LOGIN, headers=headers)
    assert wrong.status == 405 and "error" in await wrong.json()


async def test_server_and_health_are_public(api: Any) -> None:
    server = await api.get("/api/v1/server/")
    assert server.status == 200
    body = await server.json()
    assert body["now"].endswith("Z") and body["version"]
    health = await api.get("/health/")
    assert health.status == 200 and (await health.json())["ok"] is True


async def test_deactivated_account_cannot_use_its_jwt(api: Any, appliance: Appliance, owner_jwt: str) -> None:
    other = await appliance.accounts.create("op@example.com", "operator-pass-1")
    body = await (await api.post(LOGIN, json={"email": "op@example.com", "password": "operator-pass-1"})).json()
    await appliance.accounts.set_active(other.id, False)
    resp = await api.get("/api/v1/auth/user-info/", headers={"Authorization": f"jwt {body['jwt']}"})
    assert resp.status == 401
    denied = await api.post(LOGIN, json={"email": "op@example.com", "password": "operator-pass-1"})
    assert denied.status == 401
