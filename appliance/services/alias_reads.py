"""Reading data and events through a stream alias (``filter=a--...`` on data/ and event/).

From each tap's time until the next tap's time the alias reads that tap's stream; the last tap has
no end (iotile.cloud's StreamAliasHelper). The slices become one stitched selector, so the stream
store answers pages, counts, ``lastn``, time windows and CSV chunks over the stitched series in one
DuckDB query per page. Reading needs ``can_read_stream_data`` in the alias's org. A tap whose
stream has since left that org reads nothing over its slice.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from appliance.errors import NotFound
from appliance.services import db
from appliance.services.permissions import Access, Perm
from appliance.slugs import AliasSlug
from storage.metadata import MetadataStore
from storage.metadata.repos import aliases as repo
from storage.streams.stitched import Slice, StitchedSelector

ALIAS_PREFIX = "a--"


def is_alias_filter(text: str) -> bool:
    return text.startswith(ALIAS_PREFIX)


def stitch(rows: Sequence[repo.SliceRow], org_id: int) -> StitchedSelector:
    """Slices from taps in time order; a slice that ends where it starts (a tie) is dropped."""
    slices: list[Slice] = []
    for index, (start, project, device, lid, stream_org) in enumerate(rows):
        end = rows[index + 1][0] if index + 1 < len(rows) else None
        if stream_org != org_id or (end is not None and end <= start):
            continue
        slices.append(Slice(project, device, lid, start, end))
    return StitchedSelector(slices=tuple(slices))


async def alias_selector(store: MetadataStore, access: Access, text: str) -> tuple[StitchedSelector, int]:
    """The stitched selector of an alias filter and the alias's org (400 malformed, 404 unknown or
    another org's, 403 without can_read_stream_data)."""
    alias_id = AliasSlug.parse(text).id

    def read(s: Session) -> tuple[int, Sequence[repo.SliceRow]] | None:
        alias = repo.alias_obj(s, alias_id)
        return None if alias is None else (alias.org_id, repo.slices(s, alias_id))

    found = await db.read(store, read)
    if found is None:
        raise NotFound("stream alias not found")
    org_id, rows = found
    access.require(org_id, Perm.READ_STREAM_DATA, "stream alias")
    return stitch(rows, org_id), org_id
