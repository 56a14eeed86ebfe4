"""The device service without HTTP: the unclaim job kind, its idempotence, device-token checks, field rows."""

from __future__ import annotations

import asyncio
from typing import Any

import jwt
import numpy as np
import pytest

from appliance.app import Appliance
from appliance.errors import AuthenticationError, ValidationError
from appliance.services import fieldspec as fs
from appliance.services.devices import DEVICE_JOB_KINDS, DeviceQuery
from appliance.services.devices_claim import DEVICE_UNCLAIM
from storage.streams import DataBatch, StreamSelector
from tests.api.registry_support import (
    CLAIMED,
    build_registry,
)


def test_unclaim_kind_is_registered_with_a_key_per_device() -> None:
    assert DEVICE_UNCLAIM in DEVICE_JOB_KINDS
    assert DEVICE_UNCLAIM.key({"device": 16}) == "device:16"
    assert DEVICE_UNCLAIM.validate({"device": 16}) == {"device": 16, "label": "", "clean_streams": False}
    for bad in ({}, {"device": "16"}, {"device": True}, {"device": 16, "clean_streams": "yes"},
                {"device": 16, "label": 5}, {"device": 16, "other": 1}):
        with pytest.raises(ValidationError):
            DEVICE_UNCLAIM.validate(bad)


async def test_unclaim_can_run_twice(appliance: Appliance) -> None:
    """A retry after a crash between the metadata commit and the data delete still deletes the data."""
    await build_registry(appliance, None)
    first = await appliance.devices.unclaim_now(CLAIMED, label="x", clean_streams=True)
    assert first["was_claimed"] is True and first["streams_deleted"] == 3
    batch = DataBatch(project=np.array([1]), device=np.array([CLAIMED]), variable=np.array([0x5001]),
                      timestamp=np.array([np.datetime64("2024-01-01T00:00:00", "us")]),
                      streamer_local_id=np.array([1]), int_value=np.array([1]), value=np.array([1.0]))
    await asyncio.wrap_future(appliance.streams.append_data(batch))
    second = await appliance.devices.unclaim_now(CLAIMED, label="x", clean_streams=True)
    assert second["was_claimed"] is False and second["data_deleted"] == 1
    assert await asyncio.to_thread(appliance.streams.count_data, StreamSelector(device=CLAIMED)) == 0


async def test_scheduling_refuses_bad_arguments(appliance: Appliance) -> None:
    with pytest.raises(ValidationError):
        await appliance.jobs.schedule("device_unclaim", {"device": "d--0010"})


async def test_device_token_refusals_name_the_reason(appliance: Appliance) -> None:
    reg = await build_registry(appliance, None)
    token = await appliance.devices.key(await reg.access("a0"), "d--0010", "a-jwt")
    principal = await appliance.devices.authenticate_device_token(token)
    assert principal.scheme == "a-jwt" and principal.device_id == CLAIMED
    assert principal.account is not None and principal.account.slug == "acme-a0"
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    cases = {
        "Error decoding signature.": "not.a.token",
        "No device in payload.": jwt.encode({"user": "acme-a0"}, "k" * 32),
        "No secret key found for device": jwt.encode({**claims, "device": "d--0011"}, "k" * 32),
    }
    for message, bad in cases.items():
        with pytest.raises(AuthenticationError, match=message):
            await appliance.devices.authenticate_device_token(bad)
    await appliance.devices.unclaim_now(CLAIMED, label="x", clean_streams=False)
    with pytest.raises(AuthenticationError, match="Device is not claimed."):
        await appliance.devices.authenticate_device_token(token)


def test_field_rows() -> None:
    spec = fs.Spec({"n": fs.integer(0, 9), "b": fs.boolean, "t": fs.text(3)}, read_only=frozenset({"id"}),
                   required=frozenset({"n"}))
    assert spec.parse({"n": "7", "b": "false", "t": "abc", "id": 5}) == {"n": 7, "b": False, "t": "abc"}
    assert spec.parse({"b": 1}) == {"b": True}
    for bad in ({"n": 10}, {"n": 1.0}, {"n": True}, {"b": "maybe"}, {"t": "abcd"}, {"x": 1}):
        with pytest.raises(ValidationError):
            spec.parse(bad)
    with pytest.raises(ValidationError, match="n: this field is required"):
        spec.parse({"b": True}, partial=False)


async def test_statuses_of_many_devices_in_one_read(appliance: Appliance) -> None:
    reg = await build_registry(appliance, None)
    _, devices = await appliance.devices.page(None, DeviceQuery())
    await appliance.devices.set_health(await reg.access("a0"), "d--0010", {"health_check_enabled": True})
    statuses = await appliance.devices.statuses(devices)
    assert sorted(statuses) == [d.id for d in devices] and statuses[CLAIMED].alert == "UNK"
    assert {s.alert for device_id, s in statuses.items() if device_id != CLAIMED} == {"DSBL"}
