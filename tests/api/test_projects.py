"""Projects: gids, fields, duplicates, project/new/ from a device or a template, extra counts, delete."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.slugs import DeviceSlug
from storage.metadata import Project, ProjectTemplate, SensorGraph, StreamVariable
from storage.streams import DataBatch, StreamSelector
from tests.api.registry_support import (
    CLAIMED,
    SG,
    SPARE,
    Registry,
    build_registry,
    db_read,
    db_write,
    snapshot,
)

FIELDS = {"id", "name", "slug", "gid", "org", "about", "project_template", "created_on", "created_by"}


async def _variables(appliance: Appliance, gid: int) -> list[tuple[int, str]]:
    return await db_read(appliance, lambda s: [(v.lid, v.name) for v in s.scalars(
        select(StreamVariable).where(StreamVariable.project_id == gid).order_by(StreamVariable.lid))])


async def test_create_allocates_the_next_gid(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, body = await reg.call("POST", "/project/", "a1", {"name": "Third", "org": "acme-corp", "about": "x"})
    assert status == 201 and set(body) == FIELDS
    assert body | {"id": None, "created_on": None} == {
        "id": None, "name": "Third", "slug": "p--0000-0003", "gid": "0000-0003", "org": "acme-corp", "about": "x",
        "project_template": None, "created_on": None, "created_by": "acme-a1"}
    assert uuid.UUID(body["id"]) and body["created_on"].endswith("Z")
    assert (await reg.call("GET", f"/project/{body['id']}/", "r1"))[1] == body
    assert (await reg.call("GET", "/project/p--3/", "r1"))[1] == body
    status, elsewhere = await reg.call("POST", "/project/", "other", {"name": "Third", "org": "other-org"})
    assert status == 201 and elsewhere["gid"] == "0000-0004"  # names are unique per org only


async def test_default_template_is_used_when_none_is_given(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    await db_write(appliance, lambda s: s.add(ProjectTemplate(name="Default Template", slug="default-template-v1-0-0")))
    status, body = await reg.call("POST", "/project/", "a0", {"name": "Templated", "org": "acme-corp"})
    assert body["project_template"] == "default-template-v1-0-0"


def _bad_project_requests(reg: Registry) -> list[tuple[str, str, Any, int]]:
    p = f"/project/{reg.project.uuid}/"
    return [
        ("POST", "/project/", {"name": "Water", "org": "acme-corp"}, 409),
        ("POST", "/project/", {"name": "  ", "org": "acme-corp"}, 400),
        ("POST", "/project/", {"name": 5, "org": "acme-corp"}, 400),
        ("POST", "/project/", {"name": "x" * 51, "org": "acme-corp"}, 400),
        ("POST", "/project/", {"name": "New"}, 400),
        ("POST", "/project/", {"name": "New", "org": "acme-corp", "colour": "red"}, 400),
        ("POST", "/project/", {"name": "New", "org": "acme-corp", "project_template": "nope"}, 400),
        ("POST", "/project/", {"name": "New", "org": "no-such-org"}, 404),
        ("POST", "/project/", {"name": "New", "org": "other-org"}, 404),
        ("POST", "/project/", ["New"], 400),
        ("PATCH", p, {"name": "Water"}, 200),
        ("PATCH", p, {"org": "other-org"}, 400),
        ("PATCH", p, {"about": None}, 400),
        ("PATCH", p, {"unknown": 1}, 400),
        ("PATCH", "/project/not-a-uuid/", {"about": "x"}, 400),
        ("PATCH", f"/project/{uuid.uuid4()}/", {"about": "x"}, 404),
        ("GET", f"/project/{reg.other_project.uuid}/", None, 404),
        ("GET", "/project/p--0000-0002/", None, 404),
        ("GET", "/project/p--zz/", None, 404),
        ("POST", "/project/new/", {"name": "New", "org": "acme-corp", "device": "d--0999"}, 400),
        ("POST", "/project/new/", {"name": "New", "org": "acme-corp", "device": 5}, 400),
        ("POST", "/project/new/", {"name": "Water", "org": "acme-corp"}, 409),
    ]


async def test_bad_input_changes_nothing(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    p = f"/project/{reg.project.uuid}/"
    cases = _bad_project_requests(reg)
    for method, path, body, want in cases:
        before = await snapshot(appliance)
        status, _ = await reg.call(method, path, "a0", body)
        assert status == want, (method, path, body, status)
        assert await snapshot(appliance) == before, (method, path, body)
    await reg.call("POST", "/project/", "a0", {"name": "Second", "org": "acme-corp"})
    assert (await reg.call("PATCH", p, "a0", {"name": "Second"}))[0] == 409


async def test_new_from_a_device_takes_its_sensor_graph_variables(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, body = await reg.call("POST", "/project/new/", "a0",
                                  {"name": "From SG", "org": "acme-corp", "device": DeviceSlug(SPARE).slug})
    assert status == 201 and set(body) == {"id"}
    project = (await reg.call("GET", f"/project/{body['id']}/", "a0"))[1]
    assert await _variables(appliance, int(project["gid"].replace("-", ""), 16)) == [
        (0x5001, "Water Volume"), (0x5002, "Temperature"), (0x5A07, "Trip Events")]
    await reg.device(0x99)  # no sensor graph

    def drop_sg(session: Session) -> None:
        from storage.metadata import Device

        device = session.get(Device, 0x99)
        assert device is not None
        device.sg_id = None

    await db_write(appliance, drop_sg)
    status, err = await reg.call("POST", "/project/new/", "a0", {"name": "No SG", "org": "acme-corp",
                                                                  "device": "d--0099"})
    assert status == 400 and err["error"] == "Device not properly setup. Contact Arch Support"


async def test_new_from_a_project_template(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)

    def templates(session: Session) -> None:
        with_master = ProjectTemplate(name="Shipping", slug="shipping-v1-0-0")
        sg_only = ProjectTemplate(name="Water", slug="water-v1-0-0")
        session.add_all([with_master, sg_only])
        session.flush()
        master = Project(id=100, uuid=str(uuid.uuid4()), name="Shipping", org_id=reg.world.org.id,
                         is_template=True, project_template_id=with_master.id)
        session.add(master)
        session.flush()
        session.add(StreamVariable(project_id=100, lid=0x5020, name="Trip", multiplication_factor=3))
        sg = session.scalars(select(SensorGraph).where(SensorGraph.slug == SG)).one()
        sg.project_template_id = sg_only.id

    await db_write(appliance, templates)
    status, body = await reg.call("POST", "/project/new/", "a0", {"name": "Trips", "org": "acme-corp",
                                                                  "project_template": "shipping-v1-0-0"})
    assert status == 201
    trips = (await reg.call("GET", f"/project/{body['id']}/", "a0"))[1]
    assert trips["project_template"] == "shipping-v1-0-0" and trips["gid"] == "0000-0065"
    assert await _variables(appliance, 0x65) == [(0x5020, "Trip")]
    status, body = await reg.call("POST", "/project/new/", "a0", {"name": "Meters", "org": "acme-corp",
                                                                  "project_template": "water-v1-0-0"})
    assert await _variables(appliance, 0x66) == [(0x5001, "Water Volume"), (0x5002, "Temperature"),
                                                 (0x5A07, "Trip Events")]
    assert (await reg.call("GET", "/project/?staff=1", "staff"))[1]["count"] == 4  # the master stays hidden
    assert (await reg.call("GET", "/project/p--0064/", "a0"))[0] == 404


async def test_extra_counts(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    await reg.device(0x40, project=reg.project.uuid, active=False)
    status, body = await reg.call("GET", f"/project/{reg.project.uuid}/extra/", "r1")
    assert status == 200 and body["counts"] == {"active_devices": 1, "inactive_devices": 1, "variables": 3,
                                                "streams": 6}
    assert body["slug"] == "p--0000-0001"


async def test_delete(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    path = f"/project/{reg.project.uuid}/"
    status, body = await reg.call("DELETE", path, "a0")
    assert status == 400 and body["error"] == "Restricted Access. Contact Arch"
    assert (await reg.call("DELETE", path, "staff"))[0] == 409  # a device is still claimed into it
    empty = await appliance.projects.create(await reg.access("a0"), {"name": "Empty", "org": "acme-corp"})
    await appliance.stream_ids.create_variable(await reg.access("staff"), {"name": "v", "lid": 1,
                                                                          "project": empty.uuid})
    assert (await reg.call("DELETE", f"/project/{empty.uuid}/", "staff"))[0] == 204
    assert (await reg.call("GET", f"/project/{empty.uuid}/", "staff"))[0] == 404
    assert await _variables(appliance, empty.gid) == []
    assert (await reg.call("GET", f"/device/{DeviceSlug(CLAIMED).slug}/", "a0"))[1]["project"] == reg.project.uuid


async def test_delete_removes_the_projects_readings(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    empty = await appliance.projects.create(await reg.access("a0"), {"name": "Empty", "org": "acme-corp"})
    batch = DataBatch(project=np.array([empty.gid]), device=np.array([0]), variable=np.array([0x5001]),
                      timestamp=np.array([np.datetime64("2024-01-01T00:00:00", "us")]),
                      streamer_local_id=np.array([1]), int_value=np.array([1]), value=np.array([1.0]))
    await asyncio.wrap_future(appliance.streams.append_data(batch))
    assert (await reg.call("DELETE", f"/project/{empty.uuid}/", "staff"))[0] == 204
    assert await asyncio.to_thread(appliance.streams.count_data, StreamSelector(project=empty.gid)) == 0
