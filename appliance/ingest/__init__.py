"""Report ingest: decoding uploads into numpy columns, then (in the pipeline) dedup, times, storage.

The decoding layer is pure (bytes in, `DecodedReport` out, `ReportError` for anything refused) so
it can be tested and benchmarked without a database or a server:

* `decode_signed_list` for the ``.bin`` SignedListReport, `decode_flexible` for ``.mp``/``.json``;
* `timebase` turns raw device times into UTC columns, `streamids` reads stream id bits.
"""

from __future__ import annotations

from appliance.ingest.decoded import (
    READING_DTYPE,
    DecodedEvent,
    DecodedReport,
    ReportError,
    ReportFormat,
)
from appliance.ingest.flexible import MAX_ITEMS, FlexibleKind, decode_flexible
from appliance.ingest.signed_list import SignatureFlags, UserKeyLookup, decode_signed_list
from appliance.ingest.streamids import REBOOT_STREAM, is_system, reboot_mask, system_mask
from appliance.ingest.timebase import is_rtc, reading_status, reading_times, rtc_mask, rtc_to_datetime

__all__ = [
    "MAX_ITEMS",
    "READING_DTYPE",
    "REBOOT_STREAM",
    "DecodedEvent",
    "DecodedReport",
    "FlexibleKind",
    "ReportError",
    "ReportFormat",
    "SignatureFlags",
    "UserKeyLookup",
    "decode_flexible",
    "decode_signed_list",
    "is_rtc",
    "is_system",
    "reading_status",
    "reading_times",
    "reboot_mask",
    "rtc_mask",
    "rtc_to_datetime",
    "system_mask",
]
