"""Stream variables (v--) and stream ids (s--): listing, editing, enabling, m/d/o and units."""

from __future__ import annotations

from storage.metadata import MetadataStore


class Streams:
    def __init__(self, store: MetadataStore) -> None:
        self._store = store
