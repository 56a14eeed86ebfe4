"""The raw limit for small uploads: an aiohttp handler that reads the same multipart and answers
201, nothing else. Run as a subprocess by bench/ingest.py: ``python bench/bare_upload_server.py PORT``."""

from __future__ import annotations

import sys

from aiohttp import web


async def upload(request: web.Request) -> web.Response:
    reader = await request.multipart()
    async for part in reader:
        await part.read()  # type: ignore[union-attr]
    return web.json_response({"count": 10}, status=201)


if __name__ == "__main__":
    app = web.Application(client_max_size=256 * 1024 * 1024)
    app.router.add_post("/api/v1/streamer/report/", upload)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
