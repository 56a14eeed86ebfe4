"""The catalogue: var types and units, device templates and components, sensor graphs."""

from __future__ import annotations

from storage.metadata import MetadataStore


class Catalogue:
    def __init__(self, store: MetadataStore) -> None:
        self._store = store
