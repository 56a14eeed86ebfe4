"""Data blocks (archives) for the Data blocks screen: a filtered page with reading counts, one block
with its streams, and deleting one (a job).

The data block service decides who sees what (``can_access_datablock``: not the Operator) and who
deletes (staff only, as iotile.cloud's API). The free-text filter is applied here while paging.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from appliance.app import Appliance
from appliance.services.accounts import AccountRecord
from appliance.services.datablocks_records import BlockRecord, StreamCountRecord
from appliance.services.permissions import Access, Perm
from gui.operations import Op
from gui.operations.access import access_for, list_scope
from gui.operations.paging import Chunk, matches, scan
from gui.operations.projects import org_names

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class BlockRow:
    block: BlockRecord
    org_name: str
    readings: int
    events: int


@dataclass(frozen=True)
class BlockDetail:
    block: BlockRecord
    org_name: str
    streams: tuple[StreamCountRecord, ...]

    @property
    def readings(self) -> int:
        return sum(s.data_cnt for s in self.streams)

    @property
    def events(self) -> int:
        return sum(s.event_cnt for s in self.streams)


@dataclass(frozen=True)
class BlockRights:
    may_see: bool  # some org of the operator lets them see data blocks
    may_delete: bool  # staff only


def rights_of(access: Access) -> BlockRights:
    see = access.is_staff or any(access.can(org, Perm.ACCESS_DATABLOCK) for org in access.roles)
    return BlockRights(see, access.is_staff)


def rights_reader(account: AccountRecord) -> Op[BlockRights]:
    async def read(appliance: Appliance) -> BlockRights:
        return rights_of(await access_for(appliance, account))

    return read


async def _counts(appliance: Appliance, access: Access, block: BlockRecord) -> tuple[int, int]:
    _, streams = await appliance.datablocks.stream_counts(access, block.slug)
    return sum(s.data_cnt for s in streams), sum(s.event_cnt for s in streams)


def block_pager(account: AccountRecord, text: str, offset: int, want: int) -> Op[Chunk[BlockRow]]:
    async def read(appliance: Appliance) -> Chunk[BlockRow]:
        access = await access_for(appliance, account)
        names = await org_names(appliance, access)

        async def service_page(start: int, limit: int) -> tuple[int, list[BlockRecord]]:
            return await appliance.datablocks.page(access, list_scope(access), org=None, device=None, q=None,
                                                   offset=start, limit=limit)

        def keep(block: BlockRecord) -> bool:
            return matches(text, block.title, block.slug, block.device, block.description, names.get(block.org_id))

        chunk = await scan(service_page, keep, offset, want)
        counts = await asyncio.gather(*(_counts(appliance, access, block) for block in chunk.rows))
        rows = tuple(BlockRow(block, names.get(block.org_id, block.org), readings, events)
                     for block, (readings, events) in zip(chunk.rows, counts, strict=True))
        return Chunk(rows, chunk.consumed, chunk.total)

    return read


def block_reader(account: AccountRecord, slug: str) -> Op[BlockDetail]:
    async def read(appliance: Appliance) -> BlockDetail:
        access = await access_for(appliance, account)
        block, streams = await appliance.datablocks.stream_counts(access, slug)
        names = await org_names(appliance, access)
        return BlockDetail(block, names.get(block.org_id, block.org), tuple(streams))

    return read


def block_deleter(account: AccountRecord, slug: str) -> Op[str]:
    """Schedules the delete job (staff only); returns its pid."""
    async def delete(appliance: Appliance) -> str:
        access = await access_for(appliance, account)
        block, pid = await appliance.datablocks.delete(access, slug)
        LOGGER.info("delete of data block %s started from the GUI (pid %s)", block.slug, pid)
        return pid

    return delete
