"""Declarative request fields for the registry (projects, devices, variables, streams).

Each writable field is one row: its name and the function that turns a JSON value into a clean
Python value or raises a ValidationError naming the field. Services (not only the HTTP layer) run
bodies through these rows so the GUI gets the same refusals. Unlike DRF, a field nobody knows is
refused (a typo must not look like success); fields the server writes itself (``slug``,
``created_on``...) are ignored, so a client can PATCH back an object it just read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from appliance.errors import ValidationError

Parser = Callable[[str, Any], Any]

_TRUE = frozenset({"true", "True", "1", "yes"})
_FALSE = frozenset({"false", "False", "0", "no"})


def invalid(name: str, message: str) -> ValidationError:
    return ValidationError(f"{name}: {message}", key="invalid_field", detail={name: message})


@dataclass(frozen=True)
class Spec:
    """The fields of one body: writable rows, server-written names, and those a create needs."""

    fields: Mapping[str, Parser]
    read_only: frozenset[str] = frozenset()
    required: frozenset[str] = frozenset()

    def parse(self, data: Mapping[str, Any], *, partial: bool = True) -> dict[str, Any]:
        unknown = sorted(set(data) - set(self.fields) - self.read_only)
        if unknown:
            raise ValidationError(f"unknown field(s): {', '.join(unknown)}", key="unknown_field",
                                  detail={name: "unknown field" for name in unknown})
        if not partial:
            missing = sorted(name for name in self.required if data.get(name) in (None, ""))
            if missing:
                raise ValidationError(f"{missing[0]}: this field is required", key="missing_field",
                                      detail={name: "required" for name in missing})
        return {name: self.fields[name](name, value) for name, value in data.items() if name in self.fields}


def text(max_length: int, *, blank: bool = True) -> Parser:
    def parse(name: str, value: Any) -> str:
        if not isinstance(value, str):
            raise invalid(name, "expected text")
        if not blank and not value.strip():
            raise invalid(name, "may not be blank")
        if len(value) > max_length:
            raise invalid(name, f"at most {max_length} characters")
        return value

    return parse


def integer(low: int, high: int) -> Parser:
    def parse(name: str, value: Any) -> int:
        number = value
        if isinstance(value, str) and value.isascii() and value.strip().lstrip("-").isdigit():
            number = int(value)
        if isinstance(number, bool) or not isinstance(number, int):
            raise invalid(name, "expected a whole number")
        if not low <= number <= high:
            raise invalid(name, f"must be from {low} to {high}")
        return number

    return parse


def number(low: float, high: float) -> Parser:
    def parse(name: str, value: Any) -> float:
        result = value
        if isinstance(value, str):
            try:
                result = float(value)
            except ValueError:
                raise invalid(name, "expected a number") from None
        if isinstance(result, bool) or not isinstance(result, (int, float)) or not math.isfinite(result):
            raise invalid(name, "expected a number")
        if not low <= result <= high:
            raise invalid(name, f"must be from {low:g} to {high:g}")
        return float(result)

    return parse


def boolean(name: str, value: Any) -> bool:
    """JSON booleans, and the strings a form body or query string carries (as DRF accepts)."""
    if isinstance(value, bool):
        return value
    if value in (0, 1) or (isinstance(value, str) and value in _TRUE | _FALSE):
        return value in (1, *_TRUE)
    raise invalid(name, "expected true or false")


def choice(values: Collection[str]) -> Parser:
    def parse(name: str, value: Any) -> str:
        if value not in values:
            raise invalid(name, f"must be one of {', '.join(sorted(values))}")
        return str(value)

    return parse


def nullable(inner: Parser) -> Parser:
    def parse(name: str, value: Any) -> Any:
        return None if value is None else inner(name, value)

    return parse


def text_list(max_items: int, item: Parser) -> Parser:
    def parse(name: str, value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise invalid(name, "expected a list")
        if len(value) > max_items:
            raise invalid(name, f"at most {max_items} items")
        return [item(name, entry) for entry in value]

    return parse


def ignored(name: str, value: Any) -> None:
    """Fields iotile.cloud has but the appliance does not store; accepted so clients still work."""
    return None
