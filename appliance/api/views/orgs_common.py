"""What the account and org views share: who may call them, the org in the path, strict bodies, JSON.

These endpoints act for a *person*: an org ``Api-Key`` (no person) and a device's ``a-jwt`` (a device
acting for its claimer) are refused with 403, so a leaked machine credential cannot invite people,
mint keys or change passwords.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from aiohttp import web

from appliance.api.access import access_of
from appliance.api.auth import principal
from appliance.api.keys import APPLIANCE
from appliance.errors import PermissionDenied, ValidationError
from appliance.events import Changes
from appliance.services.accounts import AccountRecord
from appliance.services.invitations import invite_link_base
from appliance.services.memberships import MembershipRecord
from appliance.services.orgs import OrgRecord
from appliance.services.permissions import ADMIN_ROLES, ROLE_NAMES, Access, permissions_of

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
FALSE_WORDS = frozenset({"false", "0", "no", "off"})


def user_of(request: web.Request) -> AccountRecord:
    """The signed-in person; machine credentials get 403."""
    who = principal(request)
    if who.account is None or who.device_id is not None:
        raise PermissionDenied("this endpoint needs a user's credentials (jwt or Token), not an API key or "
                               "device token", key="user_required")
    return who.account


async def org_in_path(request: web.Request) -> tuple[AccountRecord, Access, OrgRecord]:
    """The caller and the org named by ``{slug}``; an org the caller is not in is 404."""
    user = user_of(request)
    access = await access_of(request)
    org = await request.app[APPLIANCE].orgs.visible(access, request.match_info["slug"])
    return user, access, org


def only_fields(data: Mapping[str, Any], writable: Collection[str], read_only: Collection[str] = ()) -> None:
    """Unknown fields are refused whole (a typo must not pass silently); read-only fields a client
    sends back from a GET are ignored, as DRF does."""
    unknown = sorted(set(data) - set(writable) - set(read_only))
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(unknown)}", key="unknown_field",
                              detail={name: "unknown field" for name in unknown})


def optional_text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        raise ValidationError(f"{name}: expected text", key="wrong_type", detail={name: "not a string"})
    return value


def optional_bool(data: Mapping[str, Any], name: str) -> bool | None:
    """JSON booleans, or the words DRF's BooleanField takes (form bodies are all text)."""
    value = data.get(name)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in TRUE_WORDS | FALSE_WORDS:
        return value.lower() in TRUE_WORDS
    raise ValidationError(f"{name}: expected true or false", key="wrong_type", detail={name: "not a boolean"})


def query_flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "0").lower() in TRUE_WORDS


def invitation_link_base(request: web.Request) -> str:
    """Invitation links open the accept page on the appliance's public address, else on the address
    the inviter used to reach it."""
    public = str(request.app[APPLIANCE].settings["server.public_url"])
    return invite_link_base(public, str(request.url.origin()))


def publish_change(request: web.Request, *, orgs: bool = False, accounts: bool = False, **detail: Any) -> None:
    """The org and account services have no event bus of their own yet, so their views announce what
    changed: the GUI refreshes, and cached sign-ins and upload rights are dropped at once (a revoked
    key or a removed member must not keep working for the cache's lifetime)."""
    request.app[APPLIANCE].events.publish(Changes(orgs=orgs, accounts=accounts, initiator="api", detail=detail))


def org_json(org: OrgRecord) -> dict[str, Any]:
    """iotile.cloud's OrgSerializer (no avatar: the appliance stores no images)."""
    return {
        "id": org.uuid,
        "name": org.name,
        "slug": org.slug,
        "ot": None,
        "about": org.about,
        "created_on": org.created_on,
        "created_by": org.created_by_slug,
        "domain_names": list(org.domain_names),
    }


def user_details(account: AccountRecord) -> dict[str, Any]:
    """iotile.cloud's AccountReadOnlyLightSerializer (no avatar)."""
    return {"email": account.email, "username": account.username, "slug": account.slug, "name": account.name,
            "tagline": ""}


def membership_json(member: MembershipRecord) -> dict[str, Any]:
    """iotile.cloud's OrgMembershipSerializer; a disabled membership grants nothing."""
    granted = permissions_of(member.role)
    return {
        "user": member.account.slug,
        "user_details": user_details(member.account),
        "created_on": member.created_on,
        "is_active": member.is_active,
        "is_org_admin": member.role in ADMIN_ROLES,
        "permissions": granted if member.is_active else {name: False for name in granted},
        "role": member.role,
        "role_name": ROLE_NAMES.get(member.role, "Unknown Role"),
    }
