"""Reading values as iotile.cloud computes them (StreamDataBuilderHelper), per stream, vectorized.

``int_value`` keeps the raw u32 from the device. ``value`` is:
  raw re-read with the stream's ``raw_value_format`` (only 4-byte formats can re-read a u32;
  anything else keeps the raw number, as the server's struct.error path does), clamped to
  +-0x7fffffff, then the stream's m/d/o (its own when mdo_type is 'S', its variable's when 'V'),
  then the input unit's m/d/o, which also makes the type ITR instead of Num.
Readings of disabled streams are dropped; readings of streams without a StreamId are kept with
value = raw. Encoded streams carry packet framing (P-0 begin, P-1 end, P-E element), no value.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

NUM, ITR, P0, P1, PE = 0, 1, 2, 3, 4
ENCODED_BEGIN, ENCODED_END = 0xFFFFFFFF, 0xFFFFFFFE
CLAMP = 0x7FFFFFFF
_VIEWS = {"<l": "<i4", "<i": "<i4", "<L": None, "<I": None, "auto": None, "<f": "<f4"}


@dataclass(frozen=True)
class Mdo:
    m: int = 1
    d: int = 1
    o: float = 0.0

    def apply(self, values: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        result: npt.NDArray[np.float64] = values * self.m / self.d + (self.o or 0.0)
        return result


@dataclass(frozen=True)
class StreamConfig:
    """What the pipeline needs of one StreamId, resolved in advance (variable, units)."""

    enabled: bool = True
    raw_value_format: str = "<L"
    mdo: Mdo = Mdo()
    input_mdo: Mdo | None = None
    is_encoded: bool = False


@dataclass(frozen=True)
class Values:
    keep: npt.NDArray[np.bool_]
    value: npt.NDArray[np.float64]
    type: npt.NDArray[np.uint8]


def cast_raw(raw: npt.NDArray[np.uint32], fmt: str) -> npt.NDArray[np.float64]:
    """The u32 re-read in ``fmt`` and clamped like the server's 31-bit guard."""
    view = _VIEWS.get(fmt)
    values = raw.astype(np.float64) if view is None else raw.astype("<u4").view(view).astype(np.float64)
    with np.errstate(invalid="ignore"):
        return np.clip(values, -CLAMP, CLAMP)


def compute(variable: npt.ArrayLike, raw_value: npt.ArrayLike, streams: Mapping[int, StreamConfig]) -> Values:
    """Values for a report's readings; ``streams`` maps variable lid to its StreamId's config."""
    var = np.asarray(variable, dtype=np.uint16)
    raw = np.asarray(raw_value, dtype=np.uint32)
    keep = np.ones(len(raw), dtype=np.bool_)
    value = raw.astype(np.float64)
    kind = np.full(len(raw), NUM, dtype=np.uint8)
    for lid in _distinct(var):
        config = streams.get(int(lid))
        if config is None:
            continue
        rows = np.flatnonzero(var == lid)
        if not config.enabled:
            keep[rows] = False
        elif config.is_encoded:
            kind[rows] = np.where(raw[rows] == ENCODED_BEGIN, P0, np.where(raw[rows] == ENCODED_END, P1, PE))
            value[rows] = np.nan
        else:
            value[rows], kind[rows] = _stream_values(raw[rows], config)
    return Values(keep, value, kind)


def _distinct(var: npt.NDArray[np.uint16]) -> list[int]:
    """The report's variables; a set beats np.unique's sort by ~10x on the few readings of a small report."""
    return sorted(set(var.tolist())) if len(var) <= 256 else np.unique(var).tolist()


def _stream_values(raw: npt.NDArray[np.uint32], config: StreamConfig) -> tuple[npt.NDArray[np.float64], int]:
    values = config.mdo.apply(cast_raw(raw, config.raw_value_format))
    if config.input_mdo is None:
        return values, NUM
    return config.input_mdo.apply(values), ITR
