"""The org, membership, invitation and API-key services as the GUI calls them (no HTTP)."""

from __future__ import annotations

import pytest

from appliance.app import Appliance
from appliance.errors import Conflict, NotFound, PermissionDenied, ValidationError
from appliance.services.auth import Principal
from appliance.services.mailer import Mailer, SmtpConfig, config_from_settings
from appliance.services.orgs import slugify
from appliance.services.permissions import Perm
from tests.support.world import build_world


@pytest.mark.parametrize(("name", "slug"), [
    ("Acme Corp", "acme-corp"), ("  Acme   Corp  ", "acme-corp"), ("Acmé Façade", "acme-facade"),
    ("A & B", "a-b"), ("foo_bar", "foo_bar"), ("--Dash--", "dash"), ("Über-Org!", "uber-org"), ("日本", ""),
    ("x" * 80, "x" * 60),
])
def test_slugify_matches_django(name: str, slug: str) -> None:
    assert slugify(name) == slug


async def test_org_lifecycle(appliance: Appliance) -> None:
    world = await build_world(appliance)
    orgs = appliance.orgs
    assert await orgs.member_org_ids(world.users["m1"].id) == {world.org.id}
    assert (await orgs.by_slug("acme-corp")).created_by_slug == "acme-a0"
    count, page = await orgs.page(None, search="org")
    assert count == 1 and page[0].slug == "other-org"
    renamed = await orgs.update(world.org.id, name="Acme Two", about="second")
    assert renamed.slug == "acme-two" and renamed.about == "second"
    with pytest.raises(Conflict):
        await orgs.update(world.org.id, name="other org")
    with pytest.raises(ValidationError):
        await orgs.create("", created_by_id=None)
    extra = await orgs.extra_info(renamed)
    assert extra.counts["members"] == 5 and extra.counts["projects"] == 0
    await orgs.delete(world.other_org.id)
    with pytest.raises(NotFound):
        await orgs.by_slug("other-org")


async def test_owner_rules(appliance: Appliance) -> None:
    world = await build_world(appliance)
    members, org = appliance.orgs.members, world.org.id
    with pytest.raises(PermissionDenied):
        await members.change(org, "acme-m1", role="a0", actor_role="a1")
    with pytest.raises(PermissionDenied):
        await members.change(org, "acme-a0", role="a1", actor_role="a1")
    with pytest.raises(PermissionDenied):
        await members.register(org, "outsider", "a0", actor_role="d1")
    with pytest.raises(Conflict):
        await members.change(org, "acme-a0", role="m1", actor_role="s0")
    with pytest.raises(Conflict):
        await members.change(org, "acme-a0", is_active=False, actor_role="a0")
    with pytest.raises(Conflict):
        await members.remove(org, "acme-a0", actor_role="a0")
    assert (await members.change(org, "acme-a1", role="a0", actor_role="a0")).role == "a0"
    assert (await members.change(org, "acme-a0", role="m1", actor_role="a0")).role == "m1"
    await members.remove(org, "acme-a0", actor_role="s0")
    with pytest.raises(Conflict):
        await members.remove(org, "acme-a1", actor_role="a0")
    access = await appliance.orgs.access_for(Principal("jwt", world.users["a1"]))
    assert access.can(org, Perm.DELETE_ORG)


async def test_invitation_accept_for_a_signed_in_account(appliance: Appliance) -> None:
    world = await build_world(appliance)
    issued = await appliance.invitations.invite(world.org.id, "nobody@example.com", "d1", sent_by=world.users["a0"],
                                                actor_role="a0", link_base="http://x/invite/")
    assert issued.accept_url == f"http://x/invite/{issued.token}"
    assert not issued.email_sent
    with pytest.raises(PermissionDenied):
        await appliance.invitations.accept(issued.token, account=world.users["other"])
    result = await appliance.invitations.accept(issued.token, account=world.users["outsider"])
    assert result.membership.role == "d1" and not result.created_account
    with pytest.raises(NotFound):
        await appliance.invitations.accept(issued.token, account=world.users["outsider"])


async def test_api_keys_service(appliance: Appliance) -> None:
    world = await build_world(appliance)
    record, key = await appliance.apikeys.create(world.org.id, " scanner ", created_by_id=world.users["a0"].id)
    assert record.name == "scanner" and record.created_by_slug == "acme-a0" and key.startswith(record.prefix + ".")
    assert (await appliance.apikeys.authenticate(key)).org_id == world.org.id
    assert (await appliance.apikeys.page(world.org.id))[0] == 1
    with pytest.raises(NotFound):
        await appliance.apikeys.get(world.other_org.id, record.prefix)


def test_mailer_is_off_without_a_host() -> None:
    assert config_from_settings({}, None) is None
    assert config_from_settings({"smtp.host": "  "}, "pw") is None
    assert not Mailer().enabled and Mailer().send("a@b.c", "s", "b") is False
    config = config_from_settings({"smtp.host": "mail.example", "smtp.username": "u", "smtp.security": "bogus"}, "pw")
    assert config == SmtpConfig(host="mail.example", port=587, username="u", password="pw", security="starttls")
    assert config.from_address == "u"


def test_mailer_reports_an_unreachable_server() -> None:
    mailer = Mailer(SmtpConfig(host="127.0.0.1", port=1, security="none", timeout=5))
    assert mailer.enabled and mailer.send("a@example.com", "subject", "body") is False
