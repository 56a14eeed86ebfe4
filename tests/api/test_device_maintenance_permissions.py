"""Who may reset, trim, move and mask a device: every endpoint against every kind of caller.

The matrix is iotile.cloud's: reset and the mask changes need can_reset_device (a0, a1, d1), trim
can_modify_device (m1 too, the server's API check), reading the mask any member (r1 too), and
move can_reset_device (the server's UI mixin). People outside the org get 404, anonymous 401 and
an org Api-Key 403. A refused request changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from appliance.app import Appliance
from appliance.slugs import DeviceSlug
from tests.api.registry_support import (
    ADMINS,
    MEMBERS,
    MODIFIERS,
    Prepare,
    Registry,
    Row,
    build_registry,
    run_row,
)

FIRST = 0x100


def fresh(action: str, body: Any = None, *, project: str = "") -> Prepare:
    """A new device claimed into the registry's project for each caller, so rows never collide."""
    async def prepare(reg: Registry, who: str, n: int) -> tuple[str, Any]:
        device_id = FIRST + n
        await reg.device(device_id)
        await reg.claim(device_id, reg.project)
        payload = {"project": project} if project else body
        return f"/device/{DeviceSlug(device_id).slug}/{action}/", payload

    return prepare


def rows(second_project: str) -> list[Row]:
    return [
        Row("reset", "POST", fresh("reset", {}), ADMINS, ok=202),
        Row("partial reset", "POST", fresh("reset", {"full": False}), ADMINS, ok=202),
        Row("trim", "POST", fresh("trim", {"start": "2024-01-01T00:00:00Z"}), MODIFIERS, ok=202),
        Row("move", "POST", fresh("move", project=second_project), ADMINS, ok=202),
        Row("mask read", "GET", fresh("mask"), MEMBERS, ok=200),
        Row("mask set", "PATCH", fresh("mask", {"start": "2024-01-01T00:00:00Z"}), ADMINS, ok=202),
        Row("mask clear", "DELETE", fresh("mask"), ADMINS, ok=204),
    ]


@pytest.mark.parametrize("index", range(7))
async def test_maintenance_permissions(api: Any, appliance: Appliance, index: int) -> None:
    reg = await build_registry(appliance, api)
    second = await appliance.projects.create(await reg.access("a0"), {"name": "Line 2", "org": reg.world.org.slug})
    await run_row(reg, rows(second.uuid)[index])


async def test_unclaimed_devices_are_staff_only(api: Any, appliance: Appliance) -> None:
    """A device in no project: members cannot see it (404); staff get a clear 400."""
    reg = await build_registry(appliance, api)
    spare = "/device/d--0000-0000-0000-0011"
    assert (await reg.call("POST", f"{spare}/reset/", "a0", {}))[0] == 404
    status, body = await reg.call("POST", f"{spare}/reset/", "staff", {})
    assert status == 400 and body["error"] == "Device is not claimed: it has no project"
    assert (await reg.call("POST", f"{spare}/trim/", "staff", {"start": "2024-01-01T00:00:00Z"}))[0] == 400
    assert (await reg.call("GET", f"{spare}/mask/", "staff"))[1] == {"start": None, "end": None}
    assert (await reg.call("PATCH", f"{spare}/mask/", "staff", {"start": "2024-01-01T00:00:00Z"}))[0] == 400


async def test_another_orgs_device_is_not_found(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    other = "/device/d--0000-0000-0000-0020"
    for method, action, body in (("POST", "reset", {}), ("POST", "trim", {"start": "2024-01-01T00:00:00Z"}),
                                 ("POST", "move", {"project": reg.project.uuid}), ("GET", "mask", None),
                                 ("PATCH", "mask", {"end": "2024-01-01T00:00:00Z"}), ("DELETE", "mask", None)):
        assert (await reg.call(method, f"{other}/{action}/", "a0", body))[0] == 404, action
    assert (await reg.call("POST", "/device/d--0000-0000-0000-9999/reset/", "staff", {}))[0] == 404
    assert (await reg.call("POST", "/device/d--12345/reset/", "staff", {}))[0] == 404
