"""The orgs the signed-in account may see, and their members (read-only in this build)."""

from __future__ import annotations

from appliance.app import Appliance
from appliance.services.accounts import AccountRecord
from appliance.services.memberships import MembershipRecord
from appliance.services.orgs import OrgRecord
from gui.operations import Op
from gui.operations.access import access_for, list_scope

ORG_LIMIT = 500


def org_lister(account: AccountRecord) -> Op[list[OrgRecord]]:
    async def visible_orgs(appliance: Appliance) -> list[OrgRecord]:
        access = await access_for(appliance, account)
        _, orgs = await appliance.orgs.page(list_scope(access), limit=ORG_LIMIT)
        return orgs

    return visible_orgs


def member_lister(org_id: int) -> Op[list[MembershipRecord]]:
    async def members(appliance: Appliance) -> list[MembershipRecord]:
        _, rows = await appliance.orgs.members.page(org_id, include_inactive=True, limit=1000)
        return rows

    return members
