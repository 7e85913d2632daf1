"""Race-free writes: an ``INSERT ... ON CONFLICT DO UPDATE`` for SQLite and PostgreSQL.

Two workers writing the same row at once (two installs of one oauthId, two processes saving a
token) must end with one complete row, never an ``IntegrityError`` or a half-written row. Both
backends support the same upsert statement, so one helper serves both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


class UnsupportedBackendError(RuntimeError):
    """The database is neither SQLite nor PostgreSQL, so no portable upsert is known."""


def upsert(
    session: Session | Connection,
    model: Any,
    values: Mapping[str, Any],
    *,
    conflict: Sequence[str],
    keep: Sequence[str] = (),
) -> None:
    """Insert ``values`` into ``model``'s table, or update the row that has the same ``conflict``
    columns; columns named in ``keep`` (e.g. ``created_at``) keep their stored value."""
    bind = session.get_bind() if isinstance(session, Session) else session
    name = bind.dialect.name
    if name == "postgresql":
        insert = postgresql.insert
    elif name == "sqlite":
        insert = sqlite.insert
    else:
        raise UnsupportedBackendError(f"no upsert for the {name} backend")
    statement = insert(model.__table__).values(**values)
    updates = {
        column: statement.excluded[column]
        for column in values
        if column not in conflict and column not in keep
    }
    session.execute(statement.on_conflict_do_update(index_elements=list(conflict), set_=updates))
