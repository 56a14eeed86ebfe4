"""python_iotile_cloud's Api (a client nobody here wrote) against a running appliance: login, devices,
projects, variables, streams, claiming, and a device's a-jwt token."""

from __future__ import annotations

import pytest
from iotile_cloud.api.connection import Api
from iotile_cloud.api.exceptions import HttpClientError, HttpNotFoundError
from iotile_cloud.utils.gid import IOTileDeviceSlug, IOTileStreamSlug

from appliance.slugs import DeviceSlug
from tests.api.registry_support import (
    CLAIMED,
    SPARE,
    VARIABLE_TEMPLATES,
    Registry,
    build_registry,
)
from tests.conftest import ThreadedAppliance
from tests.support.world import PASSWORD

D = DeviceSlug(CLAIMED).slug


def _login(running: ThreadedAppliance, email: str) -> Api:
    api = Api(domain=running.url)
    assert api.login(email=email, password=PASSWORD) is True
    return api


def _client_slug(lid: int) -> str:
    """The stream slug as the client library builds it."""
    slug = IOTileStreamSlug()
    slug.from_parts(project="p--0000-0001", device=D, variable=lid)
    return str(slug)


def _registry(running: ThreadedAppliance) -> Registry:
    reg: Registry = running.call(build_registry(running.appliance, None))
    return reg


def test_client_reads_devices_projects_and_streams(threaded_appliance: ThreadedAppliance) -> None:
    reg = _registry(threaded_appliance)
    api = _login(threaded_appliance, "r1@acme.example")
    devices = api.device.get()
    assert devices["count"] == 1 and devices["results"][0]["slug"] == D
    assert str(IOTileDeviceSlug(devices["results"][0]["id"])) == D  # the client's own slug maths agree
    assert api.device(D).get()["project"] == reg.project.uuid
    assert api.device("d--0010").get()["slug"] == D
    projects = api.project.get()
    assert [p["id"] for p in projects["results"]] == [reg.project.uuid]
    assert api.project(reg.project.uuid).get()["slug"] == "p--0000-0001"
    streams = api.stream.get(device=D)
    assert [s["slug"] for s in streams["results"]] == [_client_slug(lid) for lid, *_ in VARIABLE_TEMPLATES]
    assert api.variable.get(project=reg.project.uuid)["count"] == 3
    assert api.device(D).status.get()["alert"] == "DSBL"
    with pytest.raises(HttpNotFoundError):
        api.device("d--0020").get()  # another org's device
    with pytest.raises(HttpClientError):
        api.device(D).patch({"label": "an Operator may not"})


def test_client_claims_and_edits(threaded_appliance: ThreadedAppliance) -> None:
    reg = _registry(threaded_appliance)
    api = _login(threaded_appliance, "a0@acme.example")
    result = api.device.claim.post({"device": DeviceSlug(SPARE).slug, "project": reg.project.uuid})
    assert result == {"claimed": True, "device": DeviceSlug(SPARE).slug, "project": "p--0000-0001",
                      "project_id": reg.project.uuid}
    assert api.stream.get(device="d--0011")["count"] == 3
    assert api.device(D).patch({"label": "Kitchen"})["label"] == "Kitchen"
    stream = "s--0000-0001--0000-0000-0000-0011--5001"
    assert api.stream(stream).patch({"enabled": False})["enabled"] is False
    unclaim = api.device("d--0011").unclaim.post({"clean_streams": True})
    assert unclaim["unclaimed"] == "d--0000-0000-0000-0011" and unclaim["pid"]
    job = threaded_appliance.call(threaded_appliance.appliance.jobs.wait(unclaim["pid"]))
    assert job.status == "done"
    assert api.stream.get(device="d--0011")["count"] == 0


def test_client_with_a_device_token(threaded_appliance: ThreadedAppliance) -> None:
    _registry(threaded_appliance)
    person = _login(threaded_appliance, "m1@acme.example")
    token = person.device(D).key.get(type="a-jwt")["key"]
    device = Api(domain=threaded_appliance.url)
    device.set_token(token, token_type="a-jwt")
    assert device.device(D).get()["slug"] == D
    assert device.stream.get(device=D)["count"] == 3
