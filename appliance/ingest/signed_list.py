"""SignedListReport (format 1, the ``.bin`` upload): checks, signature, decryption, readings.

Byte layout (little-endian): a 20-byte header ``<BBHLLLBBH``, N readings of 16 bytes ``<HHLLL``,
a 24-byte footer ``<LL16s`` (lowest_id, highest_id, signature). The signature covers every byte
but its own 16. The readings become one numpy view of the upload's buffer: no per-reading Python,
which is what lets one appliance ingest a site's worth of devices.

Compared with iotile.cloud (``server/apps/streamer/report/parser.py`` and ``tasks.py``), which
checks the format byte, the footer, ``signature_flags == 0`` and the hash, we also refuse what it
lets through to fail later in its worker or not at all: a length field that disagrees with the
upload either way and a length that is not 44 + 16 x N. We accept user-key reports (flag 1), which
it refuses, when the device's root key is known.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from Crypto.Cipher import AES

from appliance.ingest.decoded import READING_DTYPE, DecodedReport, ReportError, ReportFormat

HEADER = struct.Struct("<BBHLLLBBH")
FOOTER = struct.Struct("<LL16s")
READING_LENGTH = READING_DTYPE.itemsize
SIGNATURE_LENGTH = 16
EMPTY_REPORT_LENGTH = HEADER.size + FOOTER.size
SIGNED_LIST_FORMAT = 1
REPORT_KEY_MAGIC = 2
"""``AuthProvider.ReportKeyMagic``: the first word of the per-report key derivation."""

UserKeyLookup = Callable[[int], "bytes | None"]
"""Device id -> its 32-byte user root key, or None when the appliance does not hold one."""


class SignatureFlags(IntEnum):
    """Byte 16 of the header (iotile-core ``ReportSignatureFlags``)."""

    HASH = 0
    USER_KEY = 1
    DEVICE_KEY = 2


@dataclass(frozen=True, slots=True)
class _Header:
    length: int
    device_id: int
    report_id: int
    sent_timestamp: int
    signature_flags: int
    streamer_index: int
    streamer_selector: int


def decode_signed_list(
    raw: bytes | bytearray | memoryview, *, user_key_lookup: UserKeyLookup | None = None
) -> DecodedReport:
    """Decode a ``.bin`` upload, or raise `ReportError` naming the first check it fails.

    The footer's lowest/highest ids are kept as sent even when they disagree with the readings
    (see `DecodedReport.ids_consistent`): iotile-core and the real server both accept that.
    """
    data = bytes(raw)
    header = _parse_header(data)
    _check_length(len(data), header.length)
    lowest_id, highest_id, _signature = FOOTER.unpack_from(data, len(data) - FOOTER.size)
    block = _authenticated_block(data, header, user_key_lookup)
    return DecodedReport(
        format=ReportFormat.SIGNED_LIST,
        device_id=header.device_id,
        report_id=header.report_id,
        sent_timestamp=header.sent_timestamp,
        signature_flags=header.signature_flags,
        streamer_index=header.streamer_index,
        streamer_selector=header.streamer_selector,
        lowest_id=lowest_id,
        highest_id=highest_id,
        length=len(data),
        readings=np.frombuffer(block, dtype=READING_DTYPE),
        encrypted=header.signature_flags == SignatureFlags.USER_KEY,
    )


def _parse_header(data: bytes) -> _Header:
    if len(data) < HEADER.size:
        raise ReportError(
            f"too short for a report header: {len(data)} bytes, a SignedListReport header is {HEADER.size}",
            key="short_header",
        )
    fmt, len_low, len_high, device_id, report_id, sent, flags, index, selector = HEADER.unpack_from(data)
    if fmt != SIGNED_LIST_FORMAT:
        raise ReportError(
            f"report format {fmt} cannot be uploaded: only SignedListReport (format 1) is accepted as .bin",
            key="bad_format",
        )
    return _Header(len_low | (len_high << 8), device_id, report_id, sent, flags, index, selector)


def _check_length(actual: int, declared: int) -> None:
    if actual < declared:
        raise ReportError(
            f"report truncated: its header declares {declared} bytes but {actual} arrived", key="length_mismatch"
        )
    if actual > declared:
        raise ReportError(
            f"{actual - declared} bytes follow the end of the report (its header declares {declared} bytes)",
            key="trailing_bytes",
        )
    if declared < EMPTY_REPORT_LENGTH or (declared - EMPTY_REPORT_LENGTH) % READING_LENGTH:
        raise ReportError(
            f"report length {declared} is not {EMPTY_REPORT_LENGTH} + {READING_LENGTH} x readings", key="bad_count"
        )


def _authenticated_block(data: bytes, header: _Header, user_key_lookup: UserKeyLookup | None) -> bytes | memoryview:
    """The readings block in clear, only once the signature has been verified (encrypt-then-MAC:
    the signature covers the ciphertext, so nothing is decrypted before it is authenticated)."""
    view = memoryview(data)
    signed, signature = view[:-SIGNATURE_LENGTH], data[-SIGNATURE_LENGTH:]
    block = view[HEADER.size : len(data) - FOOTER.size]
    flags = header.signature_flags
    if flags == SignatureFlags.HASH:
        _check_signature(hashlib.sha256(signed).digest(), signature, header)
        return block
    if flags == SignatureFlags.USER_KEY:
        report_key = _report_key(header, user_key_lookup)
        mac = hmac.new(report_key, hashlib.sha256(signed).digest(), hashlib.sha256).digest()
        _check_signature(mac, signature, header)
        return _decrypt(report_key, block)
    if flags == SignatureFlags.DEVICE_KEY:
        raise ReportError(
            "report is signed with the device key (signature flags 2), which the appliance cannot verify",
            key="unsupported_signature",
        )
    raise ReportError(
        f"unknown report signature flags {flags} (known: 0 hash, 1 user key)", key="unsupported_signature"
    )


def _check_signature(expected: bytes, signature: bytes, header: _Header) -> None:
    if not hmac.compare_digest(expected[:SIGNATURE_LENGTH], signature):
        method = "user-key HMAC" if header.signature_flags else "SHA-256 hash"
        raise ReportError(
            f"report signature does not match its contents ({method}, device 0x{header.device_id:08x}, "
            f"streamer {header.streamer_index}): corrupted or tampered with",
            key="bad_signature",
        )


def _report_key(header: _Header, user_key_lookup: UserKeyLookup | None) -> bytes:
    """HMAC-SHA256(root, ``<LLL`` 2, report_id, sent_timestamp): iotile-core's one-time report key."""
    root = user_key_lookup(header.device_id) if user_key_lookup is not None else None
    if root is None:
        raise ReportError(
            f"report is encrypted with the user key of device 0x{header.device_id:08x}; a user key for "
            f"device 0x{header.device_id:08x} must be stored on the appliance before its reports can be accepted",
            key="no_user_key",
        )
    derivation = struct.pack("<LLL", REPORT_KEY_MAGIC, header.report_id, header.sent_timestamp)
    return hmac.new(root, derivation, hashlib.sha256).digest()


def _decrypt(report_key: bytes, block: memoryview) -> bytes:
    """AES-128-CTR with a 128-bit big-endian counter starting at 1, i.e. pycryptodome's
    ``Counter.new(128)`` that iotile-core encrypts with."""
    cipher = AES.new(report_key[:16], AES.MODE_CTR, nonce=b"", initial_value=1)
    return cipher.decrypt(block)
