"""Where the appliance keeps its files, and the lock that makes one process their only owner.

DuckDB allows a single writer and the ingest path promises that an acknowledged reading is on disk,
so two processes on one data directory would corrupt that promise: the second one must fail fast
with a message an operator understands.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import platformdirs

from appliance.errors import StartupError

APP_NAME = "iotile-appliance"
ENV_DATA_DIR = "IOTILE_APPLIANCE_DATA_DIR"


def default_data_dir() -> Path:
    """The environment variable wins, then the platform's per-user data directory."""
    env = os.environ.get(ENV_DATA_DIR)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class DataDir:
    """The fixed layout of a data directory (see DESIGN.md)."""

    root: Path

    @property
    def settings(self) -> Path:
        return self.root / "settings.toml"

    @property
    def metadata(self) -> Path:
        return self.root / "metadata.sqlite3"

    @property
    def streams(self) -> Path:
        return self.root / "streams.duckdb"

    @property
    def search(self) -> Path:
        return self.root / "search"

    @property
    def blobs(self) -> Path:
        return self.root / "blobs"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def lock(self) -> Path:
        return self.root / "appliance.lock"

    def create(self) -> None:
        for path in (self.root, self.search, self.blobs, self.logs, self.exports):
            path.mkdir(parents=True, exist_ok=True)


class DataDirLock:
    """An OS-level exclusive lock on ``appliance.lock``; released by the OS if the process dies."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> None:
        if self._handle is not None:
            return
        handle = open(self._path, "a+", encoding="utf-8")  # noqa: SIM115 - held for the process life
        try:
            _lock_file(handle)
        except OSError as err:
            handle.close()
            raise StartupError(
                f"Another IOTile Appliance is already using the data directory {self._path.parent}. "
                "Close it first, or start this one with a different --data-dir.",
                key="data_dir_locked",
            ) from err
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        _unlock_file(self._handle)
        self._handle.close()
        self._handle = None


if sys.platform == "win32":  # pragma: no cover - exercised only by Windows builds
    import msvcrt

    def _lock_file(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock_file(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock_file(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock_file(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
