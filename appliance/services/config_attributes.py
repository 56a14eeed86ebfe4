"""Configuration attribute names (``:a:b``) and the JSON values set on device, block, project, org and
user targets, with the device → project → org → user search the companion apps rely on.

Every change to an attribute leaves a system note (type ``si``) on its target in the same
transaction, so the history of a configuration cannot drift from the configuration itself.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import NotFound, ValidationError
from appliance.services import db
from appliance.services.permissions import Access, Perm
from appliance.services.properties import canonical, check_target, owner_of
from appliance.slugs import CONFIG_TARGET_KINDS, DeviceSlug, OrgTarget, ProjectSlug, Target, UserTarget, parse_target
from storage.metadata import MetadataStore
from storage.metadata.models import ConfigAttribute, ConfigAttributeName, StreamNote
from storage.metadata.repos import config_attributes as repo
from storage.metadata.repos import properties as targets
from storage.metadata.repos.properties import TargetOwner

LOGGER = logging.getLogger(__name__)
NAME_PATTERN = re.compile(r"(?::[A-Za-z0-9_.\-]+)+")
MAX_NAME = 64
MAX_TAG = 24


def validate_name(name: object) -> str:
    """``:a:b`` names: the real server checks only the leading ':' and spaces; we also refuse empty parts."""
    if not isinstance(name, str) or len(name) > MAX_NAME or not NAME_PATTERN.fullmatch(name):
        raise ValidationError(f"name: expected ':a:b' style (letters, digits, '_', '-', '.'), got {name!r}",
                              key="bad_name")
    return name


def validate_tags(tags: object) -> list[str]:
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= MAX_TAG for t in tags):
        raise ValidationError(f"tags: expected a list of texts of at most {MAX_TAG} characters", key="bad_tags")
    return list(tags)


@dataclass(frozen=True)
class NameRecord:
    id: int
    name: str
    description: str
    tags: tuple[str, ...]

    @classmethod
    def of(cls, row: ConfigAttributeName) -> NameRecord:
        return cls(row.id, row.name, row.description, tuple(row.tags or ()))

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "description": self.description, "tags": list(self.tags)}


@dataclass(frozen=True)
class AttributeRecord:
    id: int
    target: str
    name: str
    data: dict[str, Any]
    updated_on: datetime

    @classmethod
    def of(cls, row: ConfigAttribute) -> AttributeRecord:
        return cls(row.id, row.target, row.name.name, dict(row.data or {}), row.updated_on)

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "target": self.target, "name": self.name, "data": self.data,
                "updated_on": self.updated_on}


def _write_perm(owner: TargetOwner) -> Perm:
    return Perm.MANAGE_ORG_AND_PROJECTS if owner.kind in ("project", "org") else Perm.MODIFY_DEVICE_PROPERTIES


def _note(s: Session, target: str, text: str, account_id: int | None) -> None:
    s.add(StreamNote(target_slug=target, timestamp=datetime.now(timezone.utc), note=text, type="si",
                     created_by_id=account_id))


def _change_note(name: str, data: dict[str, Any]) -> str:
    """Worded as the real server's _log_note, so exported note histories read the same."""
    lines = [f"Attribute {name} was changed to:"]
    lines.extend(f"--> {key}: {value}" for key, value in data.items())
    return "\n".join(lines)


def _search_path(s: Session, target: Target, owner: TargetOwner, caller: int | None) -> list[str]:
    """device → project → org → user; a project or data block goes straight to its org."""
    path = [canonical(target)]
    if isinstance(target, DeviceSlug) and not target.block and owner.project_id is not None:
        path.append(ProjectSlug(owner.project_id).slug)
    if owner.org_id is not None and not isinstance(target, OrgTarget):
        org = targets.org_slug(s, owner.org_id)
        path.extend([f"^{org}"] if org else [])
    user = targets.account_slug(s, caller) if caller is not None else None
    if user and not isinstance(target, UserTarget):
        path.append(f"@{user}")
    return path


class ConfigAttributes:
    """Names (staff write, everyone reads) and attributes (checked against the target's org)."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    async def names(self, search: str | None, tag: str | None, name: str | None) -> list[NameRecord]:
        rows = await db.read(self._store, lambda s: repo.names(s, search, tag, name))
        return [NameRecord.of(r) for r in rows]

    async def name(self, pk: int) -> NameRecord:
        row = await db.read(self._store, lambda s: s.get(ConfigAttributeName, pk))
        if row is None:
            raise NotFound("configuration attribute name not found")
        return NameRecord.of(row)

    async def create_name(self, name: str, description: str, tags: list[str],
                          created_by_id: int | None) -> NameRecord:
        def run(s: Session) -> NameRecord:
            if repo.name_by_text(s, name) is not None:
                raise ValidationError("name: configuration attribute name with this name already exists.",
                                      key="unique")
            row = ConfigAttributeName(name=name, description=description, tags=tags, created_by_id=created_by_id)
            s.add(row)
            s.flush()
            return NameRecord.of(row)
        return await db.write(self._store, run)

    async def delete_name(self, pk: int) -> None:
        def run(s: Session) -> None:
            row = s.get(ConfigAttributeName, pk)
            if row is None:
                raise NotFound("configuration attribute name not found")
            s.delete(row)
        await db.write(self._store, run)

    async def page(self, access: Access, target_text: str, name_q: str | None, offset: int,
                   limit: int) -> tuple[int, list[AttributeRecord]]:
        target = parse_target(target_text, kinds=CONFIG_TARGET_KINDS)

        def run(s: Session) -> tuple[int, list[AttributeRecord]]:
            check_target(access, owner_of(s, target), None)
            count, rows = repo.attributes(s, canonical(target), name_q, offset, limit)
            return count, [AttributeRecord.of(r) for r in rows]
        return await db.read(self._store, run)

    @staticmethod
    def _row(s: Session, access: Access, pk: int, write: bool) -> ConfigAttribute:
        row = s.get(ConfigAttribute, pk)
        if row is None:
            raise NotFound("configuration attribute not found")
        owner = check_target(access, owner_of(s, parse_target(row.target)), None)
        if write and owner.kind != "user":
            access.require(owner.org_id, _write_perm(owner), "target")
        return row

    async def get(self, access: Access, pk: int) -> AttributeRecord:
        return await db.read(self._store, lambda s: AttributeRecord.of(self._row(s, access, pk, False)))

    async def set(self, access: Access, target_text: str, name: str, data: dict[str, Any]) -> AttributeRecord:
        """Create, or overwrite the data of the attribute of that name on that target (as the server)."""
        target = parse_target(target_text, kinds=CONFIG_TARGET_KINDS)

        def run(s: Session) -> AttributeRecord:
            owner = check_target(access, owner_of(s, target), None)
            if owner.kind != "user":
                access.require(owner.org_id, _write_perm(owner), "target")
            name_row = repo.name_by_text(s, name)
            if name_row is None:
                raise ValidationError("Most use a valid Configuration Attribute Name", key="unknown_name")
            slug = canonical(target)
            row = repo.attribute(s, slug, name_row.id)
            if row is None:
                row = ConfigAttribute(target=slug, name=name_row, data=data)
                s.add(row)
            row.data, row.updated_by_id = data, access.account_id
            _note(s, slug, _change_note(name, data), access.account_id)
            s.flush()
            return AttributeRecord.of(row)
        return await db.write(self._store, run)

    async def delete(self, access: Access, pk: int) -> None:
        def run(s: Session) -> None:
            row = self._row(s, access, pk, True)
            _note(s, row.target, f"Attribute {row.name.name} was deleted", access.account_id)
            s.delete(row)
        await db.write(self._store, run)

    async def search(self, access: Access, target_text: str, name: str) -> AttributeRecord:
        target = parse_target(target_text, kinds=CONFIG_TARGET_KINDS)
        validate_name(name)

        def run(s: Session) -> AttributeRecord:
            owner = check_target(access, owner_of(s, target), None)
            name_row = repo.name_by_text(s, name)
            if name_row is not None:
                for slug in _search_path(s, target, owner, access.account_id):
                    row = repo.attribute(s, slug, name_row.id)
                    if row is not None:
                        return AttributeRecord.of(row)
            raise NotFound("configuration attribute not found")
        return await db.read(self._store, run)
