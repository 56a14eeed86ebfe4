"""Reading a ``?property=`` list filter: ``name`` or ``name__value``.

iotile.cloud compares the raw stored text (so ``flag__true`` never finds a bool property, whose
text is "True") and ignores the filter when the value holds another ``__``. The appliance splits at
the first ``__`` and compares the value as the property's own type prints it: ``count__007`` finds
the int 7, ``flag__true`` the bool True, and a str property still needs the exact text.
"""

from __future__ import annotations

import re

from storage.metadata.repos.property_filters import PropertyMatch

SEPARATOR = "__"
_BOOLS = {"true": "True", "false": "False"}
_INT = re.compile(r"[+-]?[0-9]+")


def _int_text(value: str) -> str | None:
    text = value.strip()
    return str(int(text)) if _INT.fullmatch(text) else None


def parse_property_filter(text: str | None) -> PropertyMatch | None:
    """None for an absent or empty filter (django-filter skips empty values)."""
    if not text:
        return None
    name, sep, value = text.partition(SEPARATOR)
    if not sep:
        return PropertyMatch(name)
    return PropertyMatch(name, value, _int_text(value), _BOOLS.get(value.strip().lower()))
