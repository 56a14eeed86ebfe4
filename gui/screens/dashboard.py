"""Dashboard: where devices should upload, the devices with their health, and a live feed of uploads.

The feed lists every report upload (the ingest pipeline's ``ReportUploaded``) and other new readings
(``Changes(readings=True)`` from elsewhere, e.g. data posted through the API) with only what those
events say; it starts empty and says so. The device list is the Devices screen's model with fewer
columns (health OK, FAIL, UNK or Off, and the last upload), read again shortly after uploads arrive.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from appliance.events import Changes
from appliance.ingest.pipeline import ReportUploaded
from appliance.slugs import DeviceSlug
from gui.dialogs.device_detail import show_device_detail
from gui.layout import WrapLabel, button_row, card, table_view
from gui.models.devices import COLUMN_INDEX, COLUMNS, DevicesModel
from gui.operations.status import StatusSnapshot
from gui.qt import (
    QFrame,
    QGuiApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    Qt,
    QTimer,
    QWidget,
)
from gui.screens.base import Screen, ScreenContext
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
FEED_LIMIT = 500
INGEST = "ingest"
DEVICE_COLUMNS = tuple(COLUMNS[COLUMN_INDEX[key]] for key in ("label", "health", "last_upload", "project"))
UPLOAD_RELOAD_MS = 1500


def upload_line(event: ReportUploaded) -> str:
    """"14:02:11   d--0000-0000-0000-0a1b   streamer 0   120 readings, 120 new"."""
    moment = event.received.astimezone().strftime("%H:%M:%S")
    # ``stored`` counts the pipeline's own marker readings too, so it can exceed ``count``
    new = ("nothing new (sent before)" if event.stored == 0 else "all new" if event.stored >= event.count
           else f"{event.stored:,} new")
    return (f"{moment}   {DeviceSlug(event.device_id).slug}   streamer {event.streamer_index}   "
            f"{event.count:,} readings, {new}")


def change_line(changes: Changes, now: datetime | None = None) -> str:
    """Readings that did not come as a report upload (posted through the API): what the event says."""
    moment = (now or datetime.now().astimezone()).strftime("%H:%M:%S")
    detail: Mapping[str, Any] = changes.detail or {}
    parts = [moment, changes.initiator or "readings"] + [f"{k}: {v}" for k, v in detail.items()]
    return "   ".join(parts)


class DashboardScreen(Screen):
    key = "dashboard"
    title = "Dashboard"
    subtitle = "Where devices send their data, and what has arrived since the program started."

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._urls: list[str] = []
        self.devices = DevicesModel(ctx.core, ctx.session.account, self, columns=DEVICE_COLUMNS)
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(UPLOAD_RELOAD_MS)
        self._reload_timer.timeout.connect(self.devices.reload)
        self.layout_.addWidget(self._addresses_card())
        row = QHBoxLayout()
        row.setSpacing(14)
        row.addWidget(self._devices_card(), 3)
        row.addWidget(self._feed_card(), 2)
        self.layout_.addLayout(row, 1)
        ctx.status.status_did_refresh.connect(self.show_status)
        ctx.core.changes_did_apply.connect(self.on_changes)
        ctx.core.uploads_did_arrive.connect(self.on_uploads)
        self.devices.rows_did_load.connect(self._devices_loaded)

    def _addresses_card(self) -> QFrame:
        frame, box = card("Devices and gateways upload to")
        self.urls = QLabel("Reading the server address…")
        self.urls.setObjectName("uploadUrls")
        set_role(self.urls, "big")
        self.urls.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.url_hint = WrapLabel("")
        set_role(self.url_hint, "help")
        self.copy_button = QPushButton("Copy addresses")
        self.copy_button.clicked.connect(self.copy_urls)
        box.addWidget(self.urls)
        box.addWidget(self.url_hint)
        box.addLayout(button_row(self.copy_button))
        return frame

    def _devices_card(self) -> QFrame:
        frame, box = card("Devices")
        self.device_summary = QLabel("Reading the devices…")
        self.device_summary.setObjectName("deviceSummary")
        self.device_table = table_view("dashboardDevices")
        self.device_table.setModel(self.devices)
        header = self.device_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.device_table.activated.connect(lambda index: self._open_device(index.row()))
        self.all_devices = QPushButton("All devices")
        self.all_devices.clicked.connect(lambda: self.navigation_requested.emit("devices", None))
        box.addWidget(self.device_summary)
        box.addWidget(self.device_table, 1)
        box.addLayout(button_row(self.all_devices))
        return frame

    def _feed_card(self) -> QFrame:
        frame, box = card("Live feed of uploads")
        self.feed = QListWidget()
        self.feed.setObjectName("liveFeed")
        self.feed.setWordWrap(True)  # a narrow card wraps lines instead of hiding their end
        self.feed.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.feed.setVisible(False)
        self.feed_empty = WrapLabel("No uploads since the program started. Each upload appears here as it "
                                    "arrives.")
        set_role(self.feed_empty, "empty")
        box.addWidget(self.feed, 1)
        box.addWidget(self.feed_empty, 1)
        return frame

    def refresh(self) -> None:
        if self.ctx.status.latest is not None:
            self.show_status(self.ctx.status.latest)
        if self.devices.loaded_once:
            self.devices.reload()
        else:
            self.devices.set_filter(self.devices.filter)

    def _devices_loaded(self) -> None:
        rows = self.devices.rows
        if not rows:
            self.device_summary.setText("No devices yet. Claim one on the Devices screen.")
            return
        counts = {code: sum(1 for r in rows if r.health == code) for code in ("OK", "FAIL", "UNK", "DSBL")}
        shown = f"{len(rows):,} devices" + ("" if self.devices.exhausted else " shown (scroll for more)")
        self.device_summary.setText(f"{shown}:  {counts['OK']} OK · {counts['FAIL']} FAIL · {counts['UNK']} UNK · "
                                    f"{counts['DSBL']} with the health check off")

    def _open_device(self, row: int) -> None:
        device = self.devices.row_at(row)
        if device is not None:
            show_device_detail(self.ctx.core, self, self.ctx.session.account, device.device.slug)

    def show_status(self, snapshot: StatusSnapshot) -> None:
        self._urls = list(snapshot.urls)
        if not snapshot.serving:
            self.urls.setText("The server is not running")
            self.url_hint.setText("Devices cannot upload until it runs. Check Settings → Server and restart.")
            return
        self.urls.setText("\n".join(snapshot.urls))
        self.url_hint.setText(
            "Only this computer can reach this address. To let devices on the network upload, set Server → "
            "Host to 0.0.0.0 in Settings and restart the server." if snapshot.local_only else
            "Enter one of these as the server address in the device or gateway settings.")

    def copy_urls(self) -> None:
        if self._urls:
            QGuiApplication.clipboard().setText("\n".join(self._urls))

    def on_changes(self, changes: Changes) -> None:
        if changes.readings and changes.initiator != INGEST:  # uploads come with their own event
            self.add_lines([change_line(changes)])
        if changes.devices or changes.projects:
            self.mark_dirty()

    def on_uploads(self, batch: list[ReportUploaded]) -> None:
        self.add_lines([upload_line(event) for event in batch[-FEED_LIMIT:]])
        if self.isVisible():
            if not self._reload_timer.isActive():  # a steady stream of uploads must not postpone it
                self._reload_timer.start()
        else:
            self._dirty = True

    def add_lines(self, lines: list[str]) -> None:
        """Newest first; the oldest fall off after FEED_LIMIT lines."""
        for line in lines:
            self.feed.insertItem(0, line)
        while self.feed.count() > FEED_LIMIT:
            self.feed.takeItem(self.feed.count() - 1)
        self.feed.setVisible(True)
        self.feed_empty.setVisible(False)
