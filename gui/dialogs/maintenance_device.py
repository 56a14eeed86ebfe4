"""Unclaim, Move and Archive: the operations that change where a device (and its data) belongs.

Unclaim takes the device out of its project (optionally deleting its streams and readings); Move
puts it in another project of the same organization (its data along, or left behind); Archive
moves its data into a new data block, readable on the Data blocks screen, and frees the device.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from appliance.jobs.records import JobRecord
from appliance.services.devices_claim import default_label
from gui.dialogs.maintenance_base import MaintenanceDialog, Section, count
from gui.layout import WrapLabel
from gui.operations import Op
from gui.operations.maintenance import archive_starter, move_starter, unclaim_starter
from gui.qt import QCheckBox, QComboBox, QFormLayout, QLineEdit, QPlainTextEdit
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
TITLE_MAX = 100
LABEL_MAX = 100


class UnclaimDialog(MaintenanceDialog):
    key = "unclaim"
    title = "Unclaim"
    intro = ("Unclaim takes the device out of its project. It can then be claimed again, into this project "
             "or another one.")
    verb = "&Unclaim the device"
    doing = "Unclaiming"

    def build(self, form: QFormLayout) -> None:
        self.label_edit = QLineEdit()
        self.label_edit.setObjectName("unclaimLabel")
        self.label_edit.setMaxLength(LABEL_MAX)
        self.label_edit.setPlaceholderText(default_label(None, self.device.id))
        self.label_edit.setToolTip("The device's label once unclaimed; empty gives it the default label")
        self.clean = QCheckBox("Also delete its streams and all their readings")
        self.clean.setObjectName("unclaimClean")
        form.addRow("New label", self.label_edit)
        form.addRow(self.clean)

    def sections(self) -> list[Section]:
        deleted = ["Its properties, notes, locations and streamer reports"]
        label = self.label_edit.text().strip() or default_label(None, self.device.id)
        kept = [f"The device itself, labelled “{label}”"]
        if self.clean.isChecked():
            deleted.append(f"Its streams and all {count(self.facts.readings, 'reading')} and events")
        else:
            kept.append(f"Its {count(self.facts.readings, 'reading')}: they come back if it is claimed into "
                        f"{self.facts.project_name or 'the same project'} again")
        return [Section("This deletes, for good:", tuple(deleted)), Section("This keeps:", tuple(kept))]

    def starter(self) -> Op[str]:
        return unclaim_starter(self.account, self.device.slug, label=self.label_edit.text(),
                               clean_streams=self.clean.isChecked())

    def summary(self, job: JobRecord) -> str:
        deleted = (job.result or {}).get("streams_deleted", 0)
        return "Unclaimed: the device can be claimed again" + (f"; {deleted} stream(s) deleted." if deleted else ".")


class MoveDialog(MaintenanceDialog):
    key = "move"
    title = "Move to project"
    intro = "Move the device to another project of its organization."
    verb = "&Move the device"
    doing = "Moving"

    def build(self, form: QFormLayout) -> None:
        self.project = QComboBox()
        self.project.setObjectName("moveProject")
        self.project.setMinimumSize(320, 40)
        for project in self.facts.move_targets:
            self.project.addItem(project.name)
        self.move_data = QCheckBox("Move its streams and readings along")
        self.move_data.setObjectName("moveData")
        self.move_data.setChecked(True)
        self.move_data.setToolTip("Unticked, its data stays with the old project and it starts with new streams")
        here = WrapLabel(f"It is in {self.facts.project_name or 'a project'} now.")
        set_role(here, "help")
        form.addRow(here)
        form.addRow("New project", self.project)
        form.addRow(self.move_data)

    def problem(self) -> str | None:
        if not self.facts.move_targets:
            return ("There is no other project in this organization that you may move it to. Create one on the "
                    "Projects screen first.")
        return None

    def sections(self) -> list[Section]:
        target = self.facts.move_targets[self.project.currentIndex()].name
        old = self.facts.project_name or "its project"
        changes = [f"The device leaves {old} for {target}"]
        if self.move_data.isChecked():
            changes.append(f"Its streams, {count(self.facts.readings, 'reading')}, events and stream notes move along")
        else:
            changes.append(f"Its {count(self.facts.readings, 'reading')} stay with {old}; it gets new streams in "
                           f"{target}")
        return [Section("This changes:", tuple(changes)), Section("Nothing is deleted.", ())]

    def starter(self) -> Op[str]:
        project = self.facts.move_targets[self.project.currentIndex()]
        return move_starter(self.account, self.device.slug, project.slug, move_data=self.move_data.isChecked())

    def summary(self, job: JobRecord) -> str:
        result = job.result or {}
        target = next((p.name for p in self.facts.move_targets if p.slug == result.get("dst")), result.get("dst"))
        return f"Moved to {target}: {count(result.get('data_moved', 0), 'reading')} moved along."


class ArchiveDialog(MaintenanceDialog):
    key = "archive"
    title = "Archive"
    intro = ("Archive moves the device's readings, events, streams, properties, notes and locations into a new "
             "data block. The block stays readable on the Data blocks screen; the device is free to record "
             "again, without its old data.")
    verb = "&Archive the device"
    doing = "Archiving"

    def build(self, form: QFormLayout) -> None:
        today = datetime.now(timezone.utc).astimezone().strftime("%Y-%m-%d")
        self.title_edit = QLineEdit(f"{self.device.label or self.device.slug} – {today}")
        self.title_edit.setObjectName("archiveTitle")
        self.title_edit.setMaxLength(TITLE_MAX)
        self.description = QPlainTextEdit()
        self.description.setObjectName("archiveDescription")
        self.description.setPlaceholderText("What this data is: a batch, a test run, a customer…")
        self.description.setTabChangesFocus(True)  # Tab moves on, as in every other field
        self.description.setFixedHeight(96)
        self.unclaim = QCheckBox("Unclaim it afterwards, so it can be claimed into another project")
        self.unclaim.setObjectName("archiveUnclaim")
        form.addRow("Title", self.title_edit)
        form.addRow("Description", self.description)
        form.addRow(self.unclaim)

    def problem(self) -> str | None:
        return None if self.title_edit.text().strip() else "Type a title for the data block."

    def sections(self) -> list[Section]:
        moved = [f"Its {count(self.facts.readings, 'reading')} and events, its streams, properties, notes and "
                 f"locations go into the data block “{self.title_edit.text().strip()}”"]
        after = ("The device is unclaimed: it can be claimed into any project" if self.unclaim.isChecked() else
                 f"The device stays in {self.facts.project_name or 'its project'}, with no data, ready to record")
        return [Section("This moves:", tuple(moved)), Section("Afterwards:", (after,)),
                Section("Nothing is deleted: the block keeps the data.", ())]

    def starter(self) -> Op[str]:
        return archive_starter(self.account, self.device.slug, title=self.title_edit.text(),
                               description=self.description.toPlainText(), unclaim=self.unclaim.isChecked())

    def summary(self, job: JobRecord) -> str:
        result = job.result or {}
        return (f"Archived {count(result.get('readings', 0), 'reading')} into data block {result.get('block', '')}; "
                "open it on the Data blocks screen.")
