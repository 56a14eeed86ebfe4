"""The permission matrix is iotile.cloud's (org/roles.py), role by role."""

from __future__ import annotations

from appliance.app import Appliance
from appliance.services.permissions import ROLE_PERMISSIONS, Access, Perm, permissions_of
from tests.support.world import build_world


def test_matrix_matches_the_real_server() -> None:
    assert ROLE_PERMISSIONS["s0"] == frozenset(Perm)
    owner, admin = ROLE_PERMISSIONS["a0"], ROLE_PERMISSIONS["a1"]
    assert Perm.DELETE_ORG in owner and Perm.DELETE_ORG not in admin
    assert Perm.MANAGE_OTA not in owner and Perm.CREATE_STREAM_IDS not in owner
    assert Perm.DELETE_DATABLOCK in owner and Perm.DELETE_DATABLOCK not in admin
    member = ROLE_PERMISSIONS["m1"]
    assert Perm.CLAIM_DEVICES not in member and Perm.MODIFY_DEVICE in member and Perm.READ_STREAM_DATA in member
    assert Perm.MANAGE_STREAM_ALIASES not in member and Perm.RESET_DEVICE not in member
    operator = ROLE_PERMISSIONS["r1"]
    assert operator == {Perm.READ_STREAM_IDS, Perm.CREATE_STREAM_DATA, Perm.ACCESS_COMPANION}
    developer = ROLE_PERMISSIONS["d1"]
    assert Perm.MANAGE_OTA in developer and Perm.CREATE_STREAM_IDS in developer
    assert Perm.DELETE_ORG not in developer and Perm.DELETE_DATABLOCK not in developer
    assert len(permissions_of("m1")) == len(Perm) == 25


async def test_access_is_per_org(appliance: Appliance) -> None:
    world = await build_world(appliance)
    from appliance.services.auth import Principal

    member = await appliance.orgs.access_for(Principal("jwt", world.users["m1"]))
    assert member.can(world.org.id, Perm.READ_STREAM_DATA)
    assert not member.is_member(world.other_org.id)
    staff = await appliance.orgs.access_for(Principal("jwt", world.users["staff"]))
    assert staff.can(world.other_org.id, Perm.DELETE_ORG) and staff.org_ids is None
    assert not Access().can(world.org.id, Perm.READ_STREAM_IDS)
