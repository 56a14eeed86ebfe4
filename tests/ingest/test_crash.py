"""kill -9 in the middle of continuous uploads: nothing acknowledged is lost, nothing is doubled."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections import defaultdict
from pathlib import Path

import pytest
import requests
from iotile.core.hw.reports import IOTileReading, SignedListReport

from appliance.app import Appliance
from storage.metadata import MetadataStore, Streamer
from storage.streams import StreamSelector, StreamStore
from storage.streams.ledger import all_states
from tests.support.devices import claimed_device
from tests.support.server import Server
from tests.support.world import build_world

CLIENTS = 8
DEVICES = [0x3000 + i for i in range(4)]  # two clients per device, on streamers 0 and 1


def prepare(data: Path) -> tuple[str, dict[int, int]]:
    """A data directory with four claimed devices; returns an operator token and device -> project."""
    data.mkdir(parents=True)
    (data / "settings.toml").write_text('[secrets]\nbackend = "file"\n')

    async def seed() -> tuple[str, dict[int, int]]:
        appliance = Appliance(data, serve_http=False, run_jobs=False, console_logging=False)
        await appliance.start()
        try:
            world = await build_world(appliance)
            projects = {}
            for device in DEVICES:
                projects[device] = (await claimed_device(appliance, world.org.id, device)).project_gid
            token = world.headers("r1")["Authorization"].split(" ", 1)[1]
            return token, projects
        finally:
            await appliance.stop()

    return asyncio.run(seed())


class Client(threading.Thread):
    """Uploads 5-reading reports with consecutive ids for one (device, streamer) until stopped;
    records which ids were acknowledged with 201."""

    def __init__(self, url: str, token: str, device: int, streamer: int, stop: threading.Event) -> None:
        super().__init__(daemon=True)
        self.url, self.token, self.device, self.streamer, self.stop = url, token, device, streamer, stop
        self.next_id = 1 + streamer * 1_000_000
        self.acked: list[int] = []
        self.session = requests.Session()

    def report(self, first: int) -> bytes:
        readings = [IOTileReading(i, 0x5001 + self.streamer, first + i, reading_id=first + i) for i in range(5)]
        return SignedListReport.FromReadings(self.device, readings, report_id=first + 5, streamer=self.streamer,
                                             selector=0xD7FF, sent_timestamp=10).encode()

    def post(self, first: int) -> bool:
        try:
            resp = self.session.post(f"{self.url}/api/v1/streamer/report/", params={"timestamp": "2026-01-01T00:00:00"},
                                     files={"file": ("report.bin", self.report(first))},
                                     headers={"Authorization": f"jwt {self.token}"}, timeout=10)
        except requests.RequestException:
            return False
        return resp.status_code == 201

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:
            if self.post(self.next_id):
                self.acked.extend(range(self.next_id, self.next_id + 5))
                self.next_id += 5
            else:
                time.sleep(0.05)


@pytest.mark.slow
def test_kill_9_loses_nothing_acknowledged_and_stores_nothing_twice(tmp_path: Path) -> None:
    data = tmp_path / "data"
    token, projects = prepare(data)
    server = Server(data)
    stop = threading.Event()
    clients = [Client(server.url, token, DEVICES[i // 2], i % 2, stop) for i in range(CLIENTS)]
    for client in clients:
        client.start()
    time.sleep(random.uniform(2.0, 4.0))
    server.kill()
    stop.set()
    for client in clients:
        client.join(timeout=30)
    assert sum(len(c.acked) for c in clients) > 0
    restarted = Server(data)
    for client in clients:  # clients retry whatever was in flight, as real gateways do
        client.url = restarted.url
        assert client.post(client.next_id)
        client.acked.extend(range(client.next_id, client.next_id + 5))
    assert restarted.stop() == 0
    check_store(data, clients, projects)


def check_store(data: Path, clients: list[Client], projects: dict[int, int]) -> None:
    store = StreamStore(data / "streams.duckdb")
    store.open()
    try:
        stored: dict[tuple[int, int], list[int]] = defaultdict(list)
        for client in clients:
            rows = store.query_data(StreamSelector(projects[client.device], client.device, 0x5001 + client.streamer))
            stored[(client.device, client.streamer)] = rows.numpy()["streamer_local_id"].tolist()
        states = {(s.device, s.streamer): s.last_id for s in store.read(all_states)}
    finally:
        store.close()
    for client in clients:
        ids = stored[(client.device, client.streamer)]
        assert len(ids) == len(set(ids)), "a reading was stored twice"
        assert set(client.acked) <= set(ids), "an acknowledged reading is missing"
        assert states[(client.device, client.streamer)] == max(ids)
    metadata = MetadataStore(data / "metadata.sqlite3")
    with metadata:
        copied = metadata.read_sync(lambda s: {(r.device_id, r.index): r.last_id for r in s.query(Streamer)})
    assert copied == states, "the metadata copy of last_id must match the ledger after restart"
