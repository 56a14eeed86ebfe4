"""Await the stores' writer/reader futures from asyncio without blocking the loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from storage.metadata import MetadataStore

T = TypeVar("T")


async def read(store: MetadataStore, fn: Callable[[Session], T]) -> T:
    return await asyncio.wrap_future(store.read(fn))


async def write(store: MetadataStore, fn: Callable[[Session], T]) -> T:
    return await asyncio.wrap_future(store.write(fn))
