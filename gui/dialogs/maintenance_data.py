"""Reset and Trim: the two operations that delete a device's readings and keep the device.

Reset deletes every reading and event of the device (and, as chosen, its properties, notes and
locations); a full reset also forgets its streamers, so its next upload is taken from the start.
Trim deletes the readings before and after a range, keeping the streams iotile.cloud always keeps
(reboots, OS and app versions, trips); the dialog shows the device's data range and, before
asking, counts what each side would lose.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from appliance.jobs.records import JobRecord
from gui.dialogs.maintenance_base import (
    MaintenanceDialog,
    OptionalMoment,
    Section,
    align,
    ceil_second,
    count,
)
from gui.layout import WrapLabel
from gui.models.jobs import local_time
from gui.operations import Op
from gui.operations.maintenance import TrimPreview, reset_starter, trim_previewer, trim_starter
from gui.qt import QCheckBox, QFormLayout
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
SYSTEM_STREAMS = "its system streams (reboots, OS and app versions, trips), which a trim always keeps"


class ResetDialog(MaintenanceDialog):
    key = "reset"
    title = "Reset"
    intro = ("Reset deletes the device's readings and events so it can start again clean. The device stays "
             "claimed in its project with its streams.")
    verb = "&Reset the device"
    doing = "Resetting"

    def build(self, form: QFormLayout) -> None:
        self.full = QCheckBox("Full reset")
        self.full.setObjectName("resetFull")
        self.full.setChecked(True)
        full_help = WrapLabel("Also forgets its streamers, so its next upload is taken from the start. Untick it "
                              "to refuse readings it already uploaded.")
        set_role(full_help, "help")
        self.keep_properties = QCheckBox("Keep its properties")
        self.keep_properties.setObjectName("resetKeepProperties")
        self.keep_properties.setChecked(True)
        self.keep_notes = QCheckBox("Keep its notes and locations")
        self.keep_notes.setObjectName("resetKeepNotes")
        self.keep_notes.setChecked(True)
        for row in (self.full, full_help, self.keep_properties, self.keep_notes):
            form.addRow(row)
        facts = WrapLabel(f"{self.device.label or self.device.slug} holds {count(self.facts.readings, 'reading')} "
                          f"in {self.facts.project_name or 'its project'}.")
        set_role(facts, "help")
        form.addRow(facts)

    def sections(self) -> list[Section]:
        deleted = [f"All {count(self.facts.readings, 'reading')} and the events of its streams, and its data mask",
                   "Its streamer reports"]
        kept = ["The device, its project and its streams"]
        if self.full.isChecked():
            deleted.append("What the appliance remembers of its streamers: its next upload is taken from the start")
        else:
            kept.append("Its streamers' positions: readings it already uploaded are not accepted again")
        (kept if self.keep_properties.isChecked() else deleted).append("Its properties (system properties stay)")
        (kept if self.keep_notes.isChecked() else deleted).append("Its notes (and its streams' notes) and locations")
        return [Section("This deletes, for good:", tuple(deleted)), Section("This keeps:", tuple(kept))]

    def starter(self) -> Op[str]:
        return reset_starter(self.account, self.device.slug, full=self.full.isChecked(),
                             keep_properties=self.keep_properties.isChecked(),
                             keep_notes_and_locations=self.keep_notes.isChecked())

    def summary(self, job: JobRecord) -> str:
        result = job.result or {}
        return (f"Reset finished: {count(result.get('data_deleted', 0), 'reading')} and "
                f"{count(result.get('events_deleted', 0), 'event')} deleted.")


class TrimDialog(MaintenanceDialog):
    key = "trim"
    title = "Trim"
    intro = ("Trim deletes the device's readings and events before and after the time range you choose "
             "(times are this computer's local time). " + SYSTEM_STREAMS[0].upper() + SYSTEM_STREAMS[1:] + ".")
    verb = "&Trim the data"
    doing = "Trimming"

    def build(self, form: QFormLayout) -> None:
        span = self.facts.trim_range
        now = datetime.now(timezone.utc)
        first, last = (span.first, ceil_second(span.last)) if span is not None else (now, now)
        self.start_edit = OptionalMoment("trimStart", "Delete readings before", first)
        self.end_edit = OptionalMoment("trimEnd", "Delete readings after", last)
        self.range_label = WrapLabel(self._range_text())
        self.range_label.setObjectName("trimRange")  # plain text, not muted: the operator chooses from it
        form.addRow(self.range_label)
        align(self.start_edit, self.end_edit)
        form.addRow(self.start_edit)
        form.addRow(self.end_edit)
        self.preview: TrimPreview | None = None

    def _range_text(self) -> str:
        span = self.facts.trim_range
        if span is None:
            return ("This device has no readings to trim." if self.facts.readings is not None else
                    "Your role may not read this device's data, so its range cannot be shown.")
        return (f"Its data runs from {local_time(span.first)} to {local_time(span.last)} "
                f"({count(span.readings, 'reading')}, without its system streams).")

    def problem(self) -> str | None:
        start, end = self.start_edit.value(), self.end_edit.value()
        if start is None and end is None:
            return "Tick at least one side: readings before a time, after a time, or both."
        if start is not None and end is not None and start > end:
            return "The start is after the end. Choose a start before the end."
        return None

    def prepare(self, done: Callable[[str | None], None]) -> None:
        def counted(preview: TrimPreview) -> None:
            self.preview = preview
            if not preview.before and not preview.after:
                done("No reading lies outside this range: nothing would be deleted. Go back and choose another.")
            elif not preview.kept:
                done("The range holds none of the device's readings: trimming would delete all of them. "
                     "Use Reset to delete everything.")
            else:
                done(None)

        def failed(error: BaseException) -> None:
            self.preview = None
            done(None)  # counts are a courtesy: the service still judges the range
            LOGGER.info("trim preview not counted: %s", error)

        op = trim_previewer(self.account, self.device.slug, self.start_edit.value(), self.end_edit.value())
        self.core.op(self, op).with_progress("Counting the readings…").success(counted).failure(failed).run()

    def sections(self) -> list[Section]:
        start, end, p = self.start_edit.value(), self.end_edit.value(), self.preview
        deleted, kept = [], [SYSTEM_STREAMS[0].upper() + SYSTEM_STREAMS[1:]]
        if start is not None:
            deleted.append(f"{count(p.before if p else None, 'reading')} (and the events) before {local_time(start)}")
        if end is not None:
            deleted.append(f"{count(p.after if p else None, 'reading')} (and the events) after {local_time(end)}")
        kept.insert(0, f"{count(p.kept if p else None, 'reading')} from {local_time(start) if start else 'the first'}"
                       f" to {local_time(end) if end else 'the last'}")
        return [Section("This deletes, for good:", tuple(deleted)), Section("This keeps:", tuple(kept))]

    def starter(self) -> Op[str]:
        return trim_starter(self.account, self.device.slug, self.start_edit.value(), self.end_edit.value())

    def summary(self, job: JobRecord) -> str:
        result = job.result or {}
        return (f"Trim finished: {count(result.get('data_deleted', 0), 'reading')} and "
                f"{count(result.get('events_deleted', 0), 'event')} deleted.")
