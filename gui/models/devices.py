"""The device list as a lazy table (Devices screen and dashboard), paged from the device service."""

from __future__ import annotations

import logging

from appliance.services.accounts import AccountRecord
from gui.bridge import CoreThread
from gui.models.jobs import local_time
from gui.models.paged import Column, PagedModel
from gui.operations.devices import HEALTH_LABELS, DeviceFilter, DeviceRow, device_pager
from gui.qt import QObject
from gui.theme import ERROR, MUTED, OK

LOGGER = logging.getLogger(__name__)
HEALTH_COLOURS = {"OK": OK, "FAIL": ERROR, "UNK": MUTED, "DSBL": MUTED}
HEALTH_TIPS = {
    "OK": "Uploaded within its health check period",
    "FAIL": "Late: no upload within its health check period",
    "UNK": "Health is checked but the device has never uploaded",
    "DSBL": "The health check is switched off for this device",
}


def health_label(row: DeviceRow) -> str:
    return HEALTH_LABELS.get(row.health, row.health)


def _last_upload(row: DeviceRow) -> str:
    return local_time(row.last_upload) if row.last_upload else "Never"


COLUMNS: tuple[Column[DeviceRow], ...] = (
    Column(key="label", title="Label", value_fn=lambda r: r.device.label or "(no label)",
           colour_fn=lambda r: None if r.device.label else MUTED),
    Column(key="serial", title="Serial number", value_fn=lambda r: r.device.slug,
           tooltip_fn=lambda r: f"{r.device.id} (0x{r.device.id:x})"),
    Column(key="project", title="Project", value_fn=lambda r: r.project_name or "Not claimed",
           colour_fn=lambda r: None if r.project_name else MUTED),
    Column(key="health", title="Health", value_fn=health_label,
           colour_fn=lambda r: HEALTH_COLOURS.get(r.health), tooltip_fn=lambda r: HEALTH_TIPS.get(r.health)),
    Column(key="last_upload", title="Last upload", value_fn=_last_upload),
)
COLUMN_INDEX = {column.key: i for i, column in enumerate(COLUMNS)}


class DevicesModel(PagedModel[DeviceRow]):
    def __init__(self, core: CoreThread, account: AccountRecord, parent: QObject | None = None,
                 columns: tuple[Column[DeviceRow], ...] = COLUMNS) -> None:
        super().__init__(core, columns, key_fn=lambda row: row.device.id, parent=parent)
        self._account = account
        self.filter = DeviceFilter()

    def set_filter(self, flt: DeviceFilter) -> None:
        self.filter = flt
        account = self._account
        self.set_loader(lambda offset, want: device_pager(account, flt, offset, want))
