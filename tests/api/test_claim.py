"""Claiming and unclaiming: the streams a claim creates, the unclaim job, and refusals that change nothing."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.slugs import DeviceSlug, StreamSlug, VariableSlug
from storage.metadata import (
    Device,
    DeviceLocation,
    GenericProperty,
    Streamer,
    StreamerReport,
    StreamId,
    StreamNote,
    StreamVariable,
    VariableTemplate,
)
from storage.streams import DataBatch, StreamSelector
from tests.api.registry_support import (
    CLAIMED,
    OTHER_DEVICE,
    SG,
    SPARE,
    VARIABLE_TEMPLATES,
    Registry,
    build_registry,
    db_read,
    db_write,
    snapshot,
)

SPARE_SLUG = DeviceSlug(SPARE).slug
CLAIMED_SLUG = DeviceSlug(CLAIMED).slug


async def _streams_of(appliance: Appliance, device_id: int) -> list[StreamId]:
    return await db_read(appliance, lambda s: list(s.scalars(select(StreamId).where(StreamId.device_id == device_id)
                                                              .order_by(StreamId.var_lid))))


async def test_claim_creates_variables_and_streams_from_the_sensor_graph(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, body = await reg.call("POST", "/device/claim/", "a1", {"device": SPARE_SLUG, "project": reg.project.uuid})
    assert status == 202
    assert body == {"claimed": True, "device": SPARE_SLUG, "project": reg.project.slug, "project_id": reg.project.uuid}
    templates = await db_read(appliance, lambda s: list(s.scalars(
        select(VariableTemplate).join(VariableTemplate.sg).where(VariableTemplate.sg.has(slug=SG))
        .order_by(VariableTemplate.lid))))
    streams = await _streams_of(appliance, SPARE)
    assert [s.var_lid for s in streams] == [t.lid for t in templates] == [v[0] for v in VARIABLE_TEMPLATES]
    expected_slugs = [f"s--0000-0001--0000-0000-0000-0011--{lid:04x}" for lid, *_ in VARIABLE_TEMPLATES]
    assert [StreamSlug(s.project_gid, s.device_gid, s.var_lid).slug for s in streams] == expected_slugs
    for stream, template in zip(streams, templates, strict=True):
        assert (stream.project_id, stream.device_id, stream.org_id) == (reg.project.gid, SPARE, reg.world.org.id)
        assert (stream.multiplication_factor, stream.division_factor, stream.offset) == (template.m, template.d,
                                                                                         template.o)
        assert stream.var_type_id == template.var_type_id and stream.mdo_type == "S" and stream.enabled
        assert stream.input_unit_id == template.default_input_unit_id
    assert [s.raw_value_format for s in streams] == ["<L", "<l", "auto"]
    variables = await db_read(appliance, lambda s: list(s.scalars(
        select(StreamVariable).where(StreamVariable.project_id == reg.project.gid).order_by(StreamVariable.lid))))
    assert [(v.lid, v.name) for v in variables] == [(lid, label) for lid, label, *_ in VARIABLE_TEMPLATES]
    # the API shows the same slugs
    status, listed = await reg.call("GET", f"/stream/?device={SPARE_SLUG}", "m1")
    assert [s["slug"] for s in listed["results"]] == expected_slugs
    assert [s["variable"] for s in listed["results"]] == [VariableSlug(1, lid).slug for lid, *_ in VARIABLE_TEMPLATES]
    device = (await reg.call("GET", f"/device/{SPARE_SLUG}/", "r1"))[1]
    assert device["project"] == reg.project.uuid and device["org"] == "acme-corp"
    assert device["claimed_by"] == "acme-a1" and device["claimed_on"]


async def test_claim_into_a_project_that_already_has_the_variables_reuses_them(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    before = await db_read(appliance, lambda s: s.scalars(select(StreamVariable.id).order_by(StreamVariable.id)).all())
    body = {"device": SPARE_SLUG, "project": reg.project.slug}
    assert (await reg.call("POST", "/device/claim/", "a0", body))[0] == 202
    after = await db_read(appliance, lambda s: s.scalars(select(StreamVariable.id).order_by(StreamVariable.id)).all())
    assert before == after and len(after) == 3 + 3  # Water and Elsewhere, three variables each


async def test_claim_refusals_change_nothing(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    cases = [
        ("a0", {"device": CLAIMED_SLUG, "project": reg.project.uuid}, 400),  # already claimed
        ("a0", {"device": DeviceSlug(OTHER_DEVICE).slug, "project": reg.project.uuid}, 400),
        ("a0", {"device": "d--0000-0000-0000-0999", "project": reg.project.uuid}, 404),
        ("a0", {"device": "d--xyz", "project": reg.project.uuid}, 404),
        ("a0", {"device": SPARE_SLUG, "project": "not-a-uuid"}, 400),
        ("a0", {"device": SPARE_SLUG, "project": "00000000-0000-0000-0000-000000000000"}, 404),
        ("a0", {"device": SPARE_SLUG, "project": reg.other_project.uuid}, 404),  # another org's project
        ("other", {"device": SPARE_SLUG, "project": reg.project.uuid}, 404),
        ("m1", {"device": SPARE_SLUG, "project": reg.project.uuid}, 403),  # no can_claim_devices
        ("r1", {"device": SPARE_SLUG, "project": reg.project.uuid}, 403),
        ("a0", {"device": SPARE_SLUG}, 400),
        ("a0", {"device": SPARE_SLUG, "project": reg.project.uuid, "extra": 1}, 400),
        ("a0", {"device": 17, "project": reg.project.uuid}, 400),
        ("a0", {"device": "d--" + "0" * 30, "project": reg.project.uuid}, 400),
        ("anonymous", {"device": SPARE_SLUG, "project": reg.project.uuid}, 401),
        ("apikey", {"device": SPARE_SLUG, "project": reg.project.uuid}, 403),
    ]
    for who, body, want in cases:
        before = await snapshot(appliance)
        status, _ = await reg.call("POST", "/device/claim/", who, body)
        assert status == want, (who, body, status)
        assert await snapshot(appliance) == before, (who, body)


async def test_padded_and_block_slugs_claim_the_same_device(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    body = {"device": "d--0011", "project": reg.project.slug}
    assert (await reg.call("POST", "/device/claim/", "a0", body))[0] == 202
    assert (await reg.call("GET", "/device/d--0000-0011/", "a0"))[1]["project"] == reg.project.uuid
    assert (await reg.call("GET", "/device/b--0001-0000-0000-0011/", "a0"))[1]["slug"] == SPARE_SLUG


async def test_claimable(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, body = await reg.call("POST", "/device/claimable/", "r1",
                                  {"slugs": [SPARE_SLUG, CLAIMED_SLUG, "d--0000-0000-0000-0999", "junk"]})
    assert status == 202
    assert body == {"count": 2, "results": [{"slug": SPARE_SLUG, "claimable": True},
                                            {"slug": CLAIMED_SLUG, "claimable": False}]}
    assert (await reg.call("POST", "/device/claimable/", "r1", {"slugs": "d--0011"}))[0] == 400
    assert (await reg.call("POST", "/device/claimable/", "anonymous", {"slugs": []}))[0] == 401


async def _decorate(appliance: Appliance, reg: Registry) -> None:
    """Things an unclaim removes: a property, notes, a location, a streamer with a report, readings."""
    now = datetime.now(timezone.utc)

    def add(session: Session) -> None:
        session.add_all([
            GenericProperty(target=CLAIMED_SLUG, name="color", str_value="blue"),
            StreamNote(target_slug=CLAIMED_SLUG, timestamp=now, note="user note", type="ui"),
            StreamNote(target_slug=CLAIMED_SLUG, timestamp=now, note="system note", type="si"),
            StreamNote(target_slug=f"s--0000-0001--{CLAIMED_SLUG[3:]}--5001", timestamp=now, note="on stream"),
            DeviceLocation(target_slug=CLAIMED_SLUG, timestamp=now, lat=1.0, lon=2.0),
            Streamer(device_id=CLAIMED, index=0, last_id=100),
        ])
        session.flush()
        streamer = session.scalars(select(Streamer).where(Streamer.device_id == CLAIMED)).one()
        session.add(StreamerReport(uuid="5d8d5c53-0000-4000-8000-000000000001", streamer_id=streamer.id))

    await db_write(appliance, add)
    n = 5
    batch = DataBatch(project=np.full(n, 1), device=np.full(n, CLAIMED), variable=np.full(n, 0x5001),
                      timestamp=np.array([np.datetime64("2024-01-01T00:00:00", "us")] * n),
                      streamer_local_id=np.arange(1, n + 1), int_value=np.arange(n), value=np.arange(n) * 1.0)
    await asyncio.wrap_future(appliance.streams.append_data(batch))


async def test_unclaim_is_a_job_that_cleans_up(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    await _decorate(appliance, reg)
    status, body = await reg.call("POST", f"/device/{CLAIMED_SLUG}/unclaim/", "a1", {"clean_streams": False})
    assert status == 202
    assert body["unclaimed"] == CLAIMED_SLUG and body["msg"] == f"Unclaimed task was scheduled for {CLAIMED_SLUG}"
    job = await appliance.jobs.wait(body["pid"])
    assert job.status == "done", job
    pid_status, pid_body = await reg.call("GET", f"/pid/{body['pid']}/", "a1")
    assert pid_status == 200 and pid_body["status"] == "done"
    device = await db_read(appliance, lambda s: s.get(Device, CLAIMED))
    assert (device.project_id, device.org_id, device.claimed_by_id, device.claimed_on) == (None, None, None, None)
    assert (device.label, device.state, device.lat) == ("Device (0010)", "N1", None)
    left = await db_read(appliance, lambda s: (
        s.scalars(select(GenericProperty.id)).all(), s.scalars(select(StreamNote.note).order_by(StreamNote.note)).all(),
        s.scalars(select(DeviceLocation.id)).all(), s.scalars(select(StreamerReport.id)).all(),
        s.scalars(select(Streamer.last_id)).all()))
    assert left == ([], ["on stream", "system note"], [], [], [100])
    assert len(await _streams_of(appliance, CLAIMED)) == 3  # streams and readings stay without clean_streams
    assert await asyncio.to_thread(appliance.streams.count_data, StreamSelector(device=CLAIMED)) == 5
    # the org's members no longer see the device; staff are told it is not claimed
    assert (await reg.call("POST", f"/device/{CLAIMED_SLUG}/unclaim/", "a1", {}))[0] == 404
    before = await snapshot(appliance)
    assert (await reg.call("POST", f"/device/{CLAIMED_SLUG}/unclaim/", "staff", {}))[0] == 400
    assert await snapshot(appliance) == before


async def test_unclaim_with_clean_streams_deletes_streams_streamers_and_data(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    await _decorate(appliance, reg)
    status, body = await reg.call("POST", f"/device/{CLAIMED_SLUG}/unclaim/", "a0",
                                  {"clean_streams": True, "label": "Spare {id}"})
    assert status == 202
    job = await appliance.jobs.wait(body["pid"])
    assert job.status == "done" and job.result["streams_deleted"] == 3 and job.result["data_deleted"] == 5
    assert await _streams_of(appliance, CLAIMED) == []
    assert await asyncio.to_thread(appliance.streams.count_data, StreamSelector(device=CLAIMED)) == 0
    notes, streamers = await db_read(appliance, lambda s: (s.scalars(select(StreamNote.note)).all(),
                                                           s.scalars(select(Streamer.id)).all()))
    assert notes == ["system note"] and streamers == []
    assert (await db_read(appliance, lambda s: s.get(Device, CLAIMED))).label == "Spare 0010"
    # the project's variables stay; the device can be claimed again and gets fresh streams
    again = {"device": CLAIMED_SLUG, "project": reg.project.uuid}
    assert (await reg.call("POST", "/device/claim/", "a0", again))[0] == 202
    assert len(await _streams_of(appliance, CLAIMED)) == 3


async def test_unclaim_refusals(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    path = f"/device/{CLAIMED_SLUG}/unclaim/"
    for who, body, want in (("m1", {}, 403), ("r1", {}, 403), ("other", {}, 404), ("outsider", {}, 404),
                            ("anonymous", {}, 401), ("apikey", {}, 403), ("a0", {"clean_streams": "maybe"}, 400),
                            ("a0", {"label": 5}, 400), ("a0", {"label": "x" * 101}, 400), ("a0", {"bogus": 1}, 400)):
        before = await snapshot(appliance)
        assert (await reg.call("POST", path, who, body))[0] == want, (who, body)
        assert await snapshot(appliance) == before
    assert (await reg.call("POST", "/device/d--0000-0000-0000-0999/unclaim/", "staff", {}))[0] == 404


async def test_unclaiming_twice_while_the_first_is_pending_is_409(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    await appliance.jobs.stop()  # keep the first job queued
    status, body = await reg.call("POST", f"/device/{CLAIMED_SLUG}/unclaim/", "a0", {})
    assert status == 202
    status, again = await reg.call("POST", f"/device/{CLAIMED_SLUG}/unclaim/", "a0", {})
    assert status == 409 and body["pid"] in again["error"]


async def test_busy_devices_cannot_be_unclaimed(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)

    def busy(session: Session) -> None:
        device = session.get(Device, CLAIMED)
        assert device is not None
        device.state = "B0"

    await db_write(appliance, busy)
    status, body = await reg.call("POST", f"/device/{CLAIMED_SLUG}/unclaim/", "a0", {})
    assert status == 403 and "busy" in body["error"]
