"""Alembic, driven from code: no alembic.ini, scripts found through importlib.resources.

The migration scripts ship inside the package (``storage/metadata/migrations``) so a PyInstaller
build carries them as data files and ``open()`` can upgrade any older metadata.sqlite3 it finds.
Developers create new revisions with ``python -m storage.metadata.migrate revision -m "..."``.
"""

from __future__ import annotations

import argparse
import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from storage.metadata.engine import MIGRATOR, create_sqlite_engine
from storage.metadata.errors import SchemaError
from storage.metadata.types import UTCDateTime

LOGGER = logging.getLogger(__name__)

# Tables other code creates in the same file; autogenerate and the model check must leave them be.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic hook: ignore tables we do not own (APScheduler's job store)."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our TypeDecorators as their plain SQL type, so old migrations never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


@contextmanager
def script_location() -> Iterator[Path]:
    """The migrations directory as a real path (it is one, in a checkout and in a PyInstaller build)."""
    with resources.as_file(resources.files("storage.metadata") / "migrations") as path:
        yield path


def alembic_config(location: Path, connection: Connection | None = None) -> Config:
    """A Config built in code; env.py takes the connection from ``attributes``."""
    config = Config()
    config.set_main_option("script_location", str(location))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    with script_location() as location:
        return ScriptDirectory.from_config(alembic_config(location)).get_current_head()


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(path: Path, *, busy_timeout_ms: int) -> None:
    """Create or upgrade the file to head, atomically, with foreign keys checked at the end.

    SQLite DDL is transactional, so the whole upgrade is one transaction: a crash halfway leaves the
    old schema intact. Foreign keys are off while batch migrations recreate tables (a DROP TABLE
    with them on would cascade-delete children) and verified with foreign_key_check before COMMIT.
    """
    engine = create_sqlite_engine(path, MIGRATOR, busy_timeout_ms=busy_timeout_ms, pool_size=0)
    try:
        _upgrade_with(engine)
    except (SQLAlchemyError, CommandError) as err:
        raise SchemaError(f"cannot bring {path} to the current schema: {err}") from err
    finally:
        engine.dispose()


def _upgrade_with(engine: Engine) -> None:
    with script_location() as location, engine.begin() as connection:
        config = alembic_config(location, connection)
        before = current_revision(connection)
        _refuse_unknown(ScriptDirectory.from_config(config), before)
        command.upgrade(config, "head")
        _check_foreign_keys(connection)
        after = current_revision(connection)
    if before != after:
        LOGGER.info("metadata schema upgraded from %s to %s", before or "empty", after)


def _refuse_unknown(scripts: ScriptDirectory, revision: str | None) -> None:
    if revision is None:
        return
    try:
        scripts.get_revision(revision)
    except CommandError as err:
        raise SchemaError(
            f"the metadata database is at schema revision {revision!r}, which this version does not "
            "know: it was written by a newer version of the appliance"
        ) from err


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.execute(text("PRAGMA foreign_key_check")).fetchall()
    if broken:
        raise SchemaError(f"migration left {len(broken)} broken foreign keys, e.g. {tuple(broken[0])}")


def make_revision(message: str, *, rev_id: str | None = None) -> None:
    """Autogenerate a revision from the models' difference to a database at the current head."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "head.sqlite3"
        upgrade(path, busy_timeout_ms=1000)
        engine = create_sqlite_engine(path, MIGRATOR, busy_timeout_ms=1000, pool_size=0)
        try:
            with script_location() as location, engine.begin() as connection:
                config = alembic_config(location, connection)
                command.revision(config, message=message, autogenerate=True, rev_id=rev_id)
        finally:
            engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m storage.metadata.migrate")
    sub = parser.add_subparsers(dest="command", required=True)
    revision = sub.add_parser("revision", help="autogenerate a new migration from the models")
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--rev-id", default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    make_revision(args.message, rev_id=args.rev_id)


if __name__ == "__main__":
    main()
