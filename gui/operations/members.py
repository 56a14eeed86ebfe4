"""The orgs the signed-in account may see, their members and pending invitations, and the writes an
operator with ``can_manage_users`` may make: change a role, remove a member, invite, resend, delete.

Every write goes through the services with the operator's Access (the API's permission matrix and
the owner rules of ``appliance/services/memberships.py``), then publishes ``Changes(orgs=True)`` as
the API views do, so cached sign-ins of a removed member are dropped at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from appliance.app import Appliance
from appliance.events import Changes
from appliance.services.accounts import AccountRecord
from appliance.services.invitations import InvitationRecord, IssuedInvitation, invite_link_base
from appliance.services.memberships import MembershipRecord
from appliance.services.orgs import OrgRecord
from appliance.services.permissions import Access, Perm
from gui.netaddr import upload_urls
from gui.operations import Op
from gui.operations.access import access_for, list_scope

ORG_LIMIT = 500


@dataclass(frozen=True)
class OrgMembers:
    """One org as the Members screen shows it."""

    members: list[MembershipRecord]
    invitations: list[InvitationRecord]
    actor_role: str  # the operator's role in the org ("s0" for staff)
    can_manage: bool


def org_lister(account: AccountRecord) -> Op[list[OrgRecord]]:
    async def visible_orgs(appliance: Appliance) -> list[OrgRecord]:
        access = await access_for(appliance, account)
        _, orgs = await appliance.orgs.page(list_scope(access), limit=ORG_LIMIT)
        return orgs

    return visible_orgs


def org_members(account: AccountRecord, org_id: int) -> Op[OrgMembers]:
    """Members always; pending invitations only for those who may manage users (as ``pending/``)."""
    async def read(appliance: Appliance) -> OrgMembers:
        access = await access_for(appliance, account)
        access.visible(org_id, "org")
        _, members = await appliance.orgs.members.page(org_id, include_inactive=True, limit=1000)
        can_manage = access.can(org_id, Perm.MANAGE_USERS)
        invitations: list[InvitationRecord] = []
        if can_manage:
            _, invitations = await appliance.invitations.page_pending(org_id, limit=1000)
        return OrgMembers(members, invitations, access.role_in(org_id) or "", can_manage)

    return read


async def _manager(appliance: Appliance, account: AccountRecord, org_id: int) -> Access:
    access = await access_for(appliance, account)
    access.require(org_id, Perm.MANAGE_USERS, "org")
    return access


def _changed(appliance: Appliance, org_id: int) -> None:
    appliance.events.publish(Changes(orgs=True, initiator="gui", detail={"org_id": org_id}))


def role_changer(account: AccountRecord, org_id: int, member_slug: str, role: str) -> Op[MembershipRecord]:
    async def change(appliance: Appliance) -> MembershipRecord:
        access = await _manager(appliance, account, org_id)
        record = await appliance.orgs.members.change(org_id, member_slug, actor_role=access.role_in(org_id) or "",
                                                     role=role)
        _changed(appliance, org_id)
        return record

    return change


def member_remover(account: AccountRecord, org_id: int, member_slug: str) -> Op[None]:
    async def remove(appliance: Appliance) -> None:
        access = await _manager(appliance, account, org_id)
        await appliance.orgs.members.remove(org_id, member_slug, actor_role=access.role_in(org_id) or "")
        _changed(appliance, org_id)

    return remove


def link_base(appliance: Appliance) -> str:
    """The accept page's address: ``server.public_url`` when set, else this computer's first LAN
    address (``appliance.base_url`` is 127.0.0.1 when the server listens on every address, which the
    invited person's computer cannot reach)."""
    urls = upload_urls(appliance.http_addresses)
    return invite_link_base(str(appliance.settings["server.public_url"]), urls[0] if urls else appliance.base_url)


def inviter(account: AccountRecord, org_id: int, email: str, role: str) -> Op[IssuedInvitation]:
    async def invite(appliance: Appliance) -> IssuedInvitation:
        access = await _manager(appliance, account, org_id)
        issued = await appliance.invitations.invite(org_id, email, role, sent_by=account,
                                                    actor_role=access.role_in(org_id) or "",
                                                    link_base=link_base(appliance),
                                                    mailer=await appliance.current_mailer())
        _changed(appliance, org_id)
        return issued

    return invite


def resender(account: AccountRecord, org_id: int, invitation_uuid: str) -> Op[IssuedInvitation]:
    async def resend(appliance: Appliance) -> IssuedInvitation:
        await _manager(appliance, account, org_id)
        issued = await appliance.invitations.resend(org_id, invitation_uuid, sent_by=account,
                                                    link_base=link_base(appliance),
                                                    mailer=await appliance.current_mailer())
        _changed(appliance, org_id)
        return issued

    return resend


def invitation_deleter(account: AccountRecord, org_id: int, invitation_uuid: str) -> Op[None]:
    async def delete(appliance: Appliance) -> None:
        await _manager(appliance, account, org_id)
        await appliance.invitations.delete(org_id, invitation_uuid)
        _changed(appliance, org_id)

    return delete
