"""``?property=name`` and ``?property=name__value`` on the project and device lists, as SQL.

Properties hang on slug strings, not foreign keys, so the list's own row has to be spelled as its
slug inside the query (SQLite's ``printf``) to find its properties; the (target, name) unique index
then makes each check one probe. The targets are the canonical slugs the property service stores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, or_, select

from storage.metadata.models import GenericProperty

PROJECT_TARGET = "p--%04x-%04x"
DEVICE_TARGET = "d--%04x-%04x-%04x-%04x"


@dataclass(frozen=True)
class PropertyMatch:
    """A property name and, optionally, the value wanted as each type prints it.

    ``text`` is compared with every type's stored text; ``int_text``/``bool_text`` are the same value
    as an int or bool property would print it ("007" -> "7", "true" -> "True"), when it is one.
    """

    name: str
    text: str | None = None
    int_text: str | None = None
    bool_text: str | None = None


def _groups(column: Any, count: int) -> list[Any]:
    """The 16-bit groups of an integer id, most significant first, as a slug prints them."""
    return [column.op(">>")(16 * shift).op("&")(0xFFFF) for shift in reversed(range(count))]


def project_target(project_id: Any) -> Any:
    """The p-- slug of a project id column (the project gid is its id)."""
    return func.printf(PROJECT_TARGET, *_groups(project_id, 2))


def device_target(device_id: Any) -> Any:
    """The d-- slug of a device id column (live devices: block bits are 0)."""
    return func.printf(DEVICE_TARGET, *_groups(device_id, 4))


def _value_matches(match: PropertyMatch) -> ColumnElement[bool]:
    choices: list[ColumnElement[bool]] = [GenericProperty.str_value == match.text]
    if match.int_text is not None:
        choices.append(and_(GenericProperty.type == "int", GenericProperty.str_value == match.int_text))
    if match.bool_text is not None:
        choices.append(and_(GenericProperty.type == "bool", GenericProperty.str_value == match.bool_text))
    return or_(*choices)


def has_property(target: Any, match: PropertyMatch) -> ColumnElement[bool]:
    """EXISTS a property on ``target`` (a slug expression of the listed row) that matches."""
    conditions: list[ColumnElement[bool]] = [GenericProperty.target == target, GenericProperty.name == match.name]
    if match.text is not None:
        conditions.append(_value_matches(match))
    return exists(select(GenericProperty.id).where(*conditions))
