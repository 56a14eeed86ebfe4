"""Paging a service list with a filter the service cannot apply itself (free text, health).

The models ask for "the next N matching rows after service offset K". ``scan`` reads service pages
from K until it has N matches or the list ends, so a narrow filter does not leave the view empty
while most of the list is still unread; ``consumed`` is where the next scan starts.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
SERVICE_PAGE = 200
MAX_PAGES_PER_SCAN = 25
PageReader = Callable[[int, int], Awaitable[tuple[int, Sequence[T]]]]


@dataclass(frozen=True)
class Chunk(Generic[T]):
    rows: tuple[T, ...]
    consumed: int  # the service offset the next chunk starts from
    total: int  # rows the service holds before our filter

    @property
    def exhausted(self) -> bool:
        return self.consumed >= self.total


async def scan(read: PageReader[T], keep: Callable[[T], bool], offset: int, want: int,
               *, page: int = SERVICE_PAGE) -> Chunk[T]:
    found: list[T] = []
    total = offset
    for _ in range(MAX_PAGES_PER_SCAN):
        total, rows = await read(offset, page)
        offset += len(rows)
        found.extend(row for row in rows if keep(row))
        if len(found) >= want or not rows or offset >= total:
            break
    return Chunk(tuple(found), offset, total)


def matches(text: str, *fields: str | None) -> bool:
    """Case-insensitive "contains" over the given fields; an empty filter matches everything."""
    needle = text.strip().lower()
    return not needle or any(needle in field.lower() for field in fields if field)
