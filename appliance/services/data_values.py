"""``output_value`` and ``display_value`` of ``stream/<slug>/data/``, as iotile.cloud computes them
(apps/stream/helpers.py StreamDataDisplayHelper and MdoHelper), quirks included:

- ``output_value`` applies the stream's *own* output unit only (not its variable's);
- ``display_value`` starts from ``value`` when it is truthy, else re-derives one from ``int_value``
  through the stream's input unit and its m/d/o (mdo_type 'S' or 'V'; any other type gives 0.0),
  then formats the output with the variable's decimal places (2 without a variable); with no
  number at all it is ``str(int_value)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appliance.services.data_records import ReadingRecord, data_time
from storage.metadata.repos.data import Mdo, StreamDisplay
from storage.streams import ReadingType

DEFAULT_DECIMALS = 2


def mdo_compute(mdo: Mdo, value: float) -> float:
    """MdoHelper.compute: the offset is added only when it is truthy."""
    m, d, o = mdo
    result = 0.0
    if o:
        result += o
    result += value * m / d
    return result


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Display:
    settings: StreamDisplay

    def output_value(self, value: float | None) -> float | None:
        if not _number(value):
            return None
        assert value is not None
        unit = self.settings.output_mdo
        return mdo_compute(unit, value) if unit is not None else value

    def input_value(self, raw: int | None) -> float | None:
        if not _number(raw):
            return None
        assert raw is not None
        settings = self.settings
        value = mdo_compute(settings.input_mdo, raw) if settings.input_mdo is not None else float(raw)
        if settings.mdo_type == "V" and settings.variable_mdo is not None:
            return 0.0 + mdo_compute(settings.variable_mdo, value)
        if settings.mdo_type == "S":
            m, d, o = settings.stream_mdo
            return 0.0 + mdo_compute((1 if m is None else m, 1 if d is None else d, o or 0.0), value)
        return 0.0

    def display_value(self, value: float | None, int_value: int | None) -> str:
        out = self.output_value(value) if value else self.output_value(self.input_value(int_value))
        if out is None:
            return str(int_value)
        places = self.settings.decimal_places
        return f"{out:0.{DEFAULT_DECIMALS if places is None else places}f}"


@dataclass(frozen=True)
class StreamReadingRecord:
    """One ``stream/<slug>/data/`` result (StreamIdDataSerializer)."""

    type: str
    timestamp: str
    int_value: int | None
    value: float | None
    display_value: str
    output_value: float | None
    streamer_local_id: int

    @classmethod
    def of(cls, display: Display, reading: ReadingRecord) -> StreamReadingRecord:
        value, int_value = reading.value, reading.int_value
        return cls(ReadingType(reading.type).code, data_time(reading.timestamp), int_value, value,
                   display.display_value(value, int_value), display.output_value(value),
                   reading.streamer_local_id or 0)

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "timestamp": self.timestamp, "int_value": self.int_value, "value": self.value,
                "display_value": self.display_value, "output_value": self.output_value,
                "streamer_local_id": self.streamer_local_id}
