"""What a decoded report looks like, whatever its wire format, and the one error decoding raises.

Both decoders return the same frozen `DecodedReport` so the pipeline (dedup, time reconstruction,
storage) never branches on the upload's file extension except where iotile.cloud itself does.
Readings stay in one structured numpy array laid out exactly like the SignedListReport's 16-byte
records, so the binary path is a zero-copy view and the v2 path fills the same columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

import numpy as np
import numpy.typing as npt

from appliance.errors import ValidationError

READING_DTYPE = np.dtype(
    [("stream", "<u2"), ("reserved", "<u2"), ("reading_id", "<u4"), ("raw_time", "<u4"), ("value", "<u4")]
)
"""One SignedListReport reading, ``<HHLLL``; the v2 decoder fills the same fields."""

CHOPPED_MAX_LENGTH = 196608
CHOPPED_MARGIN = 16
INVALID_RAW_TIME = 0xFFFFFFFF
"""iotile-core's ``IOTileEvent.InvalidRawTime``: also what a v2 item without device_timestamp gets."""

Readings = npt.NDArray[np.void]
Timestamps = npt.NDArray[np.datetime64]


class ReportError(ValidationError):
    """The upload is not a report we can accept; ``key`` says which check failed (stable, for tests
    and the GUI), the message says what to fix. Nothing from a refused report is ever stored."""

    key = "bad_report"


class ReportFormat(str, Enum):
    """Which decoder produced the report; the real server picks its worker by the same split."""

    SIGNED_LIST = "signed_list"
    MSGPACK = "msgpack"
    JSON = "json"


@dataclass(frozen=True, slots=True, kw_only=True)
class DecodedEvent:
    """One v2 event. ``extra_data`` is the small summary the cloud indexes; ``data`` is the payload
    the cloud keeps as a blob (any JSON value, usually a dict, often None)."""

    stream: int
    streamer_local_id: int
    timestamp: datetime | None
    device_timestamp: int | None
    extra_data: dict[str, Any]
    data: Any


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class DecodedReport:
    """A report that passed every check the real server makes at upload time (and a few more).

    ``sent_timestamp`` is the device's uptime when it sent the report (the binary header's field,
    the v2 ``device_sent_timestamp``), not a wall-clock time. ``readings`` is read-only. For v2
    reports ``timestamps`` holds each data item's absolute time as naive-UTC ``datetime64[us]``
    (NaT where the item had none) and ``raw_time`` is ``INVALID_RAW_TIME`` where the item carried
    no ``device_timestamp``; binary reports have no absolute times, so ``timestamps`` is None.
    Equality is identity: comparing numpy arrays elementwise would make ``==`` ambiguous.
    """

    format: ReportFormat
    device_id: int
    report_id: int
    sent_timestamp: int
    signature_flags: int
    streamer_index: int
    streamer_selector: int
    lowest_id: int
    highest_id: int
    length: int
    readings: Readings
    timestamps: Timestamps | None = None
    events: tuple[DecodedEvent, ...] = ()
    encrypted: bool = False
    format_tag: str = ""

    @property
    def stream(self) -> npt.NDArray[np.uint16]:
        return self.readings["stream"]

    @property
    def reading_id(self) -> npt.NDArray[np.uint32]:
        return self.readings["reading_id"]

    @property
    def raw_time(self) -> npt.NDArray[np.uint32]:
        return self.readings["raw_time"]

    @property
    def value(self) -> npt.NDArray[np.uint32]:
        return self.readings["value"]

    @property
    def count(self) -> int:
        """What the real server answers in its 201 ``{"count": N}``: readings plus events."""
        return len(self.readings) + len(self.events)

    @property
    def chopped(self) -> bool:
        """The device hit the phone's old 192 KiB report limit, so more data follows in a later
        report. Same test as iotile.cloud's ``ReportParser.chopped_off`` (both bounds strict);
        the only valid SignedListReport length it matches is 196604 bytes (12285 readings)."""
        low = CHOPPED_MAX_LENGTH - CHOPPED_MARGIN
        return self.format is ReportFormat.SIGNED_LIST and low < self.length < CHOPPED_MAX_LENGTH

    @property
    def ids_consistent(self) -> bool:
        """Whether ``lowest_id``/``highest_id`` match the ids carried (0 excluded, both 0 when none).

        Neither iotile-core nor the real server checks this, and the server keeps the footer's
        values as ``original_first_id``/``original_last_id`` while dedup uses the readings' own
        ids; so a mismatch is reported here for the pipeline to log, never refused."""
        ids = np.concatenate([self.reading_id, np.fromiter((e.streamer_local_id for e in self.events), np.uint32)])
        ids = ids[ids != 0]
        if ids.size == 0:
            return self.lowest_id == 0 and self.highest_id == 0
        return int(ids.min()) == self.lowest_id and int(ids.max()) == self.highest_id
