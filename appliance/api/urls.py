"""The API's base path, in one place."""

API = "/api/v1"
