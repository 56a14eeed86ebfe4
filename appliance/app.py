"""The Appliance: owns the data directory, settings, stores and services; start()/stop().

The constructor does no I/O. ``start()`` locks the data directory, opens the stores, makes sure an
owner account exists and (unless embedded without HTTP) serves the API. Both ``start()`` and
``stop()`` are idempotent; a failed start cleans up what it opened and raises StartupError.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp import web

from appliance.config import Settings, defaults, load_settings, save_settings
from appliance.datadir import DataDir, DataDirLock, default_data_dir
from appliance.errors import ApplianceError, StartupError
from appliance.events import Changes, EventBus
from appliance.ingest.chopped import FIX_CHOPPED_REPORT, schedule_fix
from appliance.ingest.pipeline import Ingest, user_key_secret
from appliance.ingest.reprocess import REPROCESS_STREAMER
from appliance.jobs.builtin import BUILTIN_KINDS
from appliance.jobs.compaction import COMPACT_STREAMS
from appliance.jobs.periodic import PeriodicScheduler
from appliance.jobs.queue import JobQueue
from appliance.logs import setup_logging
from appliance.services import passwords
from appliance.services.accounts import Accounts
from appliance.services.apikeys import ApiKeys
from appliance.services.auth import Authenticator
from appliance.services.catalogue import Catalogue
from appliance.services.data import Readings
from appliance.services.data_arrays import ReadingArrays
from appliance.services.datablocks import DataBlocks
from appliance.services.datablocks_jobs import DATABLOCK_JOB_KINDS
from appliance.services.datablocks_mask import BlockMasks
from appliance.services.device_maintenance import DeviceMaintenance
from appliance.services.devices import DEVICE_JOB_KINDS, Devices
from appliance.services.health import DEVICE_HEALTH_CHECK
from appliance.services.invitations import Invitations
from appliance.services.jwt_codec import SIGNING_KEY_SECRET, JwtCodec, new_signing_key
from appliance.services.mailer import PASSWORD_SECRET as SMTP_PASSWORD_SECRET
from appliance.services.mailer import Mailer, config_from_settings
from appliance.services.orgs import Orgs
from appliance.services.ota import Ota
from appliance.services.projects import Projects
from appliance.services.streamers import Streamers
from appliance.services.streams import Streams
from storage.blobs import BlobStore
from storage.metadata import MetadataStore
from storage.rawlog import RawLog
from storage.secrets import SecretStore, SecretStoreError, open_secret_store
from storage.streams import StreamStore
from storage.streams.compaction import Policy

LOGGER = logging.getLogger(__name__)
OWNER_EMAIL = "owner@appliance.local"


class Appliance:
    def __init__(self, data_dir: Path | None = None, *, overrides: Mapping[str, Any] | None = None,
                 serve_http: bool = True, run_jobs: bool = True, console_logging: bool = True) -> None:
        self.data_dir = DataDir(Path(data_dir) if data_dir else default_data_dir())
        self.settings: Settings = defaults()
        self.events = EventBus()
        self.metadata = MetadataStore(self.data_dir.metadata)
        self.streams = StreamStore(self.data_dir.streams)
        self.blobs = BlobStore(self.data_dir.blobs)
        self.jobs = JobQueue(self.metadata, self.events)
        self.accounts = Accounts(self.metadata)
        self.orgs = Orgs(self.metadata)
        self.invitations = Invitations(self.metadata)
        self.apikeys = ApiKeys(self.metadata)
        self.catalogue = Catalogue(self.metadata)
        self.projects = Projects(self.metadata, self.streams, self.events)
        self.devices = Devices(self.metadata, self.streams, self.jobs, self.events, self.blobs)
        self.stream_ids = Streams(self.metadata, self.events)
        self.streamers = Streamers(self.metadata)
        self.datablocks = DataBlocks(self.metadata, self.streams, self.jobs, self.events)
        self.block_masks = BlockMasks(self.metadata, self.streams, self.events)
        self.maintenance = DeviceMaintenance(self.metadata, self.streams, self.jobs, self.events)  # API and GUI
        self.reading_arrays = ReadingArrays(self.metadata, self.streams)  # columnar reads: plots, exports
        self.rawlog = RawLog(self.data_dir.blobs / "raw")
        self.ingest = Ingest(self.metadata, self.streams, self.blobs, self.rawlog, self.events, self._user_key)
        self.ota = Ota(self.metadata, self.blobs)
        self.ingest.version_hooks.append(self.ota.confirm_in)  # deployments confirmed by reported versions
        self.ingest.on_chopped = lambda report_uuid: schedule_fix(self.jobs, report_uuid)
        self.streamers.bind_ledger(self.ingest.ledger)
        for kind in (*BUILTIN_KINDS, *DEVICE_JOB_KINDS, *DATABLOCK_JOB_KINDS, REPROCESS_STREAMER, DEVICE_HEALTH_CHECK,
                     COMPACT_STREAMS, FIX_CHOPPED_REPORT):
            self.jobs.register(kind)
        self._overrides = dict(overrides or {})
        self._serve_http = serve_http
        self._run_jobs = run_jobs
        self._periodic: PeriodicScheduler | None = None
        self._console_logging = console_logging
        self._lock = DataDirLock(self.data_dir.lock)
        self._runner: web.AppRunner | None = None
        self._started = False
        self.secrets: SecretStore | None = None
        self.first_run_password: str | None = None
        self.http_addresses: list[tuple[str, int]] = []

    # -- set by start(): they need the signing key from secrets ---------------------------------
    jwt: JwtCodec
    authenticator: Authenticator
    readings: Readings

    @property
    def started(self) -> bool:
        return self._started

    @property
    def port(self) -> int:
        if not self.http_addresses:
            raise RuntimeError("the HTTP server is not running")
        return self.http_addresses[0][1]

    @property
    def base_url(self) -> str:
        host, port = self.http_addresses[0]
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison
        return f"http://{host}:{port}"

    async def start(self) -> None:
        if self._started:
            return
        try:
            await self._open()
            await self._start_services()
            if self._run_jobs:
                await self._start_background()
            if self._serve_http:
                await self._start_http()
        except BaseException as err:
            await self._close()
            if isinstance(err, ApplianceError):
                raise StartupError(err.message, key=err.key) from err
            if isinstance(err, (OSError, SecretStoreError)):
                raise StartupError(f"cannot start: {err}", key="startup") from err
            raise
        self._started = True
        LOGGER.info("IOTile Appliance started on %s", self.data_dir.root)

    async def stop(self) -> None:
        if not self._started and not self._lock.held:
            return
        await self._close()
        self._started = False
        LOGGER.info("IOTile Appliance stopped")

    def health(self) -> dict[str, Any]:
        return {"ok": self._started, "data_dir": str(self.data_dir.root),
                "secrets": self.secrets.kind if self.secrets else None}

    async def _open(self) -> None:
        self.data_dir.create()
        self._lock.acquire()
        first = not self.data_dir.settings.exists()
        self.settings = load_settings(self.data_dir.settings).with_overrides(self._overrides)
        if first:
            save_settings(self.data_dir.settings, load_settings(self.data_dir.settings))
        setup_logging(self.data_dir.logs, self.settings["logging.level"], console=self._console_logging)
        self.secrets = await asyncio.to_thread(open_secret_store, self.data_dir.root,
                                               self.settings["secrets.backend"])
        await asyncio.to_thread(self.metadata.open)
        self.streams.policy = Policy(first=self.settings["streams.compact_rows"],
                                     fanout=self.settings["streams.compact_fanout"])
        await asyncio.to_thread(self.streams.open)
        await asyncio.to_thread(self.rawlog.open)

    async def _start_services(self) -> None:
        assert self.secrets is not None
        key = await asyncio.to_thread(self.secrets.get, SIGNING_KEY_SECRET)
        if not key:
            key = new_signing_key()
            await asyncio.to_thread(self.secrets.set, SIGNING_KEY_SECRET, key)
        self.jwt = JwtCodec(key, timedelta(seconds=self.settings["auth.jwt_expiry_seconds"]),
                            timedelta(seconds=self.settings["auth.jwt_refresh_seconds"]))
        self.readings = Readings(self.metadata, self.streams, self.blobs, self.events,
                                 payload_limit=int(self.settings["server.max_upload_bytes"]))
        self.authenticator = Authenticator(self.accounts, self.jwt)
        self.authenticator.register("api-key", self.apikeys.authenticate)
        self.authenticator.register("a-jwt", self.devices.authenticate_device_token)
        # a device made inactive or unclaimed must lose its a-jwt sign-in at once, not after the cache
        self.events.subscribe(Changes, lambda c: self.authenticator.forget() if c.devices or c.orgs else None)
        self.devices.bind_secrets(self.secrets)
        self.invitations.bind_mailer(await self.current_mailer())
        await self._ensure_owner()
        if self.settings["catalogue.seed_defaults"]:
            await self.catalogue.ensure_defaults()
        await self.ingest.follower.start()

    async def current_mailer(self) -> Mailer:
        """Built from the current settings each time it is asked for, so SMTP changes apply without a
        restart; the password is read from secrets only when mail is configured."""
        if config_from_settings(self.settings.values, None) is None:
            return Mailer()
        password = await asyncio.to_thread(self.secrets.get, SMTP_PASSWORD_SECRET) if self.secrets else None
        return Mailer(config_from_settings(self.settings.values, password))

    def _user_key(self, device_id: int) -> bytes | None:
        """A device's 32-byte user key (signature flag 1), kept in secrets as hex."""
        stored = self.secrets.get(user_key_secret(device_id)) if self.secrets else None
        return bytes.fromhex(stored) if stored else None

    async def _start_background(self) -> None:
        await self.jobs.start(self, workers=self.settings["jobs.workers"],
                              poll_interval=self.settings["jobs.poll_seconds"])
        self._periodic = PeriodicScheduler(self.data_dir.metadata, self.jobs, self.settings)
        await asyncio.to_thread(self._periodic.start, asyncio.get_running_loop())

    async def _ensure_owner(self) -> None:
        """First start: an owner (staff) account with a password shown once, never logged."""
        if await self.accounts.count():
            return
        password = passwords.generate_password()
        await self.accounts.create(OWNER_EMAIL, password, username="owner", name="Owner", is_staff=True)
        self.first_run_password = password
        LOGGER.warning("Created the first account %s; its password is shown on the console only", OWNER_EMAIL)

    async def _start_http(self) -> None:
        from appliance.api import create_api  # the API imports services, not the other way round

        self._runner = web.AppRunner(create_api(self), access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.settings["server.host"], self.settings["server.port"],
                           reuse_address=True)
        await site.start()
        self.http_addresses = [sock.getsockname()[:2] for sock in _sockets(site)]
        LOGGER.info("HTTP API listening on %s", ", ".join(f"{h}:{p}" for h, p in self.http_addresses))

    async def _close(self) -> None:
        if self._runner is not None:
            await _bounded("the HTTP server", self._runner.cleanup())
            self._runner = None
        self.http_addresses = []
        if self._periodic is not None:
            await _bounded("the scheduler", asyncio.to_thread(self._periodic.stop))
            self._periodic = None
        await _bounded("the job runner", self.jobs.stop())
        if self.metadata.is_open and self.streams.is_open:
            await _bounded("the ledger follower", self.ingest.follower.stop())
        try:
            for close in (self.rawlog.close, self.streams.close, self.metadata.close):
                await _close_quietly(close)
        finally:
            self._lock.release()  # whatever failed above, the next start must not find the directory locked


SHUTDOWN_STEP_SECONDS = 90.0


async def _bounded(name: str, step: Awaitable[Any]) -> None:
    """Quitting must never hang: a shutdown step that outlives its time is left behind (the stores
    still close; a job it was running is queued again at the next start), and the tasks still
    pending are logged so the cause can be found."""
    task = asyncio.ensure_future(step)
    done, _ = await asyncio.wait({task}, timeout=SHUTDOWN_STEP_SECONDS)
    if done:
        task.result()
        return
    task.cancel()
    pending = [t for t in asyncio.all_tasks() if not t.done() and t is not asyncio.current_task()]
    LOGGER.error("stopping %s took over %.0f s; going on. Pending tasks:\n%s", name, SHUTDOWN_STEP_SECONDS,
                 "\n".join(f"{t.get_name()}: {t.get_coro()!r} at {_where(t)}" for t in pending))


def _where(task: asyncio.Task[Any]) -> str:
    frames = task.get_stack(limit=1)
    return f"{frames[-1].f_code.co_filename}:{frames[-1].f_lineno}" if frames else "?"


async def _close_quietly(close: Any, attempts: int = 50) -> None:
    """A store whose file is busy (a read still running) is retried briefly; a store that still
    fails is logged and the others are closed anyway."""
    for attempt in range(attempts):
        try:
            await asyncio.to_thread(close)
            return
        except Exception as err:  # noqa: BLE001 - shutdown must go on; the error is logged
            if attempt == attempts - 1:
                LOGGER.error("closing %s failed: %s", getattr(close, "__qualname__", close), err)
                return
            await asyncio.sleep(0.1)


def _sockets(site: web.TCPSite) -> list[Any]:
    server = site._server  # noqa: SLF001 - aiohttp exposes the bound port only here
    return list(getattr(server, "sockets", None) or [])
