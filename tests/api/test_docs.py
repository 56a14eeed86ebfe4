"""Every route the API serves is documented in docs/api.md or docs/api/<resource>.md."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from appliance.api import create_api
from appliance.app import Appliance


async def test_every_route_is_documented(appliance: Appliance) -> None:
    root = Path(__file__).parents[2] / "docs"
    docs = "\n".join(p.read_text() for p in [root / "api.md", *sorted((root / "api").glob("*.md"))])
    documented = set(re.findall(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)`", docs, re.M))
    app: Any = create_api(appliance)
    served = {(r.method, r.resource.canonical) for r in app.router.routes() if r.method != "HEAD" and r.resource}
    missing = served - documented
    assert not missing, f"routes missing from docs/api.md: {sorted(missing)}"
    stale = documented - served
    assert not stale, f"docs/api.md lists routes that do not exist: {sorted(stale)}"
