"""The database handle: one engine and session factory per add-on, plus the secret box.

``Store`` never creates tables (the migrations do). It makes SQLite usable from many threads,
turns on SQLite's foreign keys so ``ON DELETE CASCADE`` works, and pings PostgreSQL connections
before use so a restarted server does not fail the first request.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from addon.store.secrets import SecretBox


def normalise_url(url: str | URL) -> URL:
    """Parse a database URL; bare ``postgres://``/``postgresql://`` select the psycopg 3 driver."""
    parsed = make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def is_memory_sqlite(url: URL) -> bool:
    """True for a private in-memory SQLite database (``sqlite://`` or ``sqlite:///:memory:``)."""
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def _enable_sqlite_foreign_keys(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def _sqlite_wal(dbapi_connection: Any, connection_record: Any) -> None:
    """Write-ahead log, synced at checkpoints: a commit costs no fsync and readers never wait
    for the writer (every webhook writes its replay and delivery keys)."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(url: str | URL, *, foreign_keys: bool = True, **options: Any) -> Engine:
    """Create an engine with the framework's per-backend settings (see the module docstring)."""
    parsed = normalise_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        connect_args = dict(options.pop("connect_args", {}))
        connect_args.setdefault("check_same_thread", False)
        # Workers wait for each other's write lock (token minting holds it briefly).
        connect_args.setdefault("timeout", 30)
        options["connect_args"] = connect_args
        if is_memory_sqlite(parsed):
            # One shared connection, or every checkout would see a different empty database.
            options.setdefault("poolclass", StaticPool)
        elif parsed.database and not parsed.database.startswith("file:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    elif backend == "postgresql":
        options.setdefault("pool_pre_ping", True)
    engine = create_engine(parsed, **options)
    if backend == "sqlite" and foreign_keys:
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    if backend == "sqlite" and not is_memory_sqlite(parsed):
        event.listen(engine, "connect", _sqlite_wal)
    return engine


class Store:
    """Engine, session factory and :class:`SecretBox` of one add-on; share one per process."""

    def __init__(
        self, url: str | URL, secret_keys: str | Sequence[str], **engine_options: Any
    ) -> None:
        self.box = SecretBox(secret_keys)
        self.engine = make_engine(url, **engine_options)
        self.url = self.engine.url
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in a transaction: committed at the end of the block, rolled back on error."""
        session = self._sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, or after a fork)."""
        self.engine.dispose()

    def __repr__(self) -> str:
        return f"<Store {self.url.render_as_string(hide_password=True)}>"
