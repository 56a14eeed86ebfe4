"""The invitation page ``/invite/<token>`` over real HTTP: the link the invite answer gives opens it;
a new address creates its account and joins, an existing account joins with its password; expired,
used, unknown and malformed tokens get a clear page and the right status; refused forms change
nothing; cross-site posts are refused; whatever people typed or named is escaped."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from storage.metadata import Account, Invitation, OrgMembership
from tests.support.world import PASSWORD, World, build_world

NEW = {"name": "Nina New", "password": "nina-pass-42", "confirm": "nina-pass-42"}
HOSTILE_ORG = "<script>alert('org')</script> & \"Sons\""


@pytest.fixture
async def world(appliance: Appliance) -> World:
    return await build_world(appliance)


async def invite(api: Any, world: World, email: str, role: str = "m1", org: str | None = None) -> str:
    """The accept link as the API answers it; returns its path (the test client's host is 127.0.0.1)."""
    response = await api.post(f"/api/v1/org/{org or world.org.slug}/invite/", json={"email": email, "role": role},
                              headers=world.headers("a0" if org is None else "staff"))
    assert response.status == 201, await response.text()
    return urlsplit((await response.json())["accept_url"]).path


async def counts(appliance: Appliance) -> tuple[int, int, int]:
    """Accounts, memberships and pending invitations: what a refused form must leave alone."""
    def read(session: Session) -> tuple[int, int, int]:
        pending = select(func.count()).select_from(Invitation).where(Invitation.accepted.is_(False))
        return (session.scalar(select(func.count()).select_from(Account)) or 0,
                session.scalar(select(func.count()).select_from(OrgMembership)) or 0,
                session.scalar(pending) or 0)

    return await asyncio.wrap_future(appliance.metadata.read(read))


async def page(response: Any, status: int) -> str:
    text = await response.text()
    assert response.status == status, text
    assert response.content_type == "text/html" and response.charset == "utf-8"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY" and response.headers["Cache-Control"] == "no-store"
    assert "<script" not in text
    assert "no-referrer" not in text and response.headers["Referrer-Policy"] == "same-origin"  # no-referrer would
    # make browsers send "Origin: null" with the form, which the page refuses
    return text


async def test_the_link_opens_a_form_and_a_new_account_joins(api: Any, appliance: Appliance, world: World) -> None:
    path = await invite(api, world, "Nina@Example.com", "d1")
    assert path.startswith("/invite/")
    text = await page(await api.get(path), 200)
    assert "Join Acme Corp" in text and "Developer" in text and "nina@example.com" in text and "acme-a0" in text
    assert 'name="confirm"' in text and 'type="password"' in text and "action=" not in text
    before = await counts(appliance)
    done = await page(await api.post(path, data=NEW), 201)
    assert "Welcome to Acme Corp" in done and "/api/v1/auth/login/" in done and "IOTile Appliance" in done
    account = await appliance.accounts.authenticate("nina@example.com", NEW["password"])
    assert account.name == "Nina New"
    membership = await appliance.orgs.members.of_account(world.org.id, account.id)
    assert membership is not None and membership.role == "d1"
    assert await counts(appliance) == (before[0] + 1, before[1] + 1, before[2] - 1)
    again = await page(await api.get(path), 404)  # used: the token was voided
    assert "does not work any more" in again
    assert (await api.post(path, data=NEW)).status == 404


async def test_an_existing_account_joins_with_its_password(api: Any, appliance: Appliance, world: World) -> None:
    path = await invite(api, world, "nobody@example.com", "r1")
    text = await page(await api.get(path), 200)
    assert "An account for this address exists" in text and 'name="confirm"' not in text
    before = await counts(appliance)
    wrong = await page(await api.post(path, data={"password": "not-the-password"}), 403)
    assert "That is not the password of nobody@example.com" in wrong and "<form" in wrong
    assert await counts(appliance) == before
    await page(await api.post(path, data={"password": PASSWORD}), 200)
    membership = await appliance.orgs.members.of_account(world.org.id, world.users["outsider"].id)
    assert membership is not None and membership.role == "r1"
    assert await counts(appliance) == (before[0], before[1] + 1, before[2] - 1)


@pytest.mark.parametrize(("form", "says"), [
    ({**NEW, "confirm": "nina-pass-43"}, "The two passwords differ"),
    ({**NEW, "password": "short", "confirm": "short"}, "at least 8 characters"),
    ({**NEW, "name": "N" * 151}, "at most 150 characters"),
    ({"name": "Nina"}, "at least 8 characters"),
])
async def test_a_refused_form_is_shown_again_and_nothing_changes(api: Any, appliance: Appliance, world: World,
                                                                 form: dict[str, str], says: str) -> None:
    path = await invite(api, world, "nina@example.com")
    before = await counts(appliance)
    text = await page(await api.post(path, data=form), 400)
    assert says in text and "<form" in text
    assert await counts(appliance) == before
    await page(await api.post(path, data=NEW), 201)  # the link still works


async def expire(appliance: Appliance, days: int) -> None:
    def backdate(session: Session) -> None:
        for row in session.scalars(select(Invitation)):
            row.sent_on = datetime.now(timezone.utc) - timedelta(days=days)

    await asyncio.wrap_future(appliance.metadata.write(backdate))


async def test_expired_unknown_and_malformed_links(api: Any, appliance: Appliance, world: World) -> None:
    path = await invite(api, world, "late@example.com")
    await expire(appliance, 15)
    before = await counts(appliance)
    assert "has expired" in await page(await api.get(path), 410)
    assert "has expired" in await page(await api.post(path, data=NEW), 410)
    assert await counts(appliance) == before
    assert "does not work any more" in await page(await api.get("/invite/AAAAbbbbCCCCdddd"), 404)
    assert "not complete" in await page(await api.get("/invite/" + "x" * 200), 400)
    assert "not complete" in await page(await api.get("/invite/"), 400)


async def test_a_resent_invitation_voids_the_old_link(api: Any, world: World) -> None:
    first = await invite(api, world, "twice@example.com")
    second = await invite(api, world, "twice@example.com")
    assert first != second
    await page(await api.get(first), 404)
    await page(await api.get(second), 200)


@pytest.mark.parametrize("headers", [{"Origin": "http://evil.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}])
async def test_cross_site_posts_are_refused(api: Any, appliance: Appliance, world: World,
                                            headers: dict[str, str]) -> None:
    path = await invite(api, world, "nina@example.com")
    before = await counts(appliance)
    assert "another web site" in await page(await api.post(path, data=NEW, headers=headers), 403)
    assert await counts(appliance) == before


async def test_a_same_origin_browser_post_is_accepted(api: Any, world: World) -> None:
    path = await invite(api, world, "nina@example.com")
    own = str(api.make_url("/").origin())
    await page(await api.post(path, data=NEW, headers={"Origin": own, "Sec-Fetch-Site": "same-origin"}), 201)


async def test_only_small_forms_are_read(api: Any, appliance: Appliance, world: World) -> None:
    path = await invite(api, world, "nina@example.com")
    before = await counts(appliance)
    await page(await api.post(path, json=NEW), 400)
    await page(await api.post(path, data={**NEW, "padding": "x" * 20_000}), 413)
    assert await counts(appliance) == before


async def test_names_and_typed_text_are_escaped(api: Any, appliance: Appliance, world: World) -> None:
    org = await appliance.orgs.create(HOSTILE_ORG, created_by_id=world.users["staff"].id)
    path = await invite(api, world, "nina@example.com", org=org.slug)
    text = await page(await api.get(path), 200)
    assert "&lt;script&gt;alert(&#x27;org&#x27;)&lt;/script&gt; &amp; &quot;Sons&quot;" in text
    typed = '"><img src=x onerror=alert(1)>'
    refused = await page(await api.post(path, data={**NEW, "name": typed, "confirm": "other-pass-1"}), 400)
    assert 'value="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"' in refused and "<img" not in refused
    done = await page(await api.post(path, data={**NEW, "name": typed}), 201)
    assert "&lt;script&gt;" in done and "<img" not in done


async def test_links_use_the_public_address_when_set(api: Any, appliance: Appliance, world: World) -> None:
    appliance.settings = appliance.settings.with_overrides({"server.public_url": "https://appliance.example/"})
    response = await api.post(f"/api/v1/org/{world.org.slug}/invite/", json={"email": "pub@example.com"},
                              headers=world.headers("a0"))
    body = await response.json()
    assert body["accept_url"] == f"https://appliance.example/invite/{body['token']}"
    path = urlsplit(body["accept_url"]).path
    done = await page(await api.post(path, data=NEW, headers={"Origin": "https://appliance.example"}), 201)
    assert "https://appliance.example/api/v1/auth/login/" in done


def test_invitation_tokens_stay_out_of_error_logs() -> None:
    from aiohttp.test_utils import make_mocked_request

    from appliance.api.middlewares import loggable_path

    assert loggable_path(make_mocked_request("POST", "/invite/abc123secret")) == "/invite/<redacted>"
    assert loggable_path(make_mocked_request("GET", "/invite/")) == "/invite/"
    assert loggable_path(make_mocked_request("GET", "/api/v1/org/")) == "/api/v1/org/"
