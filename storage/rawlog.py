"""Raw uploads, appended to segment files with one fsync per group of concurrent uploads.

"Raw first" means every upload's bytes are on disk before it is parsed. A file per upload costs
two fsyncs each (the file and its directory, ~6 ms here), which caps a busy site at a few hundred
uploads/s; appending to a shared segment lets one fsync cover every upload that arrived while the
previous one ran. A key names the bytes: ``raw/<segment>:<offset>:<length>``. A new segment starts
with every process and every ``segment_bytes``, so a torn tail after a crash is never appended to;
keys are handed out only after their bytes were fsynced.
"""

from __future__ import annotations

import os
import re
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import BinaryIO

from storage.blobs import fsync_dir
from storage.worker import WriterThread, WriteTask

_KEY = re.compile(r"^raw/([0-9]{8}T[0-9]{6}-[0-9a-f]{8}-[0-9]{4})\.log:([0-9]{1,15}):([0-9]{1,12})$")


class RawLogError(RuntimeError):
    """A key that does not name stored bytes."""


class _Segment:
    def __init__(self, root: Path, number: int) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        self.name = f"{stamp}-{os.getpid() & 0xFFFFFFFF:08x}-{number:04d}.log"
        self.handle: BinaryIO = open(root / self.name, "ab")  # noqa: SIM115 - closed by RawLog
        self.size = self.handle.tell()


class RawLog:
    def __init__(self, root: Path, *, segment_bytes: int = 256 * 1024 * 1024) -> None:
        self._root = root
        self._segment_bytes = segment_bytes
        self._lock = threading.Lock()
        self._writer: WriterThread[_Segment | None] | None = None
        self._segment: _Segment | None = None
        self._number = 0

    def open(self) -> None:
        with self._lock:
            if self._writer is not None:
                return
            self._root.mkdir(parents=True, exist_ok=True)
            self._writer = WriterThread("rawlog-writer", lambda: None, self._run_batch, self._close_segment,
                                        max_batch=512)
            self._writer.start()

    def close(self) -> None:
        with self._lock:
            writer, self._writer = self._writer, None
        if writer is not None:
            writer.stop()

    def append(self, chunks: list[bytes]) -> Future[list[str]]:
        """Append uploads; the future gives their keys, in order, once their bytes are fsynced."""
        writer = self._writer
        if writer is None:
            raise RawLogError("the raw log is not open")
        return writer.submit(lambda _: chunks)  # type: ignore[arg-type,return-value]

    def read(self, key: str) -> bytes:
        match = _KEY.match(key)
        if match is None:
            raise RawLogError(f"not a raw log key: {key!r}")
        name, offset, length = match.group(1) + ".log", int(match.group(2)), int(match.group(3))
        try:
            with open(self._root / name, "rb") as handle:
                handle.seek(offset)
                data = handle.read(length)
        except FileNotFoundError as err:
            raise RawLogError(f"segment {name} is gone") from err
        if len(data) != length:
            raise RawLogError(f"segment {name} is shorter than {key!r} says")
        return data

    def _current(self) -> _Segment:
        if self._segment is None or self._segment.size >= self._segment_bytes:
            if self._segment is not None:
                self._segment.handle.close()
            self._number += 1
            self._segment = _Segment(self._root, self._number)
            fsync_dir(self._root)  # the new file's name must survive a crash too
        return self._segment

    def _run_batch(self, _: _Segment | None, tasks: list[WriteTask[_Segment | None]]) -> None:
        """Append every queued upload, fsync once, then hand out the keys."""
        segment = self._current()
        keys: list[list[str]] = []
        for task in tasks:
            mine = []
            for data in task.fn(None):
                segment.handle.write(data)
                mine.append(f"raw/{segment.name}:{segment.size}:{len(data)}")
                segment.size += len(data)
            keys.append(mine)
        segment.handle.flush()
        os.fsync(segment.handle.fileno())
        for task, mine in zip(tasks, keys, strict=True):
            task.future.set_result(mine)

    def _close_segment(self, _: _Segment | None) -> None:
        if self._segment is not None:
            self._segment.handle.close()
            self._segment = None

