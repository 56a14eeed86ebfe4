"""Dashboard: where devices should upload, and a live feed of uploads as they arrive.

The feed lists every report upload (the ingest pipeline's ``ReportUploaded``) and other new readings
(``Changes(readings=True)`` from elsewhere, e.g. data posted through the API) with only what those
events say; it starts empty and says so. Device health (OK, FAIL, UNK) joins this screen in part 2.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from appliance.events import Changes
from appliance.ingest.pipeline import ReportUploaded
from appliance.slugs import DeviceSlug
from gui.layout import WrapLabel, button_row, card
from gui.operations.status import StatusSnapshot
from gui.qt import QFrame, QGuiApplication, QLabel, QListWidget, QPushButton, Qt, QWidget
from gui.screens.base import Screen, ScreenContext
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
FEED_LIMIT = 500
INGEST = "ingest"


def upload_line(event: ReportUploaded) -> str:
    """"14:02:11   d--0000-0000-0000-0a1b   streamer 0   120 readings, 120 new"."""
    moment = event.received.astimezone().strftime("%H:%M:%S")
    new = "all new" if event.stored == event.count else f"{event.stored:,} new"
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
        self.layout_.addWidget(self._addresses_card())
        self.layout_.addWidget(self._feed_card(), 1)
        ctx.status.status_did_refresh.connect(self.show_status)
        ctx.core.changes_did_apply.connect(self.on_changes)
        ctx.core.uploads_did_arrive.connect(self.on_uploads)

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

    def _feed_card(self) -> QFrame:
        frame, box = card("Live feed of uploads")
        self.feed = QListWidget()
        self.feed.setObjectName("liveFeed")
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

    def on_uploads(self, batch: list[ReportUploaded]) -> None:
        self.add_lines([upload_line(event) for event in batch[-FEED_LIMIT:]])

    def add_lines(self, lines: list[str]) -> None:
        """Newest first; the oldest fall off after FEED_LIMIT lines."""
        for line in lines:
            self.feed.insertItem(0, line)
        while self.feed.count() > FEED_LIMIT:
            self.feed.takeItem(self.feed.count() - 1)
        self.feed.setVisible(True)
        self.feed_empty.setVisible(False)
