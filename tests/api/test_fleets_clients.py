"""iotile-ext-cloud's own fleet calls against a running appliance: ``get_fleet`` and ``get_whitelist``
(a network fleet's access point learns which devices it manages)."""

from __future__ import annotations

import pytest
import requests
from iotile.core.exceptions import ExternalError

from appliance.slugs import DeviceSlug
from tests.conftest import ThreadedAppliance
from tests.support.devices import claimed_device
from tests.support.iotile_clients import iotile_cloud
from tests.support.world import build_world

GATEWAY, SENSOR_A, SENSOR_B, LONER = 0x101, 0x102, 0x103, 0x104


def test_get_fleet_and_whitelist(threaded_appliance: ThreadedAppliance) -> None:
    running = threaded_appliance
    world = running.call(build_world(running.appliance))
    for device in (GATEWAY, SENSOR_A, SENSOR_B, LONER):
        running.call(claimed_device(running.appliance, world.org.id, device))
    base, dev = f"{running.url}/api/v1", world.headers("d1")

    def post(path: str, body: dict[str, object]) -> dict[str, object]:
        resp = requests.post(f"{base}{path}", json=body, headers=dev, timeout=30)
        assert resp.status_code == 201, resp.text
        result: dict[str, object] = resp.json()
        return result

    network = post("/fleet/", {"name": "Hall", "org": world.org.slug, "is_network": True})
    post(f"/fleet/{network['slug']}/register/", {"device": DeviceSlug(GATEWAY).slug, "is_access_point": True,
                                                  "always_on": True})
    for device in (SENSOR_A, SENSOR_B):
        post(f"/fleet/{network['slug']}/register/", {"device": DeviceSlug(device).slug})
    plain = post("/fleet/", {"name": "Config", "org": world.org.slug})
    post(f"/fleet/{plain['slug']}/register/", {"device": DeviceSlug(LONER).slug, "is_access_point": True})

    cloud = iotile_cloud(running.url, world.headers("r1")["Authorization"].split(" ", 1)[1])
    members = cloud.get_fleet(network["id"])
    assert set(members) == {DeviceSlug(d).slug for d in (GATEWAY, SENSOR_A, SENSOR_B)}
    assert members[DeviceSlug(GATEWAY).slug] == {"always_on": True, "is_access_point": True}
    whitelist = cloud.get_whitelist(GATEWAY)
    assert set(whitelist) == {DeviceSlug(SENSOR_A).slug, DeviceSlug(SENSOR_B).slug}
    with pytest.raises(ExternalError):
        cloud.get_whitelist(SENSOR_A)  # in the network, but not one of its access points
    with pytest.raises(ExternalError):
        cloud.get_whitelist(LONER)  # an access point of a fleet that is not a network
