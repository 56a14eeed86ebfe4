"""Which readings a caller may read: a ``filter`` slug becomes a store selector plus the org that
owns it, checked against ``can_read_stream_data``. A stream alias (``a--``) becomes a selector
stitched from its taps (alias_reads.py).

iotile.cloud answers 200 with an empty page when the caller may not read a filter's data; the
appliance follows its own matrix instead (DESIGN, permissions.py): another org's objects are 404,
members without the permission (the r1 Operator) get 403, and Api-Key callers get 403.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from appliance.errors import NotFound, PermissionDenied, ValidationError
from appliance.services import db
from appliance.services.alias_reads import alias_selector, is_alias_filter
from appliance.services.permissions import Access, Perm
from appliance.slugs import (
    BlockSlug,
    DeviceSlug,
    ProjectSlug,
    SlugError,
    StreamSlug,
    VariableSlug,
    parse_any,
)
from storage.metadata import MetadataStore
from storage.metadata.repos import data as repo
from storage.streams import StreamSelector

SERIAL_BITS = 48
Lookup = Callable[[Session], int | None]


@dataclass(frozen=True)
class Scope:
    """A readable set of streams: what the store is asked for, and whose data it is."""

    kind: str
    selector: StreamSelector
    org_id: int


def _block_id(block: int, serial: int) -> int:
    return (block << SERIAL_BITS) | serial


def _stream(slug: StreamSlug) -> tuple[str, StreamSelector, Lookup]:
    return "stream", StreamSelector(slug.project, slug.device, slug.lid), \
        lambda s: repo.stream_org(s, slug.project, slug.device, slug.lid)


def _device(slug: DeviceSlug) -> tuple[str, StreamSelector, Lookup]:
    if slug.block:
        return _block(slug.as_block())
    return "device", StreamSelector(device=slug.id), lambda s: repo.device_org(s, slug.id)


def _block(slug: BlockSlug) -> tuple[str, StreamSelector, Lookup]:
    return "datablock", StreamSelector(device=_block_id(slug.block, slug.device)), \
        lambda s: repo.block_org(s, slug.block, slug.device)


def _variable(slug: VariableSlug) -> tuple[str, StreamSelector, Lookup]:
    return "variable", StreamSelector(project=slug.project, variable=slug.lid), \
        lambda s: repo.variable_org(s, slug.project, slug.lid)


def _project(slug: ProjectSlug) -> tuple[str, StreamSelector, Lookup]:
    return "project", StreamSelector(project=slug.gid), lambda s: repo.project_org(s, slug.gid)


def parse_filter(text: str) -> tuple[str, StreamSelector, Lookup]:
    """s--, d--, b--, v-- as on iotile.cloud, p-- as an appliance addition (a-- is resolve()'s); else a 400."""
    try:
        slug = parse_any(text)
    except SlugError as err:
        raise ValidationError(f"Illegal filter argument format: {err.message}", key="bad_filter") from err
    if isinstance(slug, StreamSlug):
        return _stream(slug)
    if isinstance(slug, BlockSlug):
        return _block(slug)
    if isinstance(slug, DeviceSlug):
        return _device(slug)
    if isinstance(slug, VariableSlug) and type(slug) is VariableSlug:
        return _variable(slug)
    if isinstance(slug, ProjectSlug):
        return _project(slug)
    raise ValidationError(f"Illegal filter argument {text!r}: use an s--, d--, b--, v-- or p-- slug",
                          key="bad_filter")


def refuse_api_keys(access: Access) -> None:
    """Org API keys read the catalogue only, never stream data."""
    if access.api_key_org is not None:
        raise PermissionDenied("API keys may not access stream data", key="api_key")


def require(access: Access, org_id: int | None, perm: Perm, what: str) -> None:
    refuse_api_keys(access)
    if org_id is None:
        raise NotFound(f"{what} not found")
    access.require(org_id, perm, what)


async def resolve(store: MetadataStore, access: Access, text: str) -> Scope:
    """The scope of a ``filter`` the caller may read (404 unknown or hidden, 403 not allowed)."""
    refuse_api_keys(access)
    if is_alias_filter(text):
        stitched, alias_org = await alias_selector(store, access, text)
        return Scope("alias", stitched, alias_org)
    kind, selector, lookup = parse_filter(text)
    org_id = await db.read(store, lookup)
    require(access, org_id, Perm.READ_STREAM_DATA, kind)
    assert org_id is not None
    return Scope(kind, selector, org_id)
