"""The status strip at the bottom of every screen: is the appliance reachable, busy, out of space?

Cells are a table (caption, how to render a snapshot) so a new figure is one row. A figure the core
cannot count yet shows "—" with a tooltip saying so; a figure that could not be refreshed keeps its
last value, greyed by the "stale" property, rather than being blanked or guessed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from gui.operations.status import StatusSnapshot
from gui.qt import QFrame, QGuiApplication, QHBoxLayout, QLabel, QVBoxLayout, QWidget
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
DASH = "—"
LOW_DISK_FRACTION = 0.10
LOW_DISK_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class Rendered:
    text: str
    tooltip: str = ""
    warn: bool = False


@dataclass(frozen=True, kw_only=True)
class Cell:
    key: str
    caption: str
    render: Callable[[StatusSnapshot], Rendered]
    stretch: int = 0


def human_bytes(count: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if count < 1024 or unit == "TB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TB"


def _count(value: int | None, what: str, tip: str = "") -> Rendered:
    if value is None:
        return Rendered(DASH, f"{what}: not counted. Counts need a signed-in account allowed to read the "
                              "data, and stop past a few hundred projects or a few thousand devices.")
    return Rendered(f"{value:,}", f"{what}{tip}" if tip else "")


def _addresses(s: StatusSnapshot) -> Rendered:
    if not s.serving:
        return Rendered("Not serving", "The HTTP server is not running: devices cannot upload.", warn=True)
    shown = "   ".join(u.removeprefix("http://") for u in s.urls[:2]) + ("   …" if len(s.urls) > 2 else "")
    tip = "Devices and gateways upload to:\n" + "\n".join(s.urls)
    if s.local_only:
        tip += "\n\nOnly this computer can reach this address. To let devices on the network upload, " \
               "set Server → Host to 0.0.0.0 in Settings."
    return Rendered(shown, tip, warn=s.local_only)


def _disk(s: StatusSnapshot) -> Rendered:
    low = s.disk_free < LOW_DISK_BYTES or (s.disk_total and s.disk_free / s.disk_total < LOW_DISK_FRACTION)
    share = f" ({100 * s.disk_free / s.disk_total:.0f}%)" if s.disk_total else ""
    tip = f"Free space on the disk of the data directory: {human_bytes(s.disk_free)} of {human_bytes(s.disk_total)}"
    return Rendered(f"{human_bytes(s.disk_free)}{share}", tip + (". Running low: free some space." if low else ""),
                    warn=bool(low))


def _jobs(s: StatusSnapshot) -> Rendered:
    text = f"{s.running_jobs} running" + (f", {s.queued_jobs} waiting" if s.queued_jobs else "")
    return Rendered(text, "Background jobs (see the Jobs screen)")


CELLS: tuple[Cell, ...] = (
    Cell(key="addresses", caption="Upload address", render=_addresses, stretch=3),
    Cell(key="uploads", caption="Uploads, last minute",
         render=lambda s: _count(s.uploads_last_minute, "Uploads in the last minute")),
    Cell(key="readings", caption="Readings today",
         render=lambda s: _count(s.readings_today, "Readings today",
                                 ": readings timed since midnight in the projects you can see")),
    Cell(key="failing", caption="Devices failing",
         render=lambda s: _count(s.failing_devices, "Devices failing their health check",
                                 ": no upload within their health check period (see Devices)")),
    Cell(key="disk", caption="Disk free", render=_disk),
    Cell(key="jobs", caption="Jobs", render=_jobs),
)


class StatusBar(QFrame):
    """Shows StatusSnapshots; it reads nothing itself (the StatusPoller does)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 8)
        layout.setSpacing(28)
        self.values: dict[str, QLabel] = {}
        for cell in CELLS:
            layout.addLayout(self._cell(cell), cell.stretch)
        self.snapshot: StatusSnapshot | None = None

    def _cell(self, cell: Cell) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(0)
        caption = QLabel(cell.caption)
        set_role(caption, "caption")
        value = QLabel(DASH if cell.key != "addresses" else "Starting…")
        value.setObjectName(f"status_{cell.key}")
        set_role(value, "value")
        value.setToolTip(cell.caption)
        box.addWidget(caption)
        box.addWidget(value)
        self.values[cell.key] = value
        return box

    def show_snapshot(self, snapshot: StatusSnapshot) -> None:
        self.snapshot = snapshot
        for cell in CELLS:
            rendered = cell.render(snapshot)
            label = self.values[cell.key]
            label.setText(rendered.text)
            label.setToolTip(rendered.tooltip or cell.caption)
            set_role(label, "warn" if rendered.warn else "", name="level")
            set_role(label, "false", name="stale")

    def show_not_running(self) -> None:
        label = self.values["addresses"]
        label.setText("Not running")
        label.setToolTip("The appliance is not running: devices cannot upload.")
        set_role(label, "warn", name="level")

    def mark_stale(self) -> None:
        """The last read failed: keep the figures, grey them, and say so."""
        for label in self.values.values():
            set_role(label, "true", name="stale")
            label.setToolTip("Could not be refreshed; this is the last known value.")

    def text_of(self, key: str) -> str:
        return self.values[key].text()

    def copy_addresses(self) -> None:
        if self.snapshot is not None and self.snapshot.urls:
            QGuiApplication.clipboard().setText("\n".join(self.snapshot.urls))
