"""Command line: parse options, build the Appliance, start it, stop it. Nothing else lives here."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib.util
import os
import signal
import sys
from pathlib import Path
from typing import Any

from appliance import catalogue_cli
from appliance.app import OWNER_EMAIL, Appliance
from appliance.errors import ApplianceError, NotFound
from appliance.jobs import cli as jobs_cli
from appliance.runtime import settle_memory
from appliance.services import passwords
from appliance.version import __version__


def _out(text: str) -> None:
    """Console output that must not go to the log file (one-time passwords, addresses)."""
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="iotile-appliance",
                                     description="IOTile Appliance: iotile.cloud on one computer.")
    parser.add_argument("--data-dir", type=Path,
                        help="data directory (default: platform data dir, or $IOTILE_APPLIANCE_DATA_DIR)")
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="run headless: HTTP API and background services")
    serve.add_argument("--host", help="listen address (settings.toml server.host, default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="listen port (settings.toml server.port, default 8000)")
    serve.add_argument("--data-dir", type=Path, dest="sub_data_dir", help=argparse.SUPPRESS)
    init = sub.add_parser("init", help="create the data directory, its databases and the owner account")
    init.add_argument("--data-dir", type=Path, dest="sub_data_dir", help=argparse.SUPPRESS)
    user = sub.add_parser("user", help="manage accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True)
    create = user_sub.add_parser("create", help="create an account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", default="")
    create.add_argument("--username")
    create.add_argument("--staff", action="store_true", help="staff accounts have every permission")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--data-dir", type=Path, dest="sub_data_dir", help=argparse.SUPPRESS)
    _add_user_commands(user_sub)
    sub.add_parser("version", help="print the version")
    jobs_cli.add_parser(sub)
    catalogue_cli.add_parser(sub)
    return parser


def _add_user_commands(user_sub: Any) -> None:
    """Account upkeep without the HTTP API: for the operator who lost the only staff password."""
    listing = user_sub.add_parser("list", help="list accounts")
    listing.add_argument("--data-dir", type=Path, dest="sub_data_dir", help=argparse.SUPPRESS)
    passwd = user_sub.add_parser("passwd", help="set an account's password (revokes its Token keys)")
    passwd.add_argument("--email", required=True)
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.add_argument("--data-dir", type=Path, dest="sub_data_dir", help=argparse.SUPPRESS)
    for name, text in (("deactivate", "stop an account from signing in"), ("activate", "undo deactivate")):
        command = user_sub.add_parser(name, help=text)
        command.add_argument("--email", required=True)
        command.add_argument("--data-dir", type=Path, dest="sub_data_dir", help=argparse.SUPPRESS)


def _data_dir(args: argparse.Namespace) -> Path | None:
    sub: Path | None = getattr(args, "sub_data_dir", None)
    return sub or args.data_dir


def _announce_first_run(appliance: Appliance) -> None:
    if appliance.first_run_password:
        _out("=" * 64)
        _out(f"  First start: created the owner account {OWNER_EMAIL}")
        _out(f"  One-time password: {appliance.first_run_password}")
        _out("  Write it down now: it is not stored anywhere in readable form.")
        _out("=" * 64)


async def _serve(args: argparse.Namespace) -> None:
    overrides: dict[str, Any] = {"server.host": args.host, "server.port": args.port}
    appliance = Appliance(_data_dir(args), overrides=overrides)
    await appliance.start()
    settle_memory()
    _announce_first_run(appliance)
    for host, port in appliance.http_addresses:
        _out(f"IOTile Appliance serving http://{host}:{port}/api/v1/ (data: {appliance.data_dir.root})")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - Windows
            signal.signal(sig, lambda *_: loop.call_soon_threadsafe(stop.set))
    try:
        await stop.wait()
    finally:
        await appliance.stop()


async def _init(args: argparse.Namespace) -> None:
    appliance = Appliance(_data_dir(args), serve_http=False, run_jobs=False)
    await appliance.start()
    try:
        _announce_first_run(appliance)
        _out(f"Data directory ready: {appliance.data_dir.root}")
    finally:
        await appliance.stop()


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    """Returns (password, generated)."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise SystemExit("The passwords do not match.")
        return first, False
    return passwords.generate_password(), True


async def _user_create(args: argparse.Namespace) -> None:
    password, generated = _read_password(args)
    appliance = Appliance(_data_dir(args), serve_http=False, run_jobs=False)
    await appliance.start()
    try:
        account = await appliance.accounts.create(args.email, password, username=args.username,
                                                  name=args.name, is_staff=args.staff)
    finally:
        await appliance.stop()
    _out(f"Created {'staff ' if account.is_staff else ''}account {account.email} (username {account.username})")
    if generated:
        _out(f"Password: {password}")


async def _user_other(args: argparse.Namespace) -> None:
    password, generated = _read_password(args) if args.user_command == "passwd" else ("", False)
    appliance = Appliance(_data_dir(args), serve_http=False, run_jobs=False)
    await appliance.start()
    try:
        if args.user_command == "list":
            for row in (await appliance.accounts.page(limit=100_000))[1]:
                flags = ("staff " if row.is_staff else "") + ("" if row.is_active else "inactive")
                _out(f"{row.email}\t{row.username}\t{row.slug}\t{flags.strip()}")
            return
        account = await appliance.accounts.find_by_email(args.email)
        if account is None:
            raise NotFound(f"no account with e-mail {args.email}")
        if args.user_command == "passwd":
            await appliance.accounts.set_password(account.id, password, revoke_tokens=True)
        else:
            await appliance.accounts.set_active(account.id, args.user_command == "activate")
    finally:
        await appliance.stop()
    _out(f"{args.user_command}: done for {account.email}")
    if generated:
        _out(f"Password: {password}")


def _has_display() -> bool:
    if sys.platform in ("win32", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _run_default(args: argparse.Namespace) -> int:
    """No sub-command: the desktop program where there is a screen, else headless serving."""
    if _has_display() and importlib.util.find_spec("gui.app") is not None:
        gui_app = importlib.import_module("gui.app")  # Qt is imported only when there is a screen
        return int(gui_app.run_gui(_data_dir(args)))
    args.host = args.port = None
    asyncio.run(_serve(args))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command is None:
            return _run_default(args)
        if args.command == "version":
            _out(__version__)
        elif args.command == "serve":
            asyncio.run(_serve(args))
        elif args.command == "init":
            asyncio.run(_init(args))
        elif args.command == "user":
            asyncio.run(_user_create(args) if args.user_command == "create" else _user_other(args))
        elif args.command == "catalogue":
            asyncio.run(catalogue_cli.run(args, _data_dir(args), _out))
        elif args.command == "jobs":
            asyncio.run(jobs_cli.run(args, _data_dir(args), _out))
    except ApplianceError as err:
        sys.stderr.write(f"iotile-appliance: {err.message}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    return 0
