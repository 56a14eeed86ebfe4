"""What the data block service hands out and accepts: frozen records, body specs, ``on_complete``.

A data block (iotile.cloud's DataBlock) is an archive of one device: ``b--<block>-<serial>``, the
block number counting the device's archives from 1. Its streams are the device's streams re-keyed
``s--0000-0000--<block>-<serial>--<lid>``; these helpers spell both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from appliance.errors import NotFound
from appliance.services import fieldspec as fs
from appliance.slugs import BlockSlug, DeviceSlug, SlugError, StreamSlug
from storage.metadata.repos import datablocks as repo

MAX_BLOCK = 0x7FFF  # the metadata keeps a block's stream key in a signed 64-bit integer
STATES = ("N0", "N1")


@dataclass(frozen=True)
class BlockRecord:
    id: int
    org_id: int
    org: str
    device_id: int
    block: int
    title: str
    description: str
    sg: str | None
    created_on: datetime
    created_by: str | None
    completed_on: datetime | None

    @property
    def slug(self) -> str:
        return BlockSlug(self.block, self.device_id).slug

    @property
    def device(self) -> str:
        return DeviceSlug(self.device_id).slug

    @property
    def device_gid(self) -> int:
        """The 64-bit key its readings carry: the block number above the 48-bit serial."""
        return BlockSlug(self.block, self.device_id).as_device().id

    @classmethod
    def of(cls, row: repo.BlockRow) -> BlockRecord:
        block, org_slug, sg_slug, creator = row
        return cls(block.id, block.org_id, org_slug, block.device_id, block.block, block.title,
                   block.description or "", sg_slug, block.created_on, creator, block.completed_on)


@dataclass(frozen=True)
class StreamCountRecord:
    """One stream of a block's ``extra/``: readings, events, and whether a StreamId describes it."""

    slug: str
    data_cnt: int
    event_cnt: int
    has_streamid: bool


@dataclass(frozen=True)
class OnComplete:
    """What the device becomes once archived: iotile.cloud's ``{"device": {"state", "label"}}``
    (default state N1), plus the appliance's ``unclaim`` to free it for another project at once."""

    state: str = "N1"
    label: str | None = None
    unclaim: bool = False

    def as_args(self) -> dict[str, Any]:
        return {"state": self.state, "label": self.label, "unclaim": self.unclaim}

    @classmethod
    def of_args(cls, args: dict[str, Any]) -> OnComplete:
        return cls(str(args["state"]), args.get("label"), bool(args["unclaim"]))


_DEVICE_SPEC = fs.Spec({"state": fs.choice(STATES), "label": fs.text(100), "unclaim": fs.boolean})


def on_complete(name: str, value: Any) -> OnComplete:
    if value is None or value == {}:
        return OnComplete()
    if not isinstance(value, dict) or set(value) - {"device"}:
        raise fs.invalid(name, 'expected {"device": {"state": "N0"|"N1", "label": "...", "unclaim": true|false}}')
    device = value.get("device")
    device = {} if device is None else device
    if not isinstance(device, dict):
        raise fs.invalid(name, "device: expected an object")
    parsed = _DEVICE_SPEC.parse(device)
    return OnComplete(parsed.get("state", "N1"), parsed.get("label"), parsed.get("unclaim", False))


CREATE = fs.Spec({"device": fs.text(64, blank=False), "title": fs.text(100, blank=False),
                  "description": fs.text(10_000), "on_complete": on_complete},
                 read_only=frozenset({"id", "slug", "block", "org", "sg", "created_on", "created_by", "pid",
                                      "completed_on"}),
                 required=frozenset({"device", "title"}))
UPDATE = fs.Spec({"title": fs.text(100, blank=False), "description": fs.text(10_000)},
                 read_only=frozenset({"id", "slug", "block", "org", "sg", "created_on", "created_by", "device",
                                      "completed_on", "pid"}),
                 required=frozenset({"title"}))


def block_key(slug: str) -> tuple[int, int]:
    """(serial, block number) of a b-- slug (or the server's d--<block>-... spelling); anything else,
    block 0 included, names no block: 404."""
    try:
        parsed = BlockSlug.parse(slug)
    except SlugError:
        raise NotFound("data block not found") from None
    if parsed.block == 0:
        raise NotFound("data block not found")
    return parsed.device, parsed.block


def live_device_id(slug: str) -> int:
    """The device to archive: a live d-- slug (a bare serial as the server's slug field would not take)."""
    try:
        parsed = DeviceSlug.parse(slug)
    except SlugError:
        raise NotFound("device not found") from None
    if parsed.block or not slug.startswith("d--"):
        raise NotFound("device not found")
    return parsed.id


def stream_prefix(project: int, device: int) -> str:
    """``s--<project>--<device>--``: the slug of every stream of one device key, without the lid."""
    return StreamSlug(project, device, 0).slug[: -len("0000")]
