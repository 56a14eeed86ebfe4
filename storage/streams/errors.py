"""Errors of the stream store.

Storage must not import ``appliance``; the appliance maps ``StreamStoreError`` to its own
``StorageError`` at the service boundary. Bad input is a ``ValueError`` instead, raised in the
caller's thread before anything is queued, so the API can answer 400 without touching the writer.
"""

from __future__ import annotations


class StreamStoreError(RuntimeError):
    """DuckDB failed, or the store was used while closed; the message says which."""
