"""Wire codes stored as short strings, exactly as iotile.cloud spells them.

They are kept as strings (not Python enums) because they are the wire format: the API, the GUI and
exports pass them through untouched. Every column holding one has a named CHECK constraint built from
these tuples, so a typo fails at flush time instead of leaking into the database.
"""

from __future__ import annotations

ORG_ROLES = ("a0", "a1", "m1", "r1", "d1")
DEVICE_STATES = ("N0", "N1", "B0", "B1")  # inactive, active, busy resetting, busy archiving
HEALTH_STATES = ("UNK", "FAIL", "OK", "DSBL")
DEVICE_KEY_TYPES = ("USR", "SSH", "X-API-KEY", "A-JWT-KEY", "MQTT")
STREAM_DATA_TYPES = ("00", "D0", "E0", "E1", "E2", "E3")
MDO_TYPES = ("V", "S")  # m/d/o from the variable, or from the stream itself
PROPERTY_TYPES = ("int", "str", "bool")
NOTE_TYPES = ("sc", "si", "fi", "ui")  # system critical/info, filter, user
VERSION_TYPES = ("os", "sg")
TRIGGER_OPERATORS = ("bu", "eq", "ne", "le", "ge", "lt", "gt")
ACTION_TYPES = ("eml", "sms", "slk", "cus", "drv", "rpt", "smry")
ACTION_ON = ("entry", "exit")
JOB_STATUSES = ("queued", "running", "done", "failed", "cancelled")
