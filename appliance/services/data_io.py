"""Blocking work of the data services, kept off the event loop: DuckDB reads and appends, blob
files, decompression. Stream-store failures become ``StorageError`` (503) at this boundary."""

from __future__ import annotations

import asyncio
import gzip
import io
from collections.abc import Callable
from concurrent.futures import Future
from typing import ParamSpec, TypeVar

from appliance.errors import PayloadTooLarge, StorageError, ValidationError
from storage.streams import StreamStoreError

P = ParamSpec("P")
T = TypeVar("T")


async def off_loop(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    try:
        return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))
    except StreamStoreError as err:
        raise StorageError(f"the stream store failed: {err}") from err


async def committed(submit: Callable[[], Future[T]]) -> T:
    """Queue a write (its batch is validated and sorted in the executor) and wait for its commit."""
    try:
        future = await off_loop(submit)
    except ValueError as err:  # the store refused the batch whole; nothing was queued
        raise ValidationError(f"cannot store these rows: {err}", key="bad_rows") from err
    try:
        return await asyncio.wrap_future(future)
    except StreamStoreError as err:
        raise StorageError(f"the stream store failed: {err}") from err


def gunzip(data: bytes, limit: int) -> bytes:
    """A .json.gz payload, decompressed no further than ``limit`` bytes (gzip bombs stop there)."""
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as handle:
            plain = handle.read(limit + 1)
    except (OSError, EOFError, ValueError) as err:
        raise ValidationError(f"the file is not valid gzip: {err}", key="bad_gzip") from err
    if len(plain) > limit:
        raise PayloadTooLarge(f"the decompressed file is over the limit of {limit} bytes")
    return plain
