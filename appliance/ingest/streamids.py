"""Reading 16-bit stream ids (iotile-sensorgraph ``DataStream.encode``), per id or per column.

Bits 15-12 are the stream type, bit 11 the system flag, bits 10-0 the index. The pipeline needs
the system flag (reboots, battery, OTA tags) and the reboot stream (0x5C00, "system output 1024")
to split readings into reboot blocks, so these are vectorized too.
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np
import numpy.typing as npt

from storage.streams.columns import REBOOT_VARIABLE

SYSTEM_BIT = 0x0800
INDEX_MASK = 0x07FF
TYPE_SHIFT = 12
REBOOT_STREAM = REBOOT_VARIABLE
"""Logged by the device on every reboot; its raw_time restarts from 0 after it."""

Streams = npt.NDArray[np.uint16]


class StreamType(IntEnum):
    """The top four bits of a stream id."""

    BUFFERED = 0
    UNBUFFERED = 1
    CONSTANT = 2
    INPUT = 3
    COUNTER = 4
    OUTPUT = 5


def is_system(stream: int) -> bool:
    """Whether the device itself (not the user's sensor graph) produces this stream."""
    return bool(stream & SYSTEM_BIT)


def stream_type(stream: int) -> StreamType:
    """The stream's type; raises ValueError for the unassigned types 6-15."""
    return StreamType((stream >> TYPE_SHIFT) & 0xF)


def stream_index(stream: int) -> int:
    """The id within its type and system/user half (0-2047)."""
    return stream & INDEX_MASK


def system_mask(streams: Streams) -> npt.NDArray[np.bool_]:
    """`is_system` for a whole column."""
    mask: npt.NDArray[np.bool_] = (np.asarray(streams, dtype=np.uint16) & np.uint16(SYSTEM_BIT)) != 0
    return mask


def reboot_mask(streams: Streams) -> npt.NDArray[np.bool_]:
    """Which readings mark a device reboot."""
    mask: npt.NDArray[np.bool_] = np.asarray(streams, dtype=np.uint16) == np.uint16(REBOOT_STREAM)
    return mask
