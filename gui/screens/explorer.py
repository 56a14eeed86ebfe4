"""Data explorer: plot one or several streams of a device, read them as a table, export to CSV.

Choose a device and tick its streams; the presets show the last hour, day or week, or everything.
Zoom with the mouse wheel, pan by dragging (right-drag or the A button of the plot resets); the
read-out under the plot follows the mouse. Whatever the plot shows is what is read (SeriesFeed),
what the Table tab lists (a lazy model, oldest first) and what "Export CSV" writes. With a preset
on, new uploads of the device move the view along; after a zoom or pan it stays where it is.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from appliance.events import Changes
from appliance.ingest.pipeline import ReportUploaded
from appliance.services.devices_records import DeviceRecord
from gui.dialogs.export_csv import ExportDialog, show_export_csv
from gui.errors import describe
from gui.layout import WrapLabel, button_row, table_view
from gui.models.readings import ReadingsModel
from gui.models.series_feed import Loaded, SeriesFeed
from gui.operations.devices import device_choices
from gui.operations.export import ExportRequest
from gui.operations.series import StreamChoice, extent_reader, stream_lister
from gui.qt import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QKeySequence,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QShortcut,
    Qt,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from gui.screens.base import Screen, ScreenContext
from gui.theme import set_role
from gui.widgets.stream_plot import StreamPlot

LOGGER = logging.getLogger(__name__)
PRESETS: tuple[tuple[str, float | None], ...] = (
    ("Last &hour", 3600.0), ("Last &day", 86_400.0), ("Last &week", 7 * 86_400.0), ("&All", None),
)
ALL = len(PRESETS) - 1
CHECKED = Qt.CheckState.Checked
SLUG_ROLE = Qt.ItemDataRole.UserRole + 1


def all_range(first: float, last: float) -> tuple[float, float]:
    pad = max((last - first) * 0.02, 60.0)
    return first - pad, last + pad


def summary(loaded: Loaded, names: dict[str, str]) -> str:
    """One line under the plot: how many readings, and which streams are drawn as per-pixel extremes."""
    readings = sum(s.readings for s in loaded.series)
    if readings == 0:
        return "No readings in this range. Try All, or another stream."
    bucketed = [s for s in loaded.series if not s.complete]
    if not bucketed:
        return f"{readings:,} reading(s) drawn from {len(loaded.series)} stream(s)."
    points = sum(s.t.size for s in bucketed)
    which = ", ".join(names.get(s.slug, s.slug) for s in bucketed)
    return (f"{readings:,} readings from {len(loaded.series)} stream(s). {which}: more readings than pixels, "
            f"so each pixel column shows its lowest and highest reading ({points:,} points). "
            "Zoom in to see every reading.")


class ExplorerScreen(Screen):
    key = "explorer"
    title = "Data explorer"
    subtitle = "Plot a device's streams. Wheel to zoom, drag to pan; the line under the plot reads the values."

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._devices: list[DeviceRecord] = []
        self.device: DeviceRecord | None = None
        self._pending_device: int | None = None
        self.streams: list[StreamChoice] = []
        self.preset: int | None = ALL
        self.plot = StreamPlot()
        self.feed = SeriesFeed(ctx.core, ctx.session.account, self.plot, self)
        self.readings = ReadingsModel(ctx.core, ctx.session.account, self)
        self._build_controls()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("explorerTabs")
        self.tabs.addTab(self.plot, "Plot")
        self.tabs.addTab(self._table_page(), "Table")
        self.note = WrapLabel("")
        self.note.setObjectName("explorerNote")
        set_role(self.note, "help")
        self.layout_.addLayout(self._top_rows())
        self.layout_.addLayout(self._body(), 1)
        self.layout_.addWidget(self.note)
        self._connect()

    # -- building ---------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.device_choice = QComboBox()
        self.device_choice.setObjectName("explorerDevice")
        self.device_choice.setEditable(True)
        self.device_choice.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.device_choice.setMinimumSize(420, 40)
        completer = self.device_choice.completer()
        if completer is not None:  # type to find a device by label or serial, anywhere in the text
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.preset_group = QButtonGroup(self)
        self.preset_buttons: list[QPushButton] = []
        for index, (label, _span) in enumerate(PRESETS):
            button = QPushButton(label)
            button.setObjectName(f"preset_{index}")
            button.setCheckable(True)
            self.preset_group.addButton(button, index)
            self.preset_buttons.append(button)
        self.preset_buttons[ALL].setChecked(True)
        self.export_button = QPushButton("Export CSV…")
        self.export_button.setObjectName("exportButton")
        self.export_button.setToolTip("Save the readings of the visible range to a CSV file (Ctrl+E)")
        self.stream_list = QListWidget()
        self.stream_list.setObjectName("explorerStreams")
        self.stream_list.setFixedWidth(280)

    def _top_rows(self) -> QVBoxLayout:
        rows = QVBoxLayout()
        rows.setSpacing(10)
        rows.addLayout(button_row(QLabel("Device:"), self.device_choice, self.export_button, stretch_at=2))
        rows.addLayout(button_row(QLabel("Show:"), *self.preset_buttons))
        return rows

    def _body(self) -> QHBoxLayout:
        left = QVBoxLayout()
        caption = QLabel("Streams")
        set_role(caption, "caption")
        left.addWidget(caption)
        left.addWidget(self.stream_list, 1)
        body = QHBoxLayout()
        body.setSpacing(14)
        body.addLayout(left)
        body.addWidget(self.tabs, 1)
        return body

    def _table_page(self) -> QWidget:
        self.table_stream = QComboBox()
        self.table_stream.setObjectName("tableStream")
        self.table_stream.setMinimumSize(300, 40)
        self.table_count = WrapLabel("")
        set_role(self.table_count, "help")
        self.table = table_view("readingsTable")
        self.table.setModel(self.readings)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(8, 8, 8, 8)
        box.addLayout(button_row(QLabel("Stream:"), self.table_stream))
        box.addWidget(self.table_count)
        box.addWidget(self.table, 1)
        return page

    def _connect(self) -> None:
        self.device_choice.currentIndexChanged.connect(self._device_chosen)  # a pick, or a typed name + Enter
        self.stream_list.itemChanged.connect(lambda _item: self._streams_changed())
        self.preset_group.idClicked.connect(self.apply_preset)
        self.export_button.clicked.connect(self.choose_export_file)
        self.feed.range_did_move.connect(lambda _a, _b: self._set_preset(None))
        self.feed.series_did_load.connect(self._did_load)
        self.feed.series_did_fail.connect(self._did_fail)
        self.tabs.currentChanged.connect(lambda _i: self.update_table())
        self.table_stream.currentIndexChanged.connect(lambda _i: self.update_table())
        self.readings.rows_did_load.connect(self._table_loaded)
        self.ctx.core.uploads_did_arrive.connect(self._on_uploads)
        self.ctx.core.changes_did_apply.connect(self._on_changes)
        shortcut = QShortcut(QKeySequence("Ctrl+E"), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.choose_export_file)

    # -- devices and streams ----------------------------------------------------------------------
    def _on_changes(self, changes: Changes) -> None:
        if changes.devices or changes.projects or changes.streams:
            self.mark_dirty()

    def refresh(self) -> None:
        self.ctx.core.op(self, device_choices(self.ctx.session.account)).success(self._show_devices).run()

    def _show_devices(self, devices: list[DeviceRecord]) -> None:
        self._devices = devices
        pending, self._pending_device = self._pending_device, None
        wanted = pending or (self.device.id if self.device else None)
        index = next((i for i, d in enumerate(devices) if d.id == wanted), 0 if devices else -1)
        self.device_choice.blockSignals(True)
        self.device_choice.clear()
        self.device_choice.addItems([f"{d.label or '(no label)'}   {d.slug}" for d in devices])
        self.device_choice.setCurrentIndex(index)
        self.device_choice.blockSignals(False)
        if index < 0:
            self.note.setText("No device is in a project yet. Claim one on the Devices screen.")
            return
        self._device_chosen(index)  # reads the device's streams again: they may have changed

    def open_with(self, target: object) -> None:
        if isinstance(target, DeviceRecord):
            self._pending_device = target.id
            if self._devices:
                self._show_devices(self._devices)

    def _device_chosen(self, index: int) -> None:
        if not 0 <= index < len(self._devices):
            return
        self.device = self._devices[index]
        self.ctx.core.op(self, stream_lister(self.ctx.session.account, self.device.slug)).success(
            self._show_streams).run()

    def _show_streams(self, streams: list[StreamChoice]) -> None:
        keep = {s.slug for s in self.checked_streams()} & {s.slug for s in streams}  # same device, read again
        self.streams = streams
        self.stream_list.blockSignals(True)
        self.stream_list.clear()
        for number, stream in enumerate(streams):
            item = QListWidgetItem(f"{stream.name}{'  [' + stream.units + ']' if stream.units else ''}")
            item.setData(SLUG_ROLE, stream.slug)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            chosen = stream.slug in keep if keep else number == 0
            item.setCheckState(CHECKED if chosen else Qt.CheckState.Unchecked)
            self.stream_list.addItem(item)
        self.stream_list.blockSignals(False)
        if not streams:
            self.note.setText("This device has no streams yet.")
        if [s.slug for s in self.checked_streams()] != [s.slug for s in self.feed.streams] or not streams:
            self._streams_changed()

    def checked_streams(self) -> list[StreamChoice]:
        checked = {self.stream_list.item(i).data(SLUG_ROLE) for i in range(self.stream_list.count())
                   if self.stream_list.item(i).checkState() == CHECKED}
        return [s for s in self.streams if s.slug in checked]

    def check_streams(self, slugs: set[str]) -> None:
        self.stream_list.blockSignals(True)
        for i in range(self.stream_list.count()):
            item = self.stream_list.item(i)
            item.setCheckState(CHECKED if item.data(SLUG_ROLE) in slugs else Qt.CheckState.Unchecked)
        self.stream_list.blockSignals(False)
        self._streams_changed()

    def _streams_changed(self) -> None:
        chosen = self.checked_streams()
        self.table_stream.blockSignals(True)
        self.table_stream.clear()
        self.table_stream.addItems([s.name for s in chosen])
        self.table_stream.blockSignals(False)
        self.export_button.setEnabled(bool(chosen))
        self.feed.set_streams(chosen, read=self.preset is None)
        if self.preset is not None:
            self.apply_preset(self.preset)

    # -- ranges -----------------------------------------------------------------------------------
    def apply_preset(self, index: int) -> None:
        self._set_preset(index)
        span = PRESETS[index][1]
        if span is not None:
            now = time.time()
            self.feed.show_range(now - span, now)
            return
        chosen = self.checked_streams()
        if chosen:
            self.ctx.core.op(self, extent_reader(self.ctx.session.account, chosen)).success(
                self._show_extent).failure(self._did_fail).run()

    def _show_extent(self, extent: tuple[float, float] | None) -> None:
        if self.preset != ALL:
            return
        if extent is None:
            now = time.time()
            self.feed.show_range(now - 86_400.0, now)
            return
        self.feed.show_range(*all_range(*extent))

    def _set_preset(self, index: int | None) -> None:
        self.preset = index
        self.preset_group.setExclusive(index is not None)
        for number, button in enumerate(self.preset_buttons):
            button.setChecked(number == index)

    def _on_uploads(self, batch: list[ReportUploaded]) -> None:
        if self.device is None or not any(event.device_id == self.device.id for event in batch):
            return
        if self.preset is not None:
            self.apply_preset(self.preset)
        else:
            self.feed.reload()

    def _did_load(self, loaded: Loaded) -> None:
        self.note.setText(summary(loaded, {s.slug: s.name for s in self.streams}))
        set_role(self.note, "help")
        self.update_table()

    def _did_fail(self, error: BaseException) -> None:
        text = describe(error)
        self.note.setText(f"The readings could not be read: {text.message} {text.todo}")
        set_role(self.note, "warn")

    # -- table and export -------------------------------------------------------------------------
    def update_table(self) -> None:
        if self.tabs.currentIndex() != 1:
            return
        chosen = self.checked_streams()
        index = self.table_stream.currentIndex()
        stream = chosen[index] if 0 <= index < len(chosen) else None
        start, end = self.plot.x_range()
        if stream != self.readings.stream or (start, end) != self.readings.window:
            self.readings.show_window(stream, start, end)

    def _table_loaded(self) -> None:
        more = "" if self.readings.exhausted else " (scroll for more)"
        self.table_count.setText(f"{self.readings.total:,} readings in the visible range{more}")

    def choose_export_file(self) -> None:
        if not self.checked_streams() or self.device is None:
            return
        default = Path.home() / f"{self.device.slug} {time.strftime('%Y-%m-%d %H%M')}.csv"
        path, _filter = QFileDialog.getSaveFileName(self, "Export the visible range to CSV", str(default),
                                                    "CSV files (*.csv)")
        if path:
            self.export_to(Path(path))

    def export_to(self, path: Path) -> ExportDialog:
        start, end = self.plot.x_range()
        request = ExportRequest(path, tuple(s.slug for s in self.checked_streams()), start, end)
        return show_export_csv(self.ctx.core, self, self.ctx.session.account, request)

