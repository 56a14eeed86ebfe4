"""``iotile-appliance catalogue ...``: export, import and re-add the default catalogue.

Like ``jobs``, these open only metadata.sqlite3 (SQLite takes several processes), so they work beside
a running appliance; its API shows the change at the next request.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from appliance.cli_support import metadata_only
from appliance.errors import ValidationError
from appliance.services.catalogue import Catalogue
from appliance.services.catalogue_writes import EXISTING_MODES, ImportCounts


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    catalogue = sub.add_parser("catalogue", help="export or import the catalogue (var types, templates, graphs)")
    catalogue.add_argument("--data-dir", type=Path, dest="sub_data_dir", help=argparse.SUPPRESS)
    cmd = catalogue.add_subparsers(dest="catalogue_command", required=True)
    export = cmd.add_parser("export", help="write the catalogue as JSON")
    export.add_argument("-o", "--output", type=Path, help="file to write (default: standard output)")
    imported = cmd.add_parser("import", help="import a catalogue JSON file, all or nothing")
    imported.add_argument("file", type=Path, help="the document ('-' reads standard input)")
    imported.add_argument("--existing", choices=EXISTING_MODES, default="update",
                          help="objects whose slug exists: update (default), skip, or refuse the whole file")
    cmd.add_parser("defaults", help="add the shipped default objects that are missing")


@asynccontextmanager
async def _catalogue(data_dir: Path | None) -> AsyncIterator[Catalogue]:
    async with metadata_only(data_dir) as store:
        yield Catalogue(store)


def _summary(counts: ImportCounts) -> str:
    parts = [f"{verb} " + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in numbers.items() if n)
             for verb, numbers in counts.as_json().items() if any(numbers.values())]
    return "; ".join(parts) or "nothing to do"


def _read(path: Path) -> bytes:
    return sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()


async def _import(catalogue: Catalogue, args: argparse.Namespace, out: Callable[[str], None]) -> None:
    try:
        raw = await asyncio.to_thread(_read, args.file)
    except OSError as err:
        raise ValidationError(f"cannot read {args.file}: {err}", key="unreadable") from err
    try:
        counts = await catalogue.import_json(raw, existing=args.existing)
    except ValidationError as err:
        for line in (err.detail or {}).get("errors", [])[1:]:
            out(f"  also: {line}")
        raise
    out(f"Imported: {_summary(counts)}")


async def run(args: argparse.Namespace, data_dir: Path | None, out: Callable[[str], None]) -> None:
    async with _catalogue(data_dir) as catalogue:
        if args.catalogue_command == "export":
            text = json.dumps(await catalogue.export_json(), indent=2, ensure_ascii=False)
            if args.output:
                await asyncio.to_thread(args.output.write_text, text + "\n", encoding="utf-8")
                out(f"Wrote {args.output}")
            else:
                out(text)
        elif args.catalogue_command == "import":
            await _import(catalogue, args, out)
        else:
            out(f"Default catalogue: {_summary(await catalogue.add_defaults())}")
