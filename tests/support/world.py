"""A populated appliance for permission tests: one org per role, a second org, an outsider, staff."""

from __future__ import annotations

from dataclasses import dataclass, field

from appliance.app import Appliance
from appliance.services.accounts import AccountRecord
from appliance.services.orgs import OrgRecord

ROLES = ("a0", "a1", "m1", "r1", "d1")
PASSWORD = "test-password-1"


@dataclass
class World:
    appliance: Appliance
    org: OrgRecord
    other_org: OrgRecord
    users: dict[str, AccountRecord] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        """who: a role code (member of ``org``), 'staff', 'other' (owner of ``other_org``), 'outsider'."""
        if who == "anonymous":
            return {}
        user = self.users[who]
        return {"Authorization": f"jwt {self.appliance.jwt.issue(user.id, user.username, user.email)}"}


async def build_world(appliance: Appliance) -> World:
    accounts, orgs = appliance.accounts, appliance.orgs
    users: dict[str, AccountRecord] = {}
    for role in ROLES:
        users[role] = await accounts.create(f"{role}@acme.example", PASSWORD, username=f"acme-{role}")
    users["other"] = await accounts.create("owner@other.example", PASSWORD, username="other-owner")
    users["outsider"] = await accounts.create("nobody@example.com", PASSWORD, username="outsider")
    staff = await accounts.find_by_email("owner@appliance.local")
    assert staff is not None
    users["staff"] = staff
    org = await orgs.create("Acme Corp", created_by_id=users["a0"].id)
    for role in ROLES[1:]:
        await orgs.add_member(org.id, users[role].id, role)
    other = await orgs.create("Other Org", created_by_id=users["other"].id)
    return World(appliance, org, other, users)
