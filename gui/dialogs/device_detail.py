"""Device detail: overview, streams, health (with the health check's switch and period), properties,
configuration attributes, notes (with "Add a note…"), locations, versions (OS and app, with the OTA
deployments that apply) and the data mask (show, set, clear). ``show_device_detail`` reads
everything first and opens the dialog only then, so the tabs never fill in one by one.

A tab the operator's role may not read says so in words instead of being left out, and edits the
role does not allow are disabled with the reason; the services still judge every change.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TypeVar

from appliance.services.accounts import AccountRecord
from appliance.services.config_attributes import AttributeRecord
from appliance.services.locations import LocationRecord
from appliance.services.notes import MAX_NOTE_LENGTH, NoteRecord
from appliance.services.properties import PropertyRecord
from gui.bridge import CoreThread
from gui.dialogs.maintenance_base import keep_open
from gui.dialogs.maintenance_health import HealthTab
from gui.dialogs.maintenance_mask import MaskTab
from gui.dialogs.maintenance_versions import VersionsTab
from gui.errors import show_error
from gui.layout import WrapLabel, button_row, form_layout, table_view
from gui.models.devices import HEALTH_COLOURS
from gui.models.jobs import local_time
from gui.models.streams import StreamsModel
from gui.operations.device_detail import DeviceDetail, TabRows, detail_reader, note_adder
from gui.operations.devices import HEALTH_LABELS
from gui.qt import (
    QDialog,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
R = TypeVar("R")


def property_line(p: PropertyRecord) -> str:
    return f"{p.name}: {p.str_value}" + ("   (system)" if p.is_system else "")


def attribute_line(a: AttributeRecord) -> str:
    return f"{a.name}: {json.dumps(a.data, sort_keys=True)}   (updated {local_time(a.updated_on)})"


def note_line(n: NoteRecord) -> str:
    who = f"@{n.username}" if n.username else "the appliance"
    return f"{local_time(n.timestamp)}  {who}: {n.note}"


def location_line(loc: LocationRecord) -> str:
    return f"{local_time(loc.timestamp)}  {loc.lat:.6f}, {loc.lon:.6f}" + (f"   by {loc.user}" if loc.user else "")


def _page(*widgets: QWidget) -> QWidget:
    page = QWidget()
    box = QVBoxLayout(page)
    box.setContentsMargins(18, 16, 18, 16)
    box.setSpacing(10)
    for widget in widgets:
        box.addWidget(widget)
    box.addStretch(1)
    return page


def _form(rows: list[tuple[str, str]]) -> QWidget:
    holder = QWidget()
    form = form_layout()
    holder.setLayout(form)
    for caption, value in rows:
        label = QLabel(value or "—")
        label.setWordWrap(True)
        form.addRow(caption, label)
    return holder


def overview_rows(detail: DeviceDetail) -> list[tuple[str, str]]:
    d = detail.device
    position = f"{d.lat:.6f}, {d.lon:.6f}" if d.lat is not None and d.lon is not None else ""
    return [
        ("Label", d.label), ("Serial number", f"{d.slug}   ({d.id}, 0x{d.id:x})"),
        ("Project", detail.project_name or "Not claimed"), ("Organization", detail.org_name),
        ("Claimed", f"{local_time(d.claimed_on)} by {d.claimed_by or '—'}" if d.claimed_on else ""),
        ("State", ("Busy with a job" if d.busy else "Active" if d.active else "Inactive")),
        ("Sensor graph", d.sg or ""), ("Device template", d.template or ""), ("External ID", d.external_id),
        ("Position", position), ("Registered", local_time(d.created_on)),
    ]


class DeviceDetailDialog(QDialog):
    def __init__(self, core: CoreThread, detail: DeviceDetail, account: AccountRecord,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("deviceDetailDialog")
        self.setWindowTitle(f"Device {detail.device.slug}")
        self.resize(1180, 680)  # every tab's title shows at once on the default 1280 px wide screen
        self.core = core
        self.account = account
        self.detail = detail
        self.streams_model = StreamsModel(core, self)
        self.streams_model.set_rows(list(detail.streams))
        self.tabs = QTabWidget()
        self.tabs.setObjectName("deviceDetailTabs")
        self.tabs.addTab(_page(_form(overview_rows(detail))), "Overview")
        self.tabs.addTab(self._streams_page(), f"Streams ({len(detail.streams)})")
        self.health_tab = HealthTab(core, account, detail)
        self.tabs.addTab(self.health_tab, "Health")
        self._list_tabs()
        self.versions_tab = VersionsTab(detail.versions)
        self.tabs.addTab(self.versions_tab, "Versions")
        self.mask_tab = MaskTab(core, account, detail)
        self.tabs.addTab(self.mask_tab, "Data mask")
        close = QPushButton("Close")
        close.setDefault(True)
        close.clicked.connect(self.accept)
        box = QVBoxLayout(self)
        box.setContentsMargins(20, 16, 20, 16)
        box.addWidget(self._heading())
        box.addWidget(self.tabs, 1)
        box.addLayout(button_row(close, stretch_at=0))

    def _list_tabs(self) -> None:
        """Properties, Config attributes, Notes (with its line edit) and Locations."""
        detail = self.detail
        self.properties_list = self._list("deviceProperties")
        self.attributes_list = self._list("deviceAttributes")
        self.notes_list = self._list("deviceNotes")
        self.locations_list = self._list("deviceLocations")
        self.properties_note = self._fill(self.properties_list, detail.properties, property_line,
                                          "This device has no properties.")
        self.attributes_note = self._fill(self.attributes_list, detail.attributes, attribute_line,
                                          "This device has no configuration attributes.")
        self.notes_note = self._fill(self.notes_list, detail.notes, note_line, "No notes on this device yet.")
        self.locations_note = self._fill(self.locations_list, detail.locations, location_line,
                                         "No locations recorded for this device.")
        self.tabs.addTab(self._list_page(self.properties_list, self.properties_note), "Properties")
        self.tabs.addTab(self._list_page(self.attributes_list, self.attributes_note), "Config attributes")
        self.tabs.addTab(self._notes_page(), "Notes")
        self.tabs.addTab(self._list_page(self.locations_list, self.locations_note), "Locations")

    def _heading(self) -> QLabel:
        device, alert = self.detail.device, self.detail.status.alert
        colour = HEALTH_COLOURS.get(alert, "#1b1f24")
        heading = QLabel(f"{device.label}  <span style='color:{colour}'>● {HEALTH_LABELS.get(alert, alert)}</span>")
        set_role(heading, "title")
        return heading

    def _streams_page(self) -> QWidget:
        if not self.detail.streams:
            empty = WrapLabel("This device has no streams yet. Streams appear when it is claimed into a project "
                              "whose sensor graph defines them, or when its first data arrives.")
            set_role(empty, "empty")
            return _page(empty)
        table = table_view("deviceStreams")
        table.setModel(self.streams_model)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(12, 12, 12, 12)
        box.addWidget(table)
        return page

    @staticmethod
    def _list(name: str) -> QListWidget:
        widget = QListWidget()
        widget.setObjectName(name)
        widget.setAlternatingRowColors(True)
        widget.setWordWrap(True)
        return widget

    @staticmethod
    def _fill(widget: QListWidget, tab: TabRows[R], line: Callable[[R], str], empty: str,
              note: QLabel | None = None) -> QLabel:
        """Put the rows in the list; the label under it says why it is empty, or that it is cut short."""
        widget.clear()
        widget.addItems([line(row) for row in tab.rows])
        if tab.refused:
            text = tab.refused
        elif not tab.rows:
            text = empty
        elif tab.count > len(tab.rows):
            text = f"Showing the first {len(tab.rows):,} of {tab.count:,}."
        else:
            text = ""
        label = note or WrapLabel("")
        label.setText(text)
        label.setVisible(bool(text))
        widget.setVisible(bool(tab.rows))
        set_role(label, "empty")
        return label

    @staticmethod
    def _list_page(widget: QListWidget, note: QLabel, *extra: QWidget) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(12, 12, 12, 12)
        box.addWidget(note)
        box.addWidget(widget, 1)
        for item in extra:
            box.addWidget(item)
        return page

    def _notes_page(self) -> QWidget:
        self.note_edit = QLineEdit()
        self.note_edit.setObjectName("noteText")
        self.note_edit.setPlaceholderText("Write a note about this device")
        self.note_edit.setMaxLength(MAX_NOTE_LENGTH)
        self.note_edit.returnPressed.connect(self.add_note)
        self.note_button = QPushButton("Add a note…")
        self.note_button.setObjectName("addNote")
        self.note_button.setToolTip("Post the text on the left as a note by you, timed now")
        self.note_button.clicked.connect(self.add_note)
        self.note_edit.textChanged.connect(self._note_changed)
        self._note_changed()
        holder = QWidget()
        row = button_row(self.note_edit, self.note_button)
        row.setStretch(0, 1)
        row.setContentsMargins(0, 0, 0, 0)
        holder.setLayout(row)
        return self._list_page(self.notes_list, self.notes_note, holder)

    def _note_changed(self) -> None:
        self.note_button.setEnabled(bool(self.note_edit.text().strip()) and self.note_edit.isEnabled())

    def add_note(self) -> None:
        text = self.note_edit.text().strip()
        if not text:
            return

        def added(notes: TabRows[NoteRecord]) -> None:
            self.note_edit.setEnabled(True)
            self.note_edit.clear()
            self._fill(self.notes_list, notes, note_line, "No notes on this device yet.", self.notes_note)
            if notes.rows:
                self.notes_list.scrollToBottom()

        def failed(error: BaseException) -> None:
            self.note_edit.setEnabled(True)
            self._note_changed()
            show_error(self, error)

        self.note_edit.setEnabled(False)
        self.note_button.setEnabled(False)
        self.core.op(self, note_adder(self.account, self.detail.device.id, text)).with_progress(
            "Adding the note…").success(added).failure(failed).run()

    def tab_titles(self) -> list[str]:
        return [self.tabs.tabText(i) for i in range(self.tabs.count())]


def show_device_detail(core: CoreThread, parent: QWidget | None, account: AccountRecord,
                       slug: str) -> None:
    """Read the device, then open its dialog (non-modal: several devices can be compared)."""
    def open_dialog(detail: DeviceDetail) -> None:
        dialog = DeviceDetailDialog(core, detail, account, parent)
        keep_open(dialog)
        dialog.show()
        dialog.raise_()

    core.op(parent, detail_reader(account, slug)).with_progress(f"Reading {slug}…").success(open_dialog).run()
