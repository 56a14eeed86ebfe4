"""The iotile.cloud permission matrix, and the one place that decides who may do what.

Roles (org/roles.py on the real server): a0 Owner, a1 Admin, m1 Member, r1 Operator, d1 Developer;
staff act as s0 and hold every permission in every org. Every check is "does this caller hold
permission P in org O". Membership of an org lets a caller *see* the org's objects at all; objects
of orgs the caller is not in are reported as missing (404), not forbidden, so their existence does
not leak.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from appliance.errors import NotFound, PermissionDenied


class Perm(str, Enum):
    DELETE_ORG = "can_delete_org"
    MANAGE_USERS = "can_manage_users"
    MANAGE_OTA = "can_manage_ota"
    MANAGE_ORG_AND_PROJECTS = "can_manage_org_and_projects"
    CLAIM_DEVICES = "can_claim_devices"
    MODIFY_DEVICE = "can_modify_device"
    READ_STREAM_IDS = "can_read_stream_ids"
    MODIFY_STREAM_IDS = "can_modify_stream_ids"
    READ_DEVICE_PROPERTIES = "can_read_device_properties"
    MODIFY_DEVICE_PROPERTIES = "can_modify_device_properties"
    READ_NOTES = "can_read_notes"
    READ_DEVICE_LOCATIONS = "can_read_device_locations"
    READ_STREAM_DATA = "can_read_stream_data"
    CREATE_STREAM_DATA = "can_create_stream_data"
    MANAGE_STREAM_ALIASES = "can_manage_stream_aliases"
    CREATE_DATABLOCK = "can_create_datablock"
    ACCESS_DATABLOCK = "can_access_datablock"
    DELETE_DATABLOCK = "can_delete_datablock"
    RESET_DEVICE = "can_reset_device"
    ACCESS_REPORTS = "can_access_reports"
    CREATE_REPORTS = "can_create_reports"
    CREATE_STREAM_IDS = "can_create_stream_ids"
    ACCESS_CLASSIC = "can_access_classic"
    ACCESS_WEBAPP = "can_access_webapp"
    ACCESS_COMPANION = "can_access_companion"


ALL = frozenset(Perm)
P = Perm

# What each role lacks is the shorter list, so the matrix is written as exclusions from ALL.
_OWNER = ALL - {P.MANAGE_OTA, P.CREATE_STREAM_IDS}
_ADMIN = _OWNER - {P.DELETE_ORG, P.DELETE_DATABLOCK}
_MEMBER = frozenset({
    P.MODIFY_DEVICE, P.READ_STREAM_IDS, P.MODIFY_STREAM_IDS, P.READ_DEVICE_PROPERTIES, P.MODIFY_DEVICE_PROPERTIES,
    P.READ_NOTES, P.READ_DEVICE_LOCATIONS, P.READ_STREAM_DATA, P.CREATE_STREAM_DATA, P.ACCESS_DATABLOCK,
    P.ACCESS_REPORTS, P.ACCESS_WEBAPP, P.ACCESS_COMPANION,
})
_OPERATOR = frozenset({P.READ_STREAM_IDS, P.CREATE_STREAM_DATA, P.ACCESS_COMPANION})
_DEVELOPER = ALL - {P.DELETE_ORG, P.DELETE_DATABLOCK}

ROLE_PERMISSIONS: Mapping[str, frozenset[Perm]] = {
    "s0": ALL, "a0": _OWNER, "a1": _ADMIN, "m1": _MEMBER, "r1": _OPERATOR, "d1": _DEVELOPER,
}
ROLE_NAMES: Mapping[str, str] = {
    "s0": "s0 - Arch Support", "a0": "a0 - Owner", "a1": "a1 - Admin", "m1": "m1 - Member",
    "r1": "r1 - Operator", "d1": "d1 - Developer",
}
MEMBER_ROLES = ("a0", "a1", "m1", "r1", "d1")
DEFAULT_ROLE = "m1"
ADMIN_ROLES = frozenset({"a0", "a1"})


def permissions_of(role: str) -> dict[str, bool]:
    """The ``permissions`` dict iotile.cloud shows on a membership."""
    granted = ROLE_PERMISSIONS.get(role, frozenset())
    return {perm.value: perm in granted for perm in Perm}


@dataclass(frozen=True)
class Access:
    """What one caller may do: their role per org id. Built once per request."""

    is_staff: bool = False
    roles: Mapping[int, str] = field(default_factory=dict)
    account_id: int | None = None
    api_key_org: int | None = None

    def role_in(self, org_id: int | None) -> str | None:
        if org_id is None:
            return None
        if self.is_staff:
            return "s0"
        return self.roles.get(org_id)

    def is_member(self, org_id: int | None) -> bool:
        return self.role_in(org_id) is not None

    def can(self, org_id: int | None, perm: Perm) -> bool:
        role = self.role_in(org_id)
        return role is not None and perm in ROLE_PERMISSIONS[role]

    def visible(self, org_id: int | None, what: str = "object") -> None:
        """Objects of an org the caller is not in do not exist for them."""
        if not self.is_member(org_id):
            raise NotFound(f"{what} not found")

    def require(self, org_id: int | None, perm: Perm, what: str = "object") -> None:
        """404 when the caller cannot see the org at all, 403 when they can but lack ``perm``."""
        self.visible(org_id, what)
        if not self.can(org_id, perm):
            raise PermissionDenied(f"you do not have permission to do this ({perm.value})", key=perm.value)

    @property
    def org_ids(self) -> frozenset[int] | None:
        """None means every org (staff)."""
        return None if self.is_staff else frozenset(self.roles)
