"""The one route table of the HTTP API."""

from __future__ import annotations

from aiohttp import web

from appliance.api.views import auth, jobs, server

API = "/api/v1"


def setup_routes(app: web.Application) -> None:
    app.router.add_get("/health/", server.health)
    app.router.add_get(f"{API}/health/", server.health)
    app.router.add_get(f"{API}/server/", server.server_info)
    app.router.add_post(f"{API}/auth/login/", auth.login)
    app.router.add_post(f"{API}/auth/logout/", auth.logout)
    app.router.add_get(f"{API}/auth/user-info/", auth.user_info)
    app.router.add_post(f"{API}/auth/token/", auth.drf_token)
    app.router.add_post(f"{API}/auth/api-jwt-auth/", auth.jwt_auth)
    app.router.add_post(f"{API}/auth/api-jwt-refresh/", auth.jwt_refresh)
    app.router.add_post(f"{API}/auth/api-jwt-verify/", auth.jwt_verify)
    app.router.add_get(f"{API}/pid/", jobs.job_list)
    app.router.add_post(f"{API}/pid/", jobs.job_lookup)
    app.router.add_get(f"{API}/pid/{{pid}}/", jobs.job_detail)
    app.router.add_post(f"{API}/pid/{{pid}}/cancel/", jobs.job_cancel)
