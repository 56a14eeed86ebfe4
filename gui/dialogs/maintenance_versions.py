"""The device detail's Versions tab: the OS (5c08) and app (5c09) versions the device reported, with
their tags, the history of changes, and the OTA deployments that still apply to it.

Read-only. Versions come from ingest (the latest 5c08/5c09 reading of each upload); a deployment
applies while it is released, targets the device's fleet or whole organization, its criteria hold
for the device's versions and the device has not confirmed it.
"""

from __future__ import annotations

import logging

from appliance.services.ota_records import VersionRecord
from appliance.slugs import FleetSlug
from gui.layout import WrapLabel
from gui.models.jobs import local_time
from gui.operations.device_detail import Deployment, Versions
from gui.qt import QLabel, QListWidget, QVBoxLayout, QWidget
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
KINDS = {"os": "Operating system (5c08)", "sg": "Application (5c09)"}
NO_VERSIONS = ("No version reported yet. A device reports its OS and application versions in its 5c08 and 5c09 "
               "streams; they appear here after its next upload.")


def version_text(v: VersionRecord) -> str:
    return f"tag {v.tag}, version {v.major}.{v.minor}"


def history_line(v: VersionRecord) -> str:
    reading = f"   (reading {v.streamer_local_id:,})" if v.streamer_local_id is not None else ""
    return f"{local_time(v.updated_ts)}  {KINDS.get(v.type, v.type)}: {version_text(v)}{reading}"


def deployment_line(d: Deployment) -> str:
    r = d.request
    scope = f"fleet {FleetSlug(r.fleet_id).slug}" if r.fleet_id is not None else "the whole organization"
    criteria = f"; when {', '.join(r.selection_criteria)}" if r.selection_criteria else ""
    released = f"released {local_time(r.released_on)}" if r.released_on else "not released"
    return f"{d.script} — deployment {r.id}, {released}, for {scope}{criteria}"


def _list(name: str, lines: list[str]) -> QListWidget:
    widget = QListWidget()
    widget.setObjectName(name)
    widget.setAlternatingRowColors(True)
    widget.setWordWrap(True)
    widget.addItems(lines)
    widget.setMinimumHeight(120)
    return widget


def _section(text: str) -> QLabel:
    label = QLabel(text)
    set_role(label, "section")
    return label


class VersionsTab(QWidget):
    def __init__(self, versions: Versions, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("versionsTab")
        self.versions = versions
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 8, 18, 16)
        box.setSpacing(8)
        if versions.refused:
            box.addWidget(self._refused(versions.refused))
            box.addStretch(1)
            return
        self.current = {v.type: v for v in versions.current}
        self.current_labels: dict[str, QLabel] = {}
        box.addWidget(_section("Now"))
        for kind, title in KINDS.items():
            self.current_labels[kind] = self._current(kind, title)
            box.addWidget(self.current_labels[kind])
        if not versions.current:
            empty = WrapLabel(NO_VERSIONS)
            set_role(empty, "help")
            box.addWidget(empty)
        box.addWidget(_section("Deployments that apply"))
        self.deployments = _list("versionDeployments", [deployment_line(d) for d in versions.deployments])
        box.addWidget(self.deployments if versions.deployments else self._none("No OTA deployment is waiting for "
                                                                               "this device."))
        box.addWidget(_section(f"History ({len(versions.history)})"))
        self.history = _list("versionHistory", [history_line(v) for v in versions.history])
        box.addWidget(self.history if versions.history else self._none("No version change recorded."), 1)

    def _current(self, kind: str, title: str) -> QLabel:
        found = self.current.get(kind)
        since = f"   <span style='color:#4a5561'>since {local_time(found.updated_ts)}</span>" if found else ""
        label = QLabel(f"<b>{title}:</b> {version_text(found) if found else '—'}{since}")
        label.setObjectName(f"version_{kind}")
        return label

    @staticmethod
    def _refused(text: str) -> QLabel:
        note = WrapLabel(text)
        note.setObjectName("versionsRefused")
        set_role(note, "empty")
        return note

    @staticmethod
    def _none(text: str) -> QLabel:
        label = WrapLabel(text)
        set_role(label, "help")
        return label
