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

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

NUM, ITR, P0, P1, PE = 0, 1, 2, 3, 4
ENCODED_BEGIN, ENCODED_END = 0xFFFFFFFF, 0xFFFFFFFE
CLAMP = 0x7FFFFFFF
_VIEWS = {"<l": "<i4", "<i": "<i4", "<L": None, "<I": None, "auto": None, "<f": "<f4"}
_VIEW_CODES: tuple[str | None, ...] = (None, "<i4", "<f4")


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

    @functools.cached_property
    def numbers(self) -> tuple[float, ...]:
        """present, enabled, encoded, view code, m, d, o, has input unit, its m, d, o (``_ConfigTable``)."""
        unit = self.input_mdo or Mdo()
        view = _VIEW_CODES.index(_VIEWS.get(self.raw_value_format))
        return (1, int(self.enabled), int(self.is_encoded), view, self.mdo.m, self.mdo.d, self.mdo.o or 0.0,
                int(self.input_mdo is not None), unit.m, unit.d, unit.o or 0.0)


@dataclass(frozen=True)
class Values:
    keep: npt.NDArray[np.bool_]
    value: npt.NDArray[np.float64]
    type: npt.NDArray[np.uint8]


def compute(variable: npt.ArrayLike, raw_value: npt.ArrayLike, streams: Mapping[int, StreamConfig]) -> Values:
    """Values for a report's readings; ``streams`` maps variable lid to its StreamId's config."""
    var = np.asarray(variable, dtype=np.uint16)
    lids = sorted(set(var.tolist()))
    which = np.searchsorted(np.asarray(lids, dtype=np.uint16), var)
    return compute_rows(raw_value, which, [streams.get(lid) for lid in lids])


def compute_rows(raw_value: npt.ArrayLike, which: npt.NDArray[np.intp],
                 configs: Sequence[StreamConfig | None]) -> Values:
    """Values for readings of many streams at once: row i belongs to ``configs[which[i]]`` (None:
    a stream without a StreamId). A whole group of uploads costs the same few array operations
    as one report, instead of a few per stream of every report."""
    raw = np.asarray(raw_value, dtype=np.uint32)
    value = raw.astype(np.float64)
    kind = np.full(len(raw), NUM, dtype=np.uint8)
    keep = np.ones(len(raw), dtype=np.bool_)
    if all(config is None for config in configs):
        return Values(keep, value, kind)
    table = _ConfigTable(configs)
    configured = table.present[which]
    keep &= ~(configured & ~table.enabled[which])
    live = configured & keep
    encoded = live & table.encoded[which]
    numeric = live & ~encoded
    if encoded.any():
        codes = raw[encoded]
        kind[encoded] = np.where(codes == ENCODED_BEGIN, P0, np.where(codes == ENCODED_END, P1, PE))
        value[encoded] = np.nan
    if numeric.any():
        formats = table.view[which]
        for code, view in enumerate(_VIEW_CODES[1:], start=1):
            rows = numeric & (formats == code)
            if rows.any():
                value[rows] = raw[rows].view(view).astype(np.float64)
        rows = which[numeric]
        with np.errstate(invalid="ignore"):
            scaled = np.clip(value[numeric], -CLAMP, CLAMP)
        value[numeric] = scaled * table.m[rows] / table.d[rows] + table.o[rows]
        unit = numeric & table.has_input[which]
        if unit.any():
            rows = which[unit]
            value[unit] = value[unit] * table.im[rows] / table.id[rows] + table.io[rows]
            kind[unit] = ITR
    return Values(keep, value, kind)


class _ConfigTable:
    """The configs of a batch as columns, so each row's numbers are one fancy-index away."""

    def __init__(self, configs: Sequence[StreamConfig | None]) -> None:
        numbers = np.asarray([_NO_CONFIG if config is None else config.numbers for config in configs],
                             dtype=np.float64).T
        present, enabled, encoded, view, self.m, self.d, self.o, has_input, self.im, self.id, self.io = numbers
        self.present, self.enabled, self.encoded = present != 0, enabled != 0, encoded != 0
        self.view, self.has_input = view.astype(np.uint8), has_input != 0


_NO_CONFIG = (0, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0)
