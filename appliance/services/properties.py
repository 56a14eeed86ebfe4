"""Generic properties (typed name/value pairs on device, block and project slugs) and org templates.

Permission checks and writes run inside one metadata transaction, so a target cannot change org
between the check and the write. Targets are resolved here for config attributes too.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import NotFound, ValidationError
from appliance.services import db
from appliance.services.permissions import Access, Perm
from appliance.slugs import BlockSlug, DeviceSlug, OrgTarget, ProjectSlug, Target, UserTarget, parse_target
from storage.metadata import MetadataStore
from storage.metadata.models import GenericProperty, GenericPropertyTemplate
from storage.metadata.repos import properties as repo
from storage.metadata.repos.properties import TargetOwner

LOGGER = logging.getLogger(__name__)
PROPERTY_KINDS = frozenset({"device", "project", "datablock"})
VALUE_FIELDS = {"int_value": "int", "str_value": "str", "bool_value": "bool"}
MAX_STR_VALUE = 256


def canonical(target: Target) -> str:
    """One spelling per target, so d--0001-... (the server's block spelling) and b--0001-... match."""
    if isinstance(target, DeviceSlug) and target.block:
        return target.as_block().slug
    return target.slug


def owner_of(session: Session, target: Target) -> TargetOwner | None:
    if isinstance(target, DeviceSlug):
        if target.block:
            return repo.block_owner(session, target.serial, target.block)
        return repo.device_owner(session, target.id)
    if isinstance(target, BlockSlug):
        return repo.block_owner(session, target.device, target.block)
    if isinstance(target, ProjectSlug):
        return repo.project_owner(session, target.gid)
    if isinstance(target, OrgTarget):
        return repo.org_owner(session, target.name)
    if isinstance(target, UserTarget):
        return repo.user_owner(session, target.name)
    return None


def check_target(access: Access, owner: TargetOwner | None, perm: Perm | None) -> TargetOwner:
    """Missing and foreign targets are both 404; a user target is its own user's (or staff's) only."""
    if owner is None:
        raise NotFound("target not found")
    if owner.kind == "user":
        if not access.is_staff and (access.account_id is None or access.account_id != owner.account_id):
            raise NotFound("target not found")
        return owner
    if perm is None:
        access.visible(owner.org_id, "target")
    else:
        access.require(owner.org_id, perm, "target")
    return owner


def _write_perm(owner: TargetOwner) -> Perm:
    return Perm.MANAGE_ORG_AND_PROJECTS if owner.kind in ("project", "org") else Perm.MODIFY_DEVICE_PROPERTIES


def parse_value(body: Mapping[str, Any]) -> tuple[str, str]:
    """Exactly one of int_value/str_value/bool_value, as the real serializer demands; (type, text)."""
    given = [key for key in VALUE_FIELDS if key in body]
    if len(given) != 1:
        raise ValidationError("Only one of int_value, str_value, or bool_value can be used", key="value")
    key = given[0]
    value = body[key]
    if key == "int_value":
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValidationError("int_value: a valid integer is required", key="wrong_type")
        return "int", str(value)
    if key == "bool_value":
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        if not isinstance(value, bool):
            raise ValidationError("bool_value: must be a valid boolean", key="wrong_type")
        return "bool", str(value)
    if not isinstance(value, str) or len(value) > MAX_STR_VALUE:
        raise ValidationError(f"str_value: text of at most {MAX_STR_VALUE} characters", key="wrong_type")
    return "str", value


@dataclass(frozen=True)
class PropertyRecord:
    id: int
    target: str
    name: str
    type: str
    str_value: str
    is_system: bool

    @classmethod
    def of(cls, row: GenericProperty) -> PropertyRecord:
        return cls(row.id, row.target, row.name, row.type, row.str_value, row.is_system)

    @property
    def value(self) -> int | bool | str:
        if self.type == "int":
            return int(self.str_value)
        if self.type == "bool":
            return self.str_value == "True"
        return self.str_value

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "value": self.value, "type": self.type,
                "is_system": self.is_system, "target": self.target}


def _enforce_template(session: Session, owner: TargetOwner, name: str, kind: str, text: str) -> None:
    """A property named like one of its org's templates must have the template's type and values."""
    if owner.org_id is None:
        return
    tmpl = repo.template_by_name(session, owner.org_id, name)
    if tmpl is None:
        return
    if tmpl.type != kind:
        raise ValidationError(f"property {name!r} must be of type {tmpl.type}", key="wrong_type")
    allowed = [e.value for e in tmpl.enums]
    if allowed and text not in allowed:
        raise ValidationError(f"{text!r} is not one of the allowed values of {name!r}: {allowed}",
                              key="not_allowed", detail={"enums": allowed})


@dataclass(frozen=True)
class NewProperty:
    target: str
    name: str
    type: str
    text: str
    is_system: bool = False


class Properties:
    """Property CRUD; every call checks the caller against the target's org in the same session."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    async def page(self, access: Access, target_text: str, offset: int,
                   limit: int) -> tuple[int, list[PropertyRecord]]:
        target = parse_target(target_text, kinds=PROPERTY_KINDS)

        def run(s: Session) -> tuple[int, list[PropertyRecord]]:
            check_target(access, owner_of(s, target), Perm.READ_DEVICE_PROPERTIES)
            count, rows = repo.properties(s, canonical(target), offset, limit)
            return count, [PropertyRecord.of(r) for r in rows]
        return await db.read(self._store, run)

    def _row(self, s: Session, access: Access, pk: int, write: bool) -> GenericProperty:
        row = s.get(GenericProperty, pk)
        if row is None:
            raise NotFound("property not found")
        owner = owner_of(s, parse_target(row.target))
        check_target(access, owner, Perm.READ_DEVICE_PROPERTIES)
        if write and owner is not None:
            check_target(access, owner, _write_perm(owner))
        return row

    async def get(self, access: Access, pk: int) -> PropertyRecord:
        return await db.read(self._store, lambda s: PropertyRecord.of(self._row(s, access, pk, False)))

    async def create(self, access: Access, new: NewProperty, created_by_id: int | None) -> PropertyRecord:
        target = parse_target(new.target, kinds=PROPERTY_KINDS)

        def run(s: Session) -> PropertyRecord:
            owner = check_target(access, owner_of(s, target), Perm.READ_DEVICE_PROPERTIES)
            check_target(access, owner, _write_perm(owner))
            slug = canonical(target)
            if repo.find_property(s, slug, new.name) is not None:
                raise ValidationError(f"property {new.name!r} already exists on {slug}", key="unique")
            _enforce_template(s, owner, new.name, new.type, new.text)
            row = GenericProperty(target=slug, name=new.name, type=new.type, str_value=new.text,
                                  is_system=new.is_system, created_by_id=created_by_id)
            s.add(row)
            s.flush()
            return PropertyRecord.of(row)
        return await db.write(self._store, run)

    async def update(self, access: Access, pk: int, kind: str, text: str) -> PropertyRecord:
        def run(s: Session) -> PropertyRecord:
            row = self._row(s, access, pk, True)
            owner = owner_of(s, parse_target(row.target))
            if owner is not None:
                _enforce_template(s, owner, row.name, kind, text)
            row.type, row.str_value = kind, text
            s.flush()
            return PropertyRecord.of(row)
        return await db.write(self._store, run)

    async def delete(self, access: Access, pk: int) -> None:
        await db.write(self._store, lambda s: s.delete(self._row(s, access, pk, True)))


@dataclass(frozen=True)
class TemplateRecord:
    id: int
    org: str | None
    type: str
    name: str
    default: str
    enums: tuple[str, ...]
    extra: dict[str, Any]

    @classmethod
    def of(cls, s: Session, row: GenericPropertyTemplate) -> TemplateRecord:
        return cls(row.id, repo.org_slug(s, row.org_id), row.type, row.name, row.default,
                   tuple(sorted(e.value for e in row.enums)), dict(row.extra or {}))

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "org": self.org, "type": self.type, "name": self.name, "default": self.default,
                "enums": list(self.enums), "extra": self.extra}


@dataclass(frozen=True)
class TemplateFields:
    """What a staff member may set on a template; None leaves a field as it is on update."""

    org: str | None = None
    name: str | None = None
    type: str | None = None
    default: str | None = None
    extra: dict[str, Any] | None = None
    enums: tuple[str, ...] = ()


class PropertyTemplates:
    """Org property templates: members read their orgs' templates, staff write (the view checks staff)."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    async def page(self, access: Access, org_slug: str | None, name: str | None, offset: int,
                   limit: int) -> tuple[int, list[TemplateRecord]]:
        def run(s: Session) -> tuple[int, list[TemplateRecord]]:
            org_id = None
            if org_slug is not None:
                org_id = repo.org_id_by_slug(s, org_slug)
                if org_id is None:
                    raise NotFound("org not found")
            count, rows = repo.templates(s, access.org_ids, org_id, name, offset, limit)
            return count, [TemplateRecord.of(s, r) for r in rows]
        return await db.read(self._store, run)

    @staticmethod
    def _row(s: Session, access: Access, pk: int) -> GenericPropertyTemplate:
        row = repo.template(s, pk)
        if row is None or not access.is_member(row.org_id):
            raise NotFound("property template not found")
        return row

    async def get(self, access: Access, pk: int) -> TemplateRecord:
        return await db.read(self._store, lambda s: TemplateRecord.of(s, self._row(s, access, pk)))

    async def create(self, fields: TemplateFields, created_by_id: int | None) -> TemplateRecord:
        def run(s: Session) -> TemplateRecord:
            org_id = repo.org_id_by_slug(s, fields.org or "")
            if org_id is None or fields.name is None:
                raise ValidationError("org: an existing org slug is required", key="org")
            if repo.template_by_name(s, org_id, fields.name) is not None:
                raise ValidationError("The fields org, name must make a unique set.", key="unique")
            row = GenericPropertyTemplate(org_id=org_id, name=fields.name, type=fields.type or "str",
                                          default=fields.default or "", extra=fields.extra or {},
                                          created_by_id=created_by_id)
            s.add(row)
            for value in fields.enums:
                repo.add_enum(s, row, value, created_by_id)
            s.flush()
            return TemplateRecord.of(s, row)
        return await db.write(self._store, run)

    async def update(self, access: Access, pk: int, fields: TemplateFields) -> TemplateRecord:
        def run(s: Session) -> TemplateRecord:
            row = self._row(s, access, pk)
            if fields.name is not None and fields.name != row.name:
                if repo.template_by_name(s, row.org_id, fields.name) is not None:
                    raise ValidationError("The fields org, name must make a unique set.", key="unique")
                row.name = fields.name
            row.type = fields.type if fields.type is not None else row.type
            row.default = fields.default if fields.default is not None else row.default
            row.extra = fields.extra if fields.extra is not None else row.extra
            s.flush()
            return TemplateRecord.of(s, row)
        return await db.write(self._store, run)

    async def delete(self, access: Access, pk: int) -> None:
        await db.write(self._store, lambda s: s.delete(self._row(s, access, pk)))

    async def add_enum(self, access: Access, pk: int, value: str, created_by_id: int | None) -> TemplateRecord:
        def run(s: Session) -> TemplateRecord:
            row = self._row(s, access, pk)
            repo.add_enum(s, row, value, created_by_id)
            s.flush()
            return TemplateRecord.of(s, row)
        return await db.write(self._store, run)
