"""The one module that formats and parses iotile.cloud slugs (DESIGN decision 7).

Inside the appliance ids are integers; slugs such as ``s--0000-0001--0000-0000-0000-0002--5001`` exist only at the
edges, so wire compatibility lives here. A slug is a type prefix and parts joined by ``--``, each part lowercase hex in
``-``-joined groups of four; every slug type is one `_Shape` row read by the same code. Parsing is as loose as the real
server and client where that is unambiguous (ints, bare hex, ``0x``, upper case, short ids padded like ``fix_gid``) and
refuses with `SlugError` (a 400) what they would turn into a slug that matches nothing (``d--12345``, `` 12``, ``1_2``)
or silently truncate (groups beyond the width, block bits masked off by the client's 48-bit int2did).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, fields
from typing import ClassVar, NoReturn, TypeVar, cast

from appliance.errors import ValidationError

MAX_SLUG_LENGTH = 128
SERIAL_BITS = 48
SERIAL_MASK = (1 << SERIAL_BITS) - 1
TARGET_KINDS = frozenset({"org", "user", "device", "project", "datablock", "stream", "variable", "fleet"})
CONFIG_TARGET_KINDS = frozenset({"org", "user", "device", "project", "datablock"})

_HEX_RUN = re.compile(r"(?:0x)?([0-9a-fA-F]+)")
_HEX_GROUPS = re.compile(r"[0-9a-fA-F]{4}(?:-[0-9a-fA-F]{4})+")
_NAME = re.compile(r"[-a-zA-Z0-9_]+")


class SlugError(ValidationError, ValueError):
    """A malformed or out-of-range slug; a ValueError too, so plain-Python callers can catch it."""

    key = "invalid_slug"


class _Bad(Exception):
    """A reason, raised deep in parsing and re-raised as SlugError naming the whole input."""


def _fail(kind: str, value: object, reason: object) -> NoReturn:
    raise SlugError(f"invalid {kind} slug {value!r}: {reason}") from None


def gid(value: int, groups: int) -> str:
    """Format `value` as `groups` 4-digit hex groups; raise rather than mask what does not fit."""
    _check_int(value, 16 * groups, "id")
    return "-".join(f"{(value >> (16 * i)) & 0xFFFF:04x}" for i in reversed(range(groups)))


def int2did(value: int) -> str:
    """Bare 64-bit gid like the server's int2did (the client's version masks off the block)."""
    return gid(value, 4)


def int2pid(value: int) -> str:
    return gid(value, 2)


def device_slug(dev_id: int) -> str:
    """The d-- slug of a report header's dev_id, which is how the server finds the device."""
    return DeviceSlug(dev_id).slug


def _check_int(value: object, bits: int, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise SlugError(f"{what} must be an int, got {value!r}")
    if not 0 <= value < 1 << bits:
        raise SlugError(f"{what} {value!r} is outside 0..0x{(1 << bits) - 1:x}")


def _number(text: str, groups: int) -> int:
    """One slug part: bare hex (one run, optional 0x) or 4-digit groups, left-padded to `groups`.

    Short groups (``1-2``) are refused: the client reads them as 0x12, group-wise padding as 0x0001_0002.
    """
    if not text:
        raise _Bad("empty id")
    if "-" in text:
        if not _HEX_GROUPS.fullmatch(text):
            raise _Bad(f"{text!r} is not 4-digit hex groups joined by '-'")
        if text.count("-") >= groups:
            raise _Bad(f"{text.count('-') + 1} groups where {groups} fit")
        digits = text.replace("-", "")
    else:
        match = _HEX_RUN.fullmatch(text)
        if match is None:
            raise _Bad(f"{text!r} is not hexadecimal")
        digits = match.group(1)
    value = int(digits, 16)
    if value >> (16 * groups):
        raise _Bad(f"{text!r} does not fit in {16 * groups} bits")
    return value


def parse_lid(value: str | int) -> int:
    """A variable/stream local id from JSON: ``"5020"`` and ``20512`` are the same lid."""
    if isinstance(value, int) and not isinstance(value, bool):
        _check_int(value, 16, "lid")
        return value
    if not isinstance(value, str):
        _fail("lid", value, "must be an int or a hex string")
    try:
        return _number(value, 1)
    except _Bad as exc:
        _fail("lid", value, exc)


@dataclass(frozen=True)
class _Part:  # one --separated part: its width in 4-digit groups, and whether it may be empty
    groups: int
    blank: bool = False


@dataclass(frozen=True, kw_only=True)
class _Shape:
    """One row per slug type. `bits`: field widths where they differ from the parts'; `aliases`: other prefixes
    accepted; `exact`: the own prefix needs every group (a short b-- would lose the block); `nullable`: None allowed.
    """

    prefix: str
    kind: str
    parts: tuple[_Part, ...]
    bits: tuple[int, ...] = ()
    aliases: tuple[str, ...] = ()
    exact: bool = False
    nullable: tuple[str, ...] = ()


def _split(text: str, shape: _Shape) -> tuple[int | None, ...]:
    if len(text) > MAX_SLUG_LENGTH:
        raise _Bad(f"longer than {MAX_SLUG_LENGTH} characters")
    head, sep, rest = text.partition("--")
    if not sep:
        if len(shape.parts) != 1:
            raise _Bad(f"expected {shape.prefix}--...")
        return (_number(text, shape.parts[0].groups),)
    if head not in (shape.prefix, *shape.aliases):
        raise _Bad(f"must start with {shape.prefix}--")
    pieces = rest.split("--")
    if len(pieces) != len(shape.parts):
        raise _Bad(f"expected {len(shape.parts)} part(s) after the prefix, got {len(pieces)}")
    if shape.exact and head == shape.prefix and [p.count("-") + 1 for p in pieces] != [q.groups for q in shape.parts]:
        raise _Bad(f"{shape.prefix}-- needs every 4-digit group")
    return tuple(None if not p and q.blank else _number(p, q.groups) for p, q in zip(pieces, shape.parts, strict=True))


_S = TypeVar("_S", bound="_Slug")
_BY_PREFIX: dict[str, type[_Slug]] = {}


@dataclass(frozen=True)
class _Slug:
    """Shared formatting and parsing, driven by each subclass's `shape` row."""

    shape: ClassVar[_Shape]
    kind: ClassVar[str]  # the server's name for the object, as in its get_object_by_slug

    def __init_subclass__(cls) -> None:
        cls.kind = cls.shape.kind
        _BY_PREFIX[cls.shape.prefix] = cls

    def __post_init__(self) -> None:
        bits = self.shape.bits or tuple(16 * part.groups for part in self.shape.parts)
        for f, width in zip(fields(self), bits, strict=True):
            value = getattr(self, f.name)
            if value is not None or f.name not in self.shape.nullable:
                _check_int(value, width, f"{type(self).__name__}.{f.name}")

    def _values(self) -> tuple[int | None, ...]:
        return tuple(getattr(self, f.name) for f in fields(self))

    @classmethod
    def _build(cls: type[_S], values: tuple[int | None, ...]) -> _S:
        return cls(*values)

    @property
    def slug(self) -> str:
        texts = ("" if v is None else gid(v, p.groups) for v, p in zip(self._values(), self.shape.parts, strict=True))
        return "--".join((self.shape.prefix, *texts))

    def __str__(self) -> str:
        return self.slug

    @classmethod
    def parse(cls: type[_S], value: str | int, *, canonical: bool = False) -> _S:
        """Read a slug (or, for one-part types, an int or bare hex) as the server would look it up.

        ``canonical=True`` refuses all but the stored form, where anything else is a bug rather than user input.
        """
        shape = cls.shape
        if isinstance(value, int) and not isinstance(value, bool) and len(shape.parts) == 1:
            return cls._build((value,))
        if not isinstance(value, str):
            _fail(shape.kind, value, "must be a string" if len(shape.parts) > 1 else "must be an int or a string")
        try:
            result = cls._build(_split(value, shape))
        except _Bad as exc:
            _fail(shape.kind, value, exc)
        if canonical and result.slug != value:
            _fail(shape.kind, value, f"not canonical, expected {result.slug!r}")
        return result


@dataclass(frozen=True)
class ProjectSlug(_Slug):
    shape = _Shape(prefix="p", kind="project", parts=(_Part(2),))
    gid: int


@dataclass(frozen=True)
class DeviceSlug(_Slug):
    """A device; the top 16 bits are a data block number (0 for the live device)."""

    shape = _Shape(prefix="d", kind="device", parts=(_Part(4),))
    id: int

    @property
    def block(self) -> int:
        return self.id >> SERIAL_BITS

    @property
    def serial(self) -> int:
        return self.id & SERIAL_MASK

    def live(self) -> DeviceSlug:
        """The live device; the server's /device/ lookup maps d--0001-... to d--0000-... too."""
        return DeviceSlug(self.serial)

    def as_block(self) -> BlockSlug:
        return BlockSlug(self.block, self.serial)


@dataclass(frozen=True)
class BlockSlug(_Slug):
    """A data block (an archive of a device); its d-- spelling is accepted as the server does."""

    shape = _Shape(prefix="b", kind="datablock", parts=(_Part(4),), bits=(16, 48), aliases=("d",), exact=True)
    block: int
    device: int

    def _values(self) -> tuple[int | None, ...]:
        return ((self.block << SERIAL_BITS) | self.device,)

    @classmethod
    def _build(cls, values: tuple[int | None, ...]) -> BlockSlug:
        value = values[0] or 0
        _check_int(value, 64, "BlockSlug id")
        return cls(value >> SERIAL_BITS, value & SERIAL_MASK)

    def as_device(self) -> DeviceSlug:
        """The block as the server's d--<block>-<serial> spelling."""
        return DeviceSlug((self.block << SERIAL_BITS) | self.device)


@dataclass(frozen=True)
class VariableSlug(_Slug):
    shape = _Shape(prefix="v", kind="variable", parts=(_Part(2), _Part(1)))
    project: int
    lid: int

    @classmethod
    def parse_in(cls, value: str | int, project: int = 0) -> VariableSlug:
        """A full slug, or a bare lid (int or hex) in `project`, as IOTileVariableSlug(id, project)."""
        if isinstance(value, str) and "--" in value:
            return cls.parse(value)
        return cls(project, parse_lid(value))


@dataclass(frozen=True)
class TemplateVariableSlug(VariableSlug):
    """ptv--: a project-template variable; the server can format it but never stores one."""

    shape = _Shape(prefix="ptv", kind="templatevariable", parts=(_Part(2), _Part(1)))


@dataclass(frozen=True)
class StreamSlug(_Slug):
    """A stream; archived streams have project 0 and the block in the device's top bits."""

    shape = _Shape(prefix="s", kind="stream", parts=(_Part(2, True), _Part(4, True), _Part(1)))
    project: int
    device: int
    lid: int

    @classmethod
    def _build(cls, values: tuple[int | None, ...]) -> StreamSlug:
        """An empty project or device (s----...--5001) means 0, as the client's from_parts says."""
        project, device, lid = values
        return cls(project or 0, device or 0, lid or 0)

    @property
    def block(self) -> int:
        return self.device >> SERIAL_BITS

    @property
    def is_block(self) -> bool:
        return self.block != 0

    def archived(self, block: int) -> StreamSlug:
        """This stream's slug inside data block `block`, as clone_into_block names it."""
        if isinstance(block, bool) or not isinstance(block, int) or not 1 <= block <= 0xFFFF:
            raise SlugError(f"data block number {block!r} is outside 1..0xffff")
        return StreamSlug(0, (block << SERIAL_BITS) | (self.device & SERIAL_MASK), self.lid)


@dataclass(frozen=True)
class StreamerSlug(_Slug):
    shape = _Shape(prefix="t", kind="streamer", parts=(_Part(4), _Part(1)))
    device: int
    index: int


@dataclass(frozen=True)
class FilterSlug(_Slug):
    """A stream filter; device None is a project-wide filter (f--0000-0001----5000)."""

    shape = _Shape(prefix="f", kind="streamfilter", parts=(_Part(2), _Part(4, True), _Part(1)), nullable=("device",))
    project: int
    device: int | None
    lid: int


@dataclass(frozen=True)
class AliasSlug(_Slug):
    shape = _Shape(prefix="a", kind="streamalias", parts=(_Part(4),))
    id: int


@dataclass(frozen=True)
class FleetSlug(_Slug):
    shape = _Shape(prefix="g", kind="fleet", parts=(_Part(3),))
    id: int


@dataclass(frozen=True)
class DeviceScriptSlug(_Slug):
    """z--: an OTA device script; the server formats its gid with int32gid."""

    shape = _Shape(prefix="z", kind="devicescript", parts=(_Part(2),))
    id: int


@dataclass(frozen=True)
class _NamedTarget:
    """An org (^slug) or user (@slug) target: Django slugs, not ids, so they pass through as text."""

    sigil: ClassVar[str]
    kind: ClassVar[str]
    name: str

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or len(self.name) >= MAX_SLUG_LENGTH or not _NAME.fullmatch(self.name):
            _fail(self.kind, f"{self.sigil}{self.name}", "expected letters, digits, '-' or '_' after the sigil")

    @property
    def slug(self) -> str:
        return self.sigil + self.name

    def __str__(self) -> str:
        return self.slug


@dataclass(frozen=True)
class OrgTarget(_NamedTarget):
    sigil = "^"
    kind = "org"


@dataclass(frozen=True)
class UserTarget(_NamedTarget):
    sigil = "@"
    kind = "user"


Target = DeviceSlug | ProjectSlug | BlockSlug | StreamSlug | VariableSlug | FleetSlug | OrgTarget | UserTarget
AnySlug = Target | TemplateVariableSlug | StreamerSlug | FilterSlug | AliasSlug | DeviceScriptSlug
_TARGETS = (DeviceSlug, ProjectSlug, BlockSlug, StreamSlug, VariableSlug, FleetSlug, OrgTarget, UserTarget)
_NAMED: dict[str, type[OrgTarget] | type[UserTarget]] = {OrgTarget.sigil: OrgTarget, UserTarget.sigil: UserTarget}


def parse_any(text: str) -> AnySlug:
    """Dispatch on the prefix, as the server's get_object_by_slug does; bare ids are ambiguous here."""
    if not isinstance(text, str) or not text:
        _fail("iotile.cloud", text, "must be a non-empty string")
    if text[0] in _NAMED:
        return _NAMED[text[0]](text[1:])
    head, sep, _ = text.partition("--")
    if not sep or head not in _BY_PREFIX:
        _fail("iotile.cloud", text, f"unknown slug type, expected one of {', '.join(sorted(_BY_PREFIX))}, ^ or @")
    return cast("AnySlug", _BY_PREFIX[head].parse(text))


def parse_target(text: str, *, kinds: Collection[str] | None = None) -> Target:
    """The object a property or config attribute hangs on; config takes only CONFIG_TARGET_KINDS."""
    result = parse_any(text)
    allowed = TARGET_KINDS if kinds is None else kinds
    if not isinstance(result, _TARGETS) or result.kind not in allowed:
        _fail("target", text, f"a {result.kind} cannot be a target here")
    return result
