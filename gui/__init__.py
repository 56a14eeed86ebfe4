"""The PySide6 desktop program around the embedded appliance (see docs/gui.md)."""
