"""The project list as a lazy table, paged from the project service."""

from __future__ import annotations

import logging

from appliance.services.accounts import AccountRecord
from gui.bridge import CoreThread
from gui.models.jobs import local_time
from gui.models.paged import Column, PagedModel
from gui.operations.projects import ProjectRow, project_pager
from gui.qt import QObject

LOGGER = logging.getLogger(__name__)

COLUMNS: tuple[Column[ProjectRow], ...] = (
    Column(key="name", title="Project", value_fn=lambda r: r.project.name,
           tooltip_fn=lambda r: r.project.about or None),
    Column(key="org", title="Organization", value_fn=lambda r: r.org_name),
    Column(key="devices", title="Devices", value_fn=lambda r: f"{r.devices:,}", right=True),
    Column(key="slug", title="ID", value_fn=lambda r: r.project.slug),
    Column(key="created", title="Created", value_fn=lambda r: local_time(r.project.created_on)),
)


class ProjectsModel(PagedModel[ProjectRow]):
    def __init__(self, core: CoreThread, account: AccountRecord, parent: QObject | None = None) -> None:
        super().__init__(core, COLUMNS, key_fn=lambda row: row.project.gid, parent=parent)
        self._account = account
        self.text = ""

    def set_text(self, text: str) -> None:
        self.text = text
        account = self._account
        self.set_loader(lambda offset, want: project_pager(account, text, offset, want))
