"""Invitations: invite, accept as a new or an existing user, expiry, resend, delete, e-mail over SMTP."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, update

from appliance.app import Appliance
from appliance.config import Settings
from storage.metadata import Account, Invitation
from tests.api.orgs_support import API, Caller, api_key_headers, db_write, snapshot
from tests.support.world import World, build_world

ORG = "/org/acme-corp"
ACCEPT = "/invitation/accept/"


@pytest.fixture
async def world(appliance: Appliance) -> World:
    return await build_world(appliance)


@pytest.fixture
def call(api: Any, world: World) -> Caller:
    return Caller(api, world, {})


async def invite(call: Caller, email: str, role: str | None = None, who: str = "a0") -> dict[str, Any]:
    body = {"email": email} if role is None else {"email": email, "role": role}
    status, data = await call("POST", f"{ORG}/invite/", who, body)
    assert status == 201, data
    return dict(data)


async def test_invite_and_accept_as_a_new_user(api: Any, appliance: Appliance, call: Caller) -> None:
    sent = await invite(call, "Newbie@Example.com", "r1", who="a1")
    assert sent["email"] == "newbie@example.com" and sent["role"] == "r1" and sent["sent_by"] == "acme-a1"
    assert sent["email_sent"] is False and sent["expired"] is False and sent["accepted"] is False
    assert sent["accept_url"].endswith(f"/invite/{sent['token']}")  # the accept page (test_invite_page.py)
    stored = await asyncio.wrap_future(appliance.metadata.read(lambda s: s.scalar(select(Invitation.token_hash))))
    assert stored == hashlib.sha256(sent["token"].encode()).hexdigest()

    info = await api.get(f"{API}{ACCEPT}", params={"token": sent["token"]})
    assert info.status == 200
    details = await info.json()
    assert details["org_name"] == "Acme Corp" and details["account_exists"] is False and details["role"] == "r1"

    status, body = await call("POST", ACCEPT, "anonymous",
                              {"token": sent["token"], "password": "newbie-password", "name": "New Bie"})
    assert status == 201, body
    assert body["org"]["slug"] == "acme-corp" and body["membership"]["role"] == "r1"
    assert body["membership"]["user_details"]["name"] == "New Bie"
    login = await api.post(f"{API}/auth/login/", json={"email": "newbie@example.com", "password": "newbie-password"})
    assert login.status == 200
    headers = {"Authorization": f"jwt {(await login.json())['jwt']}"}
    orgs = await (await api.get(f"{API}/org/", headers=headers)).json()
    assert [o["slug"] for o in orgs["results"]] == ["acme-corp"]
    assert (await call("POST", ACCEPT, "anonymous", {"token": sent["token"], "password": "x" * 10}))[0] == 404
    assert (await call("GET", f"{ORG}/pending/", "a0"))[1]["count"] == 0


async def test_an_existing_user_accepts_signed_in_as_the_invited_address(call: Caller, world: World) -> None:
    sent = await invite(call, "nobody@example.com")
    details = (await call("GET", f"{ACCEPT}?token={sent['token']}", "anonymous"))[1]
    assert details["account_exists"] is True
    assert (await call("POST", ACCEPT, "anonymous", {"token": sent["token"]}))[0] == 401
    assert (await call("POST", ACCEPT, "anonymous", {"token": sent["token"], "password": "hijack-pass"}))[0] == 401
    assert (await call("POST", ACCEPT, "other", {"token": sent["token"]}))[0] == 403
    status, body = await call("POST", ACCEPT, "outsider", {"token": sent["token"]})
    assert status == 200 and body["membership"]["role"] == "m1" and body["membership"]["user"] == "outsider"
    assert (await call("GET", f"{ORG}/membership/", "outsider"))[1]["role"] == "m1"


async def test_expired_invitation_is_410_until_resent(api: Any, appliance: Appliance, call: Caller) -> None:
    sent = await invite(call, "late@example.com")
    old = datetime.now(timezone.utc) - timedelta(days=15)
    await db_write(appliance, lambda s: s.execute(update(Invitation).values(sent_on=old)))
    status, body = await call("POST", ACCEPT, "anonymous", {"token": sent["token"], "password": "late-password"})
    assert status == 410 and "expired" in body["error"]
    pending = (await call("GET", f"{ORG}/pending/", "a0"))[1]["results"]
    assert pending[0]["expired"] is True and pending[0]["email"] == "late@example.com"
    status, again = await call("POST", f"{ORG}/invitation/{sent['id']}/resend/", "d1")
    assert status == 200 and again["token"] != sent["token"] and again["sent_by"] == "acme-d1"
    assert again["expired"] is False and again["id"] == sent["id"]
    assert (await call("POST", ACCEPT, "anonymous", {"token": sent["token"], "password": "late-password"}))[0] == 404
    assert (await call("POST", ACCEPT, "anonymous", {"token": again["token"], "password": "late-password"}))[0] == 201


async def test_reinviting_a_pending_address_refreshes_it(call: Caller) -> None:
    first = await invite(call, "twice@example.com")
    second = await invite(call, "twice@example.com", "d1")
    assert second["id"] == first["id"] and second["token"] != first["token"] and second["role"] == "d1"
    assert (await call("GET", f"{ORG}/pending/", "a0"))[1]["count"] == 1
    assert (await call("GET", f"{ACCEPT}?token={first['token']}", "anonymous"))[0] == 404


async def test_deleted_invitation_cannot_be_accepted(call: Caller) -> None:
    sent = await invite(call, "gone@example.com")
    assert (await call("DELETE", f"{ORG}/invitation/{sent['id']}/", "a1"))[0] == 204
    assert (await call("POST", ACCEPT, "anonymous", {"token": sent["token"], "password": "gone-password"}))[0] == 404
    assert (await call("DELETE", f"{ORG}/invitation/{sent['id']}/", "a1"))[0] == 404


async def test_only_owners_invite_owners(appliance: Appliance, call: Caller) -> None:
    before = await snapshot(appliance)
    for who in ("a1", "d1"):
        assert (await call("POST", f"{ORG}/invite/", who, {"email": "boss@example.com", "role": "a0"}))[0] == 403
    assert await snapshot(appliance) == before
    assert (await invite(call, "boss@example.com", "a0"))["role"] == "a0"
    assert (await call("POST", f"{ORG}/invite/", "staff", {"email": "boss2@example.com", "role": "a0"}))[0] == 201


async def test_disabled_member_is_not_reenabled_by_an_invitation(appliance: Appliance, call: Caller) -> None:
    sent = await invite(call, "nobody@example.com")
    assert (await call("POST", f"{ORG}/register/", "a0", {"user": "outsider"}))[0] == 201
    assert (await call("PATCH", f"{ORG}/members/outsider/", "a0", {"is_active": False}))[0] == 200
    before = await snapshot(appliance)
    status, body = await call("POST", ACCEPT, "outsider", {"token": sent["token"]})
    assert status == 409 and "disabled" in body["error"]
    assert await snapshot(appliance) == before
    assert (await call("POST", f"{ORG}/invite/", "a0", {"email": "nobody@example.com"}))[0] == 400


async def test_bad_accept_requests_change_nothing(appliance: Appliance, call: Caller, world: World) -> None:
    sent = await invite(call, "careful@example.com")
    token = sent["token"]
    cases = [
        ({}, 400), ({"token": ""}, 400), ({"token": 5}, 400), ({"token": "t" * 500}, 400),
        ({"token": "no-such-token", "password": "long-enough"}, 404),
        ({"token": token, "password": "short"}, 400), ({"token": token}, 400),
        ({"token": token, "password": 12345678}, 400), ({"token": token, "password": "long-enough", "x": 1}, 400),
        ({"token": token, "password": "long-enough", "name": "n" * 151}, 400),
        ({"token": token, "password": "long-enough", "username": "has space"}, 400),
        ({"token": token, "password": "long-enough", "username": "acme-m1"}, 409),
    ]
    before = await snapshot(appliance)
    for body, status in cases:
        assert (await call("POST", ACCEPT, "anonymous", body))[0] == status, body
        assert await snapshot(appliance) == before, body
    apikey = Caller(call.api, world, await api_key_headers(world))
    before = await snapshot(appliance)
    assert (await apikey("POST", ACCEPT, "apikey", {"token": token, "password": "long-enough"}))[0] == 403
    assert (await apikey("GET", f"{ACCEPT}?token={token}", "apikey"))[0] == 403
    assert await snapshot(appliance) == before
    assert (await call("GET", ACCEPT, "anonymous"))[0] == 400


# -- e-mail -------------------------------------------------------------------------------------------


class SmtpSink:
    """A minimal SMTP server on 127.0.0.1 that keeps what it receives (no TLS, no auth)."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._session, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"220 sink ready\r\n")
        while line := await reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-sink\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                self.messages.append((await reader.readuntil(b"\r\n.\r\n")).decode())
                writer.write(b"250 queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()


@pytest.fixture
async def smtp_sink() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    yield sink
    if sink.server is not None and sink.server.is_serving():
        await sink.stop()


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    handler, root = Collect(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


async def test_invitation_is_emailed_when_smtp_is_configured(appliance: Appliance, call: Caller, smtp_sink: SmtpSink,
                                                             log_lines: list[str]) -> None:
    port = await smtp_sink.start()
    appliance.settings = Settings({**appliance.settings.values, "smtp.host": "127.0.0.1", "smtp.port": port,
                                   "smtp.security": "none", "smtp.from": "appliance@example.com"})
    sent = await invite(call, "mailed@example.com", "m1")
    assert sent["email_sent"] is True
    (message,) = smtp_sink.messages
    assert "To: mailed@example.com" in message and "From: appliance@example.com" in message
    assert "Acme Corp" in message and sent["token"] in message
    resent = (await call("POST", f"{ORG}/invitation/{sent['id']}/resend/", "a0"))[1]
    assert resent["email_sent"] is True and resent["token"] in smtp_sink.messages[1]
    await smtp_sink.stop()
    failed = await invite(call, "unlucky@example.com")
    assert failed["email_sent"] is False
    assert (await call("GET", f"{ORG}/pending/", "a0"))[1]["count"] == 2
    for token in (sent["token"], resent["token"], failed["token"]):
        assert not [line for line in log_lines if token in line], "a token reached the log"
    assert any("could not send e-mail to unlucky@example.com" in line for line in log_lines)


async def test_accepted_account_gets_argon2_password(appliance: Appliance, call: Caller) -> None:
    sent = await invite(call, "hashed@example.com")
    assert (await call("POST", ACCEPT, "anonymous", {"token": sent["token"], "password": "hashed-password"}))[0] == 201
    stored = await asyncio.wrap_future(appliance.metadata.read(
        lambda s: s.scalar(select(Account.password_hash).where(Account.email == "hashed@example.com"))))
    assert stored.startswith("$argon2id$")
