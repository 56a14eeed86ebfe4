"""A device's streams (the device detail dialog), as declarative columns over StreamRecords."""

from __future__ import annotations

from appliance.services.streams_records import StreamRecord
from gui.bridge import CoreThread
from gui.models.paged import Column, PagedModel
from gui.qt import QObject
from gui.theme import MUTED


def units(stream: StreamRecord) -> str:
    unit = stream.output_unit or stream.input_unit
    return unit.unit_full if unit is not None else ""


COLUMNS: tuple[Column[StreamRecord], ...] = (
    Column(key="name", title="Variable", value_fn=lambda s: s.var_name or "—"),
    Column(key="lid", title="Local ID", value_fn=lambda s: f"{s.lid:04x}"),
    Column(key="units", title="Units", value_fn=units),
    Column(key="enabled", title="Enabled", value_fn=lambda s: "Yes" if s.enabled else "No",
           colour_fn=lambda s: None if s.enabled else MUTED),
    Column(key="slug", title="Stream ID", value_fn=lambda s: s.slug),
)


class StreamsModel(PagedModel[StreamRecord]):
    def __init__(self, core: CoreThread, parent: QObject | None = None) -> None:
        super().__init__(core, COLUMNS, key_fn=lambda s: s.slug, parent=parent)
