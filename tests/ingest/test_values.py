"""Reading values against a per-reading transcription of the server's rules."""

from __future__ import annotations

import math
import struct

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.ingest.values import ITR, NUM, P0, P1, PE, Mdo, StreamConfig, compute


def server_value(raw: int, config: StreamConfig) -> float:
    if config.raw_value_format in ("<L", "auto"):
        value: float = raw
    else:
        try:
            (value,) = struct.unpack(config.raw_value_format, struct.pack("<L", raw))
        except struct.error:
            value = raw
    value = max(-0x7FFFFFFF, min(0x7FFFFFFF, value)) if not math.isnan(value) else value
    m = config.mdo
    value = (m.o or 0.0) + value * m.m / m.d
    if config.input_mdo is not None:
        i = config.input_mdo
        value = (i.o or 0.0) + value * i.m / i.d
    return float(value)


def test_formats_mdo_units_disabled_missing_and_encoded() -> None:
    streams = {
        0x5001: StreamConfig(raw_value_format="<l", mdo=Mdo(1, 10, 0.5)),
        0x5002: StreamConfig(enabled=False),
        0x5003: StreamConfig(raw_value_format="<f", input_mdo=Mdo(100, 4095, 0.0)),
        0x5004: StreamConfig(is_encoded=True),
        0x5005: StreamConfig(raw_value_format="<h"),
    }
    raws = [0xFFFFFFFF, 7, struct.unpack("<L", struct.pack("<f", 2.5))[0], 0xFFFFFFFF, 0xFFFFFFFE, 3, 42, 0x90000000]
    var = [0x5001, 0x5002, 0x5003, 0x5004, 0x5004, 0x5004, 0x5005, 0x5999]
    result = compute(var, raws, streams)
    assert result.keep.tolist() == [True, False, True, True, True, True, True, True]
    assert result.value[0] == -1 / 10 + 0.5
    assert result.value[2] == 2.5 * 100 / 4095 and result.type[2] == ITR
    assert result.type[3:6].tolist() == [P0, P1, PE] and np.isnan(result.value[3:6]).all()
    assert result.value[6] == 42.0
    assert result.value[7] == float(0x90000000) and result.type[7] == NUM


formats = st.sampled_from(["<L", "<l", "<f", "<I", "<i", "<H", "auto"])
mdos = st.builds(Mdo, st.integers(1, 1000), st.integers(1, 1000), st.floats(-100, 100, allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**32 - 1), formats, mdos, st.one_of(st.none(), mdos))
def test_matches_the_server_rules(raw: int, fmt: str, mdo: Mdo, input_mdo: Mdo | None) -> None:
    config = StreamConfig(raw_value_format=fmt, mdo=mdo, input_mdo=input_mdo)
    ours = compute([0x5001], [raw], {0x5001: config}).value[0]
    theirs = server_value(raw, config)
    assert (math.isnan(ours) and math.isnan(theirs)) or math.isclose(ours, theirs, rel_tol=1e-12, abs_tol=1e-9)
