"""Device list and device detail requests/s over real HTTP, beside a bare aiohttp handler's rate.

Run: .venv/bin/python bench/registry.py [--devices 10000] [--projects 50] [--seconds 5] [--concurrency 4]
The appliance holds --devices devices claimed into --projects projects of one org; a member lists
them (pages of 1000, the server's default) and reads single devices, through an aiohttp client with
keep-alive and a few concurrent connections on 127.0.0.1. The raw limit printed beside each rate is a
bare aiohttp handler in the same process serving the same JSON (the same page, the same device) with
no authentication, no database and no permission checks, measured the same way in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from appliance.app import OWNER_EMAIL, Appliance
from appliance.services.auth import Principal


async def populate(appliance: Appliance, devices: int, projects: int) -> tuple[str, list[str]]:
    """One org owned by the first account, its projects, and the devices claimed round-robin."""
    owner = await appliance.accounts.find_by_email(OWNER_EMAIL)
    assert owner is not None
    org = await appliance.orgs.create("Bench Org", created_by_id=owner.id)
    access = await appliance.orgs.access_for(Principal("jwt", owner))
    made = [await appliance.projects.create(access, {"name": f"Line {n}", "org": org.slug}) for n in range(projects)]
    for start in range(0, devices, 2000):
        items = [{"id": n + 1, "label": f"Device {n + 1}", "project": made[n % projects].uuid}
                 for n in range(start, min(start + 2000, devices))]
        await appliance.devices.create(access, items)
    token = appliance.jwt.issue(owner.id, owner.username, owner.email)
    return token, [f"d--{(n + 1):016x}" for n in range(devices)]


async def rate(base: str, paths: Callable[[], str], headers: dict[str, str], seconds: float,
               concurrency: int) -> float:
    """Requests per second with ``concurrency`` keep-alive connections, each request awaited in turn."""
    done = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(base, connector=connector, headers=headers) as session:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with session.get(paths()) as resp:
                    assert resp.status == 200, await resp.text()
                    await resp.read()
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - started)


async def bare_server(page: Any, device: Any) -> tuple[web.AppRunner, str]:
    """The raw limit: aiohttp serving the same JSON documents, serialized per request."""
    app = web.Application()
    app.router.add_get("/page/", lambda request: _json(page))
    app.router.add_get("/device/", lambda request: _json(device))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]  # noqa: SLF001
    return runner, f"http://127.0.0.1:{port}"


async def _json(data: Any) -> web.Response:
    return web.json_response(data)


def grouped(slug: str) -> str:
    digits = slug[3:]
    return "d--" + "-".join(digits[i:i + 4] for i in range(0, 16, 4))


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        appliance = Appliance(Path(tmp) / "data", console_logging=False, overrides={
            "server.host": "127.0.0.1", "server.port": 0, "secrets.backend": "file", "logging.level": "WARNING"})
        await appliance.start()
        try:
            started = time.perf_counter()
            token, slugs = await populate(appliance, args.devices, args.projects)
            print(f"populated {args.devices} devices in {args.projects} projects in "  # noqa: T201
                  f"{time.perf_counter() - started:.1f} s")
            await measure(appliance.base_url, {"Authorization": f"jwt {token}"}, [grouped(s) for s in slugs], args)
        finally:
            await appliance.stop()


async def measure(base: str, headers: dict[str, str], slugs: list[str], args: argparse.Namespace) -> None:
    pages = max(1, (len(slugs) + 999) // 1000)
    async with aiohttp.ClientSession(base, headers=headers) as session:
        async with session.get("/api/v1/device/") as resp:
            page = (await resp.json())["results"]
        async with session.get(f"/api/v1/device/{slugs[0]}/") as resp:
            device = await resp.json()
    runner, bare = await bare_server(page, device)
    try:
        list_rate = await rate(base, lambda: f"/api/v1/device/?page={random.randint(1, pages)}", headers,  # noqa: S311
                               args.seconds, args.concurrency)
        bare_list = await rate(bare, lambda: "/page/", {}, args.seconds, args.concurrency)
        detail_rate = await rate(base, lambda: f"/api/v1/device/{random.choice(slugs)}/", headers,  # noqa: S311
                                 args.seconds, args.concurrency)
        bare_detail = await rate(bare, lambda: "/device/", {}, args.seconds, args.concurrency)
    finally:
        await runner.cleanup()
    print(f"device list (1000 per page): {list_rate:8.1f} req/s ({list_rate * len(page):,.0f} devices/s); "  # noqa: T201
          f"bare aiohttp same JSON {bare_list:8.1f} req/s; ratio {list_rate / bare_list:.2f}")
    print(f"device detail:               {detail_rate:8.1f} req/s; "  # noqa: T201
          f"bare aiohttp same JSON {bare_detail:8.1f} req/s; ratio {detail_rate / bare_detail:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--projects", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=4)
    asyncio.run(main(parser.parse_args()))
