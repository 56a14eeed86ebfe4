"""Invitations to an org: link accepted through the API, e-mailed when SMTP is configured."""

from __future__ import annotations

from storage.metadata import MetadataStore


class Invitations:
    def __init__(self, store: MetadataStore) -> None:
        self._store = store
