"""A virtual stream stitched from time slices of physical streams (iotile.cloud's stream aliases).

Each slice reads one stream over [start, end); the slices become one OR of range conditions, so a
stitched read is a single query and every read of the store (pages, counts, ``lastn``, CSV chunks,
time windows) applies to the stitched series exactly as to a plain stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.streams.queries import Params, StreamSelector, utc_naive

_SLICE = 'project = ? AND device = ? AND variable = ? AND "timestamp" >= ?'


@dataclass(frozen=True)
class Slice:
    """Readings of stream (project, device, variable) from ``start`` until ``end`` (None: no end)."""

    project: int
    device: int
    variable: int
    start: datetime
    end: datetime | None = None

    def clause(self) -> tuple[str, Params]:
        params: Params = [self.project, self.device, self.variable, utc_naive(self.start)]
        if self.end is None:
            return f"({_SLICE})", params
        return f'({_SLICE} AND "timestamp" < ?)', [*params, utc_naive(self.end)]


@dataclass(frozen=True)
class StitchedSelector(StreamSelector):
    """A selector over slices instead of one (project, device, variable) pattern; no slices, no rows."""

    slices: tuple[Slice, ...] = ()

    def clauses(self) -> tuple[list[str], Params]:
        if not self.slices:
            return ["FALSE"], []
        texts: list[str] = []
        params: Params = []
        for piece in self.slices:
            text, more = piece.clause()
            texts.append(text)
            params += more
        return [f"({' OR '.join(texts)})"], params
