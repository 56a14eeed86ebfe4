"""Shared fixtures: real Appliance on a temporary data directory, loopback-only sockets."""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHONASYNCIODEBUG"] = "1"

from appliance.app import OWNER_EMAIL, Appliance  # noqa: E402

_LOOPBACK_PREFIXES = ("127.", "::1", "localhost")
_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    host = address[0] if isinstance(address, tuple) else address
    inet = self.family in (socket.AF_INET, socket.AF_INET6)
    if inet and isinstance(host, str) and not host.startswith(_LOOPBACK_PREFIXES):
        raise ConnectionRefusedError(f"tests may only connect to loopback, not {host!r}")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real Argon2id at its smallest cost: most tests build several accounts, and the production cost
    is deliberately slow. Subprocess tests (the CLI, crash tests) still use the real cost."""
    from argon2 import PasswordHasher

    from appliance.services import passwords

    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(autouse=True)
def no_leaked_store_threads() -> Iterator[None]:
    """A test that leaves a store's writer running has leaked an open database."""
    before = {t.ident for t in threading.enumerate()}
    yield
    leaked = [t.name for t in threading.enumerate()
              if t.ident not in before and t.is_alive() and "writer" in t.name.lower()]
    assert not leaked, f"store writer threads left running: {leaked}"


TEST_OVERRIDES = {"server.host": "127.0.0.1", "server.port": 0, "secrets.backend": "file",
                  "catalogue.seed_defaults": False}


def make_appliance(data_dir: Path, *, serve_http: bool = True, **overrides: Any) -> Appliance:
    return Appliance(data_dir, overrides={**TEST_OVERRIDES, **overrides}, console_logging=False,
                     serve_http=serve_http)


@pytest.fixture
async def appliance(tmp_path: Path) -> AsyncIterator[Appliance]:
    """Started, without its own HTTP site: API tests serve it through ``api`` (aiohttp's TestServer
    on 127.0.0.1)."""
    app = make_appliance(tmp_path / "data", serve_http=False)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


@pytest.fixture
async def api(appliance: Appliance, aiohttp_client: Any) -> Any:
    from appliance.api import create_api

    return await aiohttp_client(create_api(appliance))


@pytest.fixture
async def owner_jwt(api: Any, owner_credentials: dict[str, str]) -> str:
    resp = await api.post("/api/v1/auth/login/", json=owner_credentials)
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["jwt"])


@pytest.fixture
def owner_credentials(appliance: Appliance) -> dict[str, str]:
    assert appliance.first_run_password
    return {"email": OWNER_EMAIL, "password": appliance.first_run_password}


class ThreadedAppliance:
    """An Appliance on its own loop thread, the way the GUI runs it; for synchronous clients
    (python_iotile_cloud, iotile-ext-cloud) that would otherwise block the test's loop."""

    def __init__(self, data_dir: Path, **overrides: Any) -> None:
        self.appliance = make_appliance(data_dir, **overrides)
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="test-appliance-loop", daemon=True)

    def __enter__(self) -> ThreadedAppliance:
        self._thread.start()
        self.call(self.appliance.start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.call(self.appliance.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=30)
            self.loop.close()

    def call(self, coro: Any, timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    @property
    def url(self) -> str:
        return self.appliance.base_url


@pytest.fixture
def threaded_appliance(tmp_path: Path) -> Iterator[ThreadedAppliance]:
    with ThreadedAppliance(tmp_path / "data") as running:
        yield running
