"""pyqtgraph, bound to PySide6 whatever else is installed (the plotting twin of gui/qt.py)."""

from __future__ import annotations

import os

os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")

import pyqtgraph as pg  # noqa: E402 - the binding must be chosen before the import

pg.setConfigOptions(antialias=False, useNumba=False)  # antialiasing costs 3-10x on dense curves

__all__ = ["pg"]
