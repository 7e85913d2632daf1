"""Run the Alembic migrations in ``migrations/`` from code: upgrade, downgrade, inspect.

The Alembic ``Config`` is built here (no ``alembic.ini`` needed); the migrations directory is found
next to the ``addon`` package. Targets are URLs, or an existing ``Engine`` (e.g. ``store.engine``,
needed for an in-memory SQLite database, which exists only inside its own engine).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, Engine

import addon
from addon.store.database import make_engine

VERSION_TABLE = "addon_alembic_version"

Target = str | URL | Engine


class MigrationsNotFoundError(RuntimeError):
    """The ``migrations/`` directory is not where the package expects it (e.g. a wheel install)."""


def migrations_dir() -> Path:
    """The directory holding ``env.py`` and ``versions/``: ``<repo>/migrations``."""
    path = Path(addon.__file__).resolve().parent.parent / "migrations"
    if not (path / "env.py").is_file():
        raise MigrationsNotFoundError(
            f"Alembic migrations not found at {path}; run from a source checkout "
            "(pip install -e .) so that migrations/ sits next to the addon package"
        )
    return path


def alembic_config(url: str | URL | None = None) -> Config:
    """An Alembic Config for this project's migrations; ``url`` is set as ``sqlalchemy.url``."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if url is not None:
        rendered = url.render_as_string(hide_password=False) if isinstance(url, URL) else url
        config.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return config


@contextmanager
def _connect(target: Target) -> Iterator[Connection]:
    """A connection to ``target`` with SQLite foreign keys off (needed for batch table copies)."""
    engine = target if isinstance(target, Engine) else make_engine(target, foreign_keys=False)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            previous = None
            if sqlite:
                previous = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            try:
                yield connection
            finally:
                if sqlite and previous:
                    connection.rollback()
                    connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                    connection.commit()
    finally:
        if engine is not target:
            engine.dispose()


def _run(target: Target, action: str, revision: str) -> None:
    with _connect(target) as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        getattr(command, action)(config, revision)
        connection.commit()


def upgrade(url: Target, revision: str = "head") -> None:
    """Migrate the database at ``url`` up to ``revision`` (default: the newest)."""
    _run(url, "upgrade", revision)


def downgrade(url: Target, revision: str = "base") -> None:
    """Migrate the database at ``url`` down to ``revision`` (default: drop everything)."""
    _run(url, "downgrade", revision)


def head_revision() -> str | None:
    """The newest revision in ``migrations/versions``."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(url: Target) -> str | None:
    """The revision the database at ``url`` is at, or None when it was never migrated."""
    with _connect(url) as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        return context.get_current_revision()


def is_current(url: Target) -> bool:
    """True when the database at ``url`` is migrated to the newest revision."""
    with _connect(url) as connection:
        context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
        current = set(context.get_current_heads())
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    return current == heads
