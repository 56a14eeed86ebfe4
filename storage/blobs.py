"""Raw files (report uploads, event payloads, attachments, OTA scripts) kept under blobs/.

Decision 5 (raw first) makes these files the source of truth for re-processing, so a blob is
either fully on disk or absent: write to a temporary name, fsync, rename, fsync the directory.
Keys are relative POSIX paths chosen by the appliance; anything that could escape the blob root
is refused.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

_KEY_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class BlobKeyError(ValueError):
    """A key that is empty, absolute, has '..' or characters outside the safe set."""


class BlobStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    @property
    def root(self) -> Path:
        return self._root

    def path_of(self, key: str) -> Path:
        parts = key.split("/")
        if not key or not all(_KEY_PART.match(p) for p in parts):
            raise BlobKeyError(f"invalid blob key {key!r}")
        return self._root.joinpath(*parts)

    def put(self, key: str, data: bytes) -> int:
        """Store durably; returns the size. An existing blob with the same key is replaced whole."""
        path = self.path_of(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(path.parent)
        return len(data)

    def get(self, key: str) -> bytes:
        try:
            return self.path_of(key).read_bytes()
        except FileNotFoundError as err:
            raise KeyError(key) from err

    def exists(self, key: str) -> bool:
        return self.path_of(key).is_file()

    def delete(self, key: str) -> bool:
        path = self.path_of(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        fsync_dir(path.parent)
        return True


def fsync_dir(path: Path) -> None:
    if os.name != "posix":  # pragma: no cover - directories cannot be opened on Windows
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
