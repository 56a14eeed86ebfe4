"""PyInstaller entry point: the same CLI as the ``iotile-appliance`` console script."""

from __future__ import annotations

import sys

from appliance.cli import main

if __name__ == "__main__":
    sys.exit(main())
