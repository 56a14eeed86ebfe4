"""The data mask of a data block (``datablock/<slug>/mask/``), as the server's shared mask helper:
any member who can see the block reads it; setting or clearing needs ``can_reset_device``."""

from __future__ import annotations

from typing import Any

from appliance.errors import PermissionDenied
from appliance.events import EventBus
from appliance.services import db
from appliance.services.data_mask import DataMasks, MaskTarget, TimeRange, parse_range
from appliance.services.datablocks import find_block
from appliance.services.datablocks_records import BlockRecord
from appliance.services.permissions import Access, Perm
from appliance.slugs import BlockSlug
from storage.metadata import MetadataStore
from storage.streams import StreamStore


def block_target(block: BlockRecord) -> MaskTarget:
    """A block's rows are keyed by its d--<block>-<serial> id under project 0 (see rekey.py)."""
    return MaskTarget(BlockSlug(block.block, block.device_id).as_device().id, 0, block.slug)


class BlockMasks:
    def __init__(self, metadata: MetadataStore, streams: StreamStore, events: EventBus) -> None:
        self._store = metadata
        self._masks = DataMasks(metadata, streams, events)

    async def get(self, access: Access, slug: str) -> dict[str, str | None]:
        block = await db.read(self._store, lambda s: find_block(s, access, slug))
        return await self._masks.get(block_target(block))

    async def set(self, access: Access, slug: str, body: dict[str, Any]) -> dict[str, Any]:
        span: TimeRange = parse_range(body)
        block = await self._changeable(access, slug)
        return await self._masks.set(block_target(block), span, access.account_id)

    async def clear(self, access: Access, slug: str) -> None:
        block = await self._changeable(access, slug)
        await self._masks.clear(block_target(block), access.account_id)

    async def _changeable(self, access: Access, slug: str) -> BlockRecord:
        block = await db.read(self._store, lambda s: find_block(s, access, slug))
        access.require(block.org_id, Perm.RESET_DEVICE, "datablock")
        if block.completed_on is None:
            raise PermissionDenied("Data block is busy (still being archived). Try again later.", key="device_busy")
        return block
