"""``show_maintenance``: open the dialog of one device operation (unclaim, reset, trim, move, archive).

The device's facts (its readings, data range, the projects it may move to) are read first, so
the dialog opens complete; the caller gets the dialog to follow its job (``job_did_start``) and
to refresh when it ends (``job_did_finish``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from appliance.services.accounts import AccountRecord
from gui.bridge import CoreThread
from gui.dialogs.maintenance_base import MaintenanceDialog, keep_open
from gui.dialogs.maintenance_data import ResetDialog, TrimDialog
from gui.dialogs.maintenance_device import ArchiveDialog, MoveDialog, UnclaimDialog
from gui.operations.maintenance import DeviceFacts, facts_reader
from gui.qt import Qt, QWidget

LOGGER = logging.getLogger(__name__)
DIALOGS: dict[str, type[MaintenanceDialog]] = {
    cls.key: cls for cls in (UnclaimDialog, ResetDialog, TrimDialog, MoveDialog, ArchiveDialog)}


def show_maintenance(core: CoreThread, parent: QWidget | None, account: AccountRecord, slug: str, key: str,
                     on_open: Callable[[MaintenanceDialog], None] | None = None) -> None:
    """Read the device, then open the ``key`` dialog window-modal (never blocking the Qt thread)."""
    def open_dialog(facts: DeviceFacts) -> None:
        dialog = DIALOGS[key](core, account, facts, parent)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        keep_open(dialog)
        if on_open is not None:
            on_open(dialog)
        dialog.show()
        dialog.raise_()

    core.op(parent, facts_reader(account, slug)).with_progress(f"Reading {slug}…").success(open_dialog).run()
