"""What the sub-commands that work beside a running appliance share."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from appliance.datadir import DataDir, default_data_dir
from appliance.errors import ValidationError
from storage.metadata import MetadataStore


@asynccontextmanager
async def metadata_only(data_dir: Path | None) -> AsyncIterator[MetadataStore]:
    """The metadata database alone, without the data-directory lock: SQLite may be shared with the
    running appliance, DuckDB may not (so these commands never touch stream data)."""
    layout = DataDir(data_dir or default_data_dir())
    if not layout.metadata.exists():
        raise ValidationError(f"no appliance data in {layout.root}; run `iotile-appliance init` first",
                              key="no_data_dir")
    store = MetadataStore(layout.metadata)
    store.open()
    try:
        yield store
    finally:
        store.close()
