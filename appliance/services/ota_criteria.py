"""Deployment selection criteria: ``type:op:value`` strings, ANDed, as iotile.cloud's OTA app uses them.

Types and operators are the server's (``os_tag``/``app_tag``/``controller_hw_tag`` with ``eq``;
``os_version``/``app_version`` with ``lt lte eq gt gte``). ``lteq``/``gteq`` are accepted too because
iotile-ext-cloud's OTA updater only understands those spellings. Versions compare on major.minor,
the only parts a device reports in its 5c08/5c09 readings.

A rule about something the appliance does not know for a device (no version reading yet, or the
controller hardware tag, which devices never report) does not rule the device out: the gateway
checks every criterion against the live device before it updates it (iotile-ext-cloud does).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from appliance.errors import ValidationError

MAX_CRITERIA = 32
MAX_LENGTH = 64  # the server's ArrayField(CharField(max_length=64))
TAG_MAX = (1 << 20) - 1  # tags are 20-bit in the 5c08/5c09 value
HW_TAG_MAX = (1 << 31) - 1
_VERSION = re.compile(r"[0-9]{1,9}\.[0-9]{1,9}(\.[0-9]{1,9})?")
_TAG = re.compile(r"[0-9]{1,10}")

_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge,
}
_ALIASES = {"lteq": "lte", "gteq": "gte"}
# criterion type -> (version kind it reads: "os", "sg" or None when never known, is it a tag?)
TYPES: Mapping[str, tuple[str | None, bool]] = {
    "os_tag": ("os", True), "app_tag": ("sg", True), "controller_hw_tag": (None, True),
    "os_version": ("os", False), "app_version": ("sg", False),
}


@dataclass(frozen=True)
class KnownVersion:
    """A device's current OS or app (sensor graph) version, from its latest 5c08/5c09 reading."""

    tag: int
    major: int
    minor: int


@dataclass(frozen=True)
class Rule:
    type: str
    op: str  # canonical: eq, lt, lte, gt, gte
    value: tuple[int, ...]  # (tag,) or (major, minor)

    @property
    def kind(self) -> str | None:
        return TYPES[self.type][0]

    def holds(self, versions: Mapping[str, KnownVersion]) -> bool:
        """False only when a known version contradicts the rule."""
        known = versions.get(self.kind) if self.kind else None
        if known is None:
            return True
        if TYPES[self.type][1]:
            return known.tag == self.value[0]
        return _COMPARE[self.op]((known.major, known.minor), self.value)


def _bad(text: object, why: str) -> ValidationError:
    message = f"selection_criteria: {text!r}: {why}"
    return ValidationError(message, key="bad_criteria", detail={"selection_criteria": message})


def parse_rule(text: object) -> Rule:
    if not isinstance(text, str):
        raise _bad(text, "each criterion must be a string")
    if len(text) > MAX_LENGTH:
        raise _bad(text, f"at most {MAX_LENGTH} characters")
    parts = text.split(":")
    if len(parts) != 3:
        raise _bad(text, "must be type:op:value")
    kind, op, value = parts
    if kind not in TYPES:
        raise _bad(text, f"type must be one of {', '.join(TYPES)}")
    op = _ALIASES.get(op, op)
    is_tag = TYPES[kind][1]
    if op not in (("eq",) if is_tag else tuple(_COMPARE)):
        raise _bad(text, f"{kind} does not take the operator {parts[1]!r}")
    if is_tag:
        limit = HW_TAG_MAX if kind == "controller_hw_tag" else TAG_MAX
        if not _TAG.fullmatch(value) or int(value) > limit:
            raise _bad(text, f"the value must be a whole number from 0 to {limit}")
        return Rule(kind, op, (int(value),))
    if not _VERSION.fullmatch(value):
        raise _bad(text, "the value must be a version such as 1.2 or 1.2.0")
    major, minor = value.split(".")[:2]
    return Rule(kind, op, (int(major), int(minor)))


def validate(value: object) -> list[str]:
    """The criteria of a request body, checked whole; stored as sent."""
    if not isinstance(value, list):
        raise _bad(value, "expected a list of strings")
    if len(value) > MAX_CRITERIA:
        raise _bad(f"{len(value)} items", f"at most {MAX_CRITERIA} criteria")
    for text in value:
        parse_rule(text)
    return list(value)


def rules(criteria: Iterable[str]) -> list[Rule]:
    return [parse_rule(text) for text in criteria]


def all_hold(criteria: Sequence[str], versions: Mapping[str, KnownVersion]) -> bool:
    return all(rule.holds(versions) for rule in rules(criteria))


def concerns(criteria: Sequence[str], kind: str) -> bool:
    """Whether a request is about ``kind`` ("os" or "sg"): it has a rule on it, or no rules at all."""
    parsed = rules(criteria)
    return not parsed or any(rule.kind == kind for rule in parsed)
