"""The real appliance program in a subprocess, for crash and smoke tests."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

ADDRESS = re.compile(r"serving (http://127\.0\.0\.1:\d+)/api/v1/")
PASSWORD = re.compile(r"One-time password: (\S+)")


def child_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DISPLAY", None)
    env.pop("WAYLAND_DISPLAY", None)
    return env


def cli(*args: str, data_dir: Path, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "appliance", "--data-dir", str(data_dir), *args], input=stdin,
                          capture_output=True, text=True, timeout=timeout, env=child_env())


class Server:
    def __init__(self, data_dir: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "appliance", "serve", "--port", "0", "--data-dir", str(data_dir)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env())
        self.output: list[str] = []
        self.url = self._wait_for_address()
        match = PASSWORD.search("".join(self.output))
        self.password = match.group(1) if match else None

    def _wait_for_address(self) -> str:
        deadline = time.monotonic() + 90
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output.append(line)
            match = ADDRESS.search(line)
            if match:
                return match.group(1)
        self.proc.kill()
        stderr = self.proc.stderr.read() if self.proc.stderr else ""
        raise AssertionError(f"server did not start: {''.join(self.output)} {stderr}")

    def stop(self) -> int:
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=30)
        finally:
            self.proc.kill()
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def request(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"jwt {token}"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:  # noqa: S310 - loopback only
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def login(self, email: str, password: str) -> str:
        status, body = self.request("POST", "/api/v1/auth/login/", {"email": email, "password": password})
        assert status == 200, body
        return str(body["jwt"])
