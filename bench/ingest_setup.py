"""Shared set-up for bench/ingest.py: a data directory with claimed devices, and report bytes."""

from __future__ import annotations

import asyncio
import hashlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance.app import Appliance  # noqa: E402
from tests.support.devices import claimed_device  # noqa: E402
from tests.support.world import build_world  # noqa: E402

READING = np.dtype([("stream", "<u2"), ("reserved", "<u2"), ("reading_id", "<u4"), ("raw_time", "<u4"),
                    ("value", "<u4")])


def prepare(data: Path, devices: list[int]) -> str:
    """Claimed devices in one org; returns an operator's JWT."""
    data.mkdir(parents=True, exist_ok=True)
    (data / "settings.toml").write_text('[secrets]\nbackend = "file"\n[logging]\nlevel = "WARNING"\n'
                                        '[server]\nmax_upload_bytes = 268435456\n')

    async def seed() -> str:
        appliance = Appliance(data, serve_http=False, run_jobs=False, console_logging=False)
        await appliance.start()
        try:
            world = await build_world(appliance)
            for device in devices:
                await claimed_device(appliance, world.org.id, device, lids=(0x5001, 0x5002, 0x5003, 0x5004))
            return world.headers("r1")["Authorization"].split(" ", 1)[1]
        finally:
            await appliance.stop()

    return asyncio.run(seed())


def sensor_values(count: int, seed: int) -> np.ndarray:
    """Realistic sensor data: a slow random walk around a set point (temperature in 1/100 degrees)."""
    rng = np.random.default_rng(seed)
    return (2200 + np.cumsum(rng.integers(-3, 4, count))).astype("<u4")


def signed_report(device: int, streamer: int, first_id: int, count: int, seed: int = 0) -> bytes:
    """A SignedListReport (hash signature) built with numpy, byte-identical to iotile-core's layout:
    a reading every 10 s of uptime that keeps counting across reports (no reboot), sent right after
    its last reading (upload it at ``upload_time``)."""
    readings = np.zeros(count, dtype=READING)
    readings["stream"] = 0x5001 + (np.arange(count) % 4)
    readings["reading_id"] = np.arange(first_id, first_id + count, dtype=np.uint32)
    readings["raw_time"] = np.arange(first_id - 1, first_id - 1 + count, dtype=np.uint32) * 10
    readings["value"] = sensor_values(count, seed)
    length = 20 + 16 * count + 24
    sent = 10 * (first_id - 1 + count)
    header = np.array([(1, length & 0xFF, length >> 8, device, first_id + count, sent, 0, streamer, 0xD7FF)],
                      dtype=[("fmt", "u1"), ("len_lo", "u1"), ("len_hi", "<u2"), ("uuid", "<u4"), ("rpt", "<u4"),
                             ("sent", "<u4"), ("flags", "u1"), ("streamer", "u1"), ("selector", "<u2")])
    body = header.tobytes() + readings.tobytes() + np.array([first_id, first_id + count - 1], "<u4").tobytes()
    return body + hashlib.sha256(body).digest()[:16]


def upload_time(first_id: int, count: int) -> str:
    """When the report starting at ``first_id`` is uploaded: its sent time after 2026-01-01 (the
    device booted then), so reading times continue across reports as a real device's do."""
    sent = np.datetime64("2026-01-01T00:00:00", "s") + np.timedelta64(10 * (first_id - 1 + count), "s")
    return str(sent)
