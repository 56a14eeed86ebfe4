"""The real program in subprocesses: serve, the data-directory lock, init, user create, version."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import Server, cli


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "data")
    try:
        yield running
    finally:
        running.stop()


def test_serve_answers_and_prints_the_one_time_password_only_to_the_console(server: Server, tmp_path: Path) -> None:
    with urllib.request.urlopen(f"{server.url}/api/v1/server/", timeout=10) as resp:  # noqa: S310
        assert resp.status == 200
        assert json.load(resp)["now"].endswith("Z")
    console = "".join(server.output)
    password = re.search(r"One-time password: (\S+)", console)
    assert password, console
    body = json.dumps({"email": "owner@appliance.local", "password": password.group(1)}).encode()
    request = urllib.request.Request(f"{server.url}/api/v1/auth/login/", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:  # noqa: S310
        assert json.load(resp)["username"] == "owner"
    log = (tmp_path / "data" / "logs" / "appliance.log").read_text()
    assert password.group(1) not in log
    assert "owner@appliance.local" in log
    assert server.stop() == 0


def test_second_process_on_the_same_data_dir_is_refused(server: Server, tmp_path: Path) -> None:
    second = cli("serve", "--port", "0", data_dir=tmp_path / "data", timeout=60)
    assert second.returncode == 2
    assert "already using the data directory" in second.stderr


def test_init_then_user_create_and_version(tmp_path: Path) -> None:
    data = tmp_path / "data"
    init = cli("init", data_dir=data)
    assert init.returncode == 0, init.stderr
    assert "One-time password" in init.stdout
    assert (data / "settings.toml").exists() and (data / "metadata.sqlite3").exists()
    again = cli("init", data_dir=data)
    assert again.returncode == 0 and "One-time password" not in again.stdout
    made = cli("user", "create", "--email", "Op@Example.com", "--password-stdin", data_dir=data,
               stdin="operator-password\n")
    assert made.returncode == 0, made.stderr
    assert "op@example.com" in made.stdout
    duplicate = cli("user", "create", "--email", "op@example.com", "--password-stdin", data_dir=data,
                    stdin="operator-password\n")
    assert duplicate.returncode == 2 and "already exists" in duplicate.stderr
    weak = cli("user", "create", "--email", "x@example.com", "--password-stdin", data_dir=data, stdin="short\n")
    assert weak.returncode == 2 and "at least 8" in weak.stderr
    version = cli("version", data_dir=data)
    assert version.returncode == 0 and re.match(r"\d+\.\d+", version.stdout)


def test_broken_settings_file_stops_start_up_with_a_clear_message(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "settings.toml").write_text("[server]\nport = 'eighty'\n")
    result = cli("init", data_dir=data)
    assert result.returncode == 2
    assert "server.port must be a whole number" in result.stderr
