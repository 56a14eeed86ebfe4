"""Projects (gid = next free) and project templates."""

from __future__ import annotations

from storage.metadata import MetadataStore


class Projects:
    def __init__(self, store: MetadataStore) -> None:
        self._store = store
