"""Keys that may be used once until they expire: replayed JWT ids and duplicate deliveries.

``claim(kind, oauth_id, key, expires_at)`` records a key and says whether it was new. The first
claim wins, atomically, across threads, workers and hosts: in the database the primary key
(kind, oauth_id, key) decides, in Redis ``SET NX`` does. Expired keys may be claimed again;
the database purges them now and then, Redis lets them expire.

``claim_chain(keys)`` claims several keys in order in one round trip (a webhook's JWT id and its
delivery key), stopping at the first one already seen: the keys after it are not recorded.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple, Protocol

import redis
from flask import current_app
from sqlalchemy import delete, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from addon.store import Store
from addon.store.models import SeenKey

EXTENSION_KEY = "addon.once"
_MAX_KEY = 128
#: purge expired rows at most this often (seconds), from whichever request comes along
PURGE_INTERVAL = 60.0
_UNBUILT = object()
#: Redis: SET NX PX each key in order, stop at the first one that exists; returns how many were
#: set. One round trip, and atomic (a script runs alone), so a replayed JWT claims no delivery.
_CLAIM_CHAIN_LUA = """
for i, name in ipairs(KEYS) do
  if not redis.call('SET', name, '1', 'NX', 'PX', ARGV[i]) then
    return i - 1
  end
end
return #KEYS
"""


class OnceKey(NamedTuple):
    """One key to claim: what it is for, whose it is, the key, and when it may be reused."""

    kind: str
    oauth_id: str
    key: str
    expires_at: float


class OnceStore(Protocol):
    """Where seen keys live."""

    def claim(self, kind: str, oauth_id: str, key: str, expires_at: float) -> bool:
        """Record ``key``; True if it was not already recorded and unexpired."""
        ...  # pragma: no cover

    def claim_chain(self, keys: Sequence[OnceKey]) -> int:
        """Claim ``keys`` in order, atomically, stopping at the first one already seen (which
        and the ones after it stay unrecorded); returns how many were claimed."""
        ...  # pragma: no cover


def _bounded(key: str) -> str:
    """Keys longer than the column are replaced by their SHA-256 (the same key, the same hash)."""
    if len(key) <= _MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _delete_exactly(row: dict[str, Any]) -> Any:
    """DELETE of the one row with ``row``'s primary key."""
    return delete(SeenKey).where(
        SeenKey.kind == row["kind"], SeenKey.oauth_id == row["oauth_id"], SeenKey.key == row["key"]
    )


class DatabaseOnce:
    """Seen keys in the ``addon_seen_key`` table."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock
        self._next_purge = 0.0
        self._lock = threading.Lock()
        self._statement: Any = _UNBUILT
        self._sql: dict[int, str] = {}
        self._bind_expiry: Callable[[Any], Any] | None = None

    def claim(self, kind: str, oauth_id: str, key: str, expires_at: float) -> bool:
        """Insert the key; a primary-key clash with an unexpired row means it was seen."""
        return self.claim_chain([OnceKey(kind, oauth_id, key, expires_at)]) == 1

    def claim_chain(self, keys: Sequence[OnceKey]) -> int:
        """All keys in one transaction: one multi-row ``INSERT ... ON CONFLICT DO NOTHING
        RETURNING`` says which were new; only a clash looks for an expired row to replace."""
        if not keys:
            return 0
        now = self._clock()
        self._maybe_purge(now)
        rows = [
            {
                "kind": k.kind,
                "oauth_id": k.oauth_id,
                "key": _bounded(k.key),
                "expires_at": datetime.fromtimestamp(k.expires_at, UTC),
            }
            for k in keys
        ]
        statement = self._insert_new()
        if statement is None:
            return self._claim_chain_portably(rows, now)
        if self._insert_all_new(rows):
            return len(rows)  # the common case: one statement, one commit
        # A key was seen (or has expired): the same INSERT again, then the clashing keys one
        # by one, all in one transaction.
        with self.store.engine.begin() as connection:
            new = {tuple(row) for row in connection.execute(statement, rows)}
            if len(new) == len(rows):
                return len(rows)
            for claimed, row in enumerate(rows):
                ident = (row["kind"], row["oauth_id"], row["key"])
                if ident in new or self._replace_expired(connection, statement, row, now):
                    continue
                # Seen: the keys after it were inserted by this transaction; take them back.
                for later in rows[claimed + 1 :]:
                    if (later["kind"], later["oauth_id"], later["key"]) in new:
                        connection.execute(_delete_exactly(later))
                return claimed
        return len(rows)

    def _insert_all_new(self, rows: list[dict[str, Any]]) -> bool:
        """One multi-row ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` and one commit on the
        driver's own connection (SQLAlchemy's statement machinery cost as much as SQLite's
        work); rolled back and False unless every row was new."""
        sql = self._driver_sql(len(rows))
        if sql is None:
            return False
        to_db = self._bind_expiry
        params: list[Any] = []
        for row in rows:
            expires_at = row["expires_at"] if to_db is None else to_db(row["expires_at"])
            params += (row["kind"], row["oauth_id"], row["key"], expires_at)
        raw = self.store.engine.raw_connection()
        try:
            cursor = raw.cursor()
            try:
                cursor.execute(sql, params)
                all_new = len(cursor.fetchall()) == len(rows)
            finally:
                cursor.close()
            if all_new:
                raw.commit()
            else:
                raw.rollback()
            return all_new
        finally:
            raw.close()  # back to the pool, which rolls back whatever a failure left open

    def _driver_sql(self, count: int) -> str | None:
        """The fast path's SQL for ``count`` rows in the driver's placeholder style."""
        sql = self._sql.get(count)
        if sql is None:
            dialect = self.store.engine.dialect
            mark = {"qmark": "?", "format": "%s", "pyformat": "%s"}.get(dialect.paramstyle)
            if mark is None:
                return None
            column_type = SeenKey.__table__.c.expires_at.type.dialect_impl(dialect)
            self._bind_expiry = column_type.bind_processor(dialect)
            values = ", ".join([f"({mark}, {mark}, {mark}, {mark})"] * count)
            sql = (
                f'INSERT INTO {SeenKey.__tablename__} (kind, oauth_id, "key", expires_at) '
                f'VALUES {values} ON CONFLICT DO NOTHING RETURNING kind, oauth_id, "key"'
            )
            self._sql[count] = sql
        return sql

    def _insert_new(self) -> Any:
        """The dialect's ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (None if it has none)."""
        if self._statement is _UNBUILT:
            table = SeenKey.__table__
            name = self.store.engine.dialect.name
            dialect_insert = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}.get(name)
            self._statement = (
                None
                if dialect_insert is None
                else dialect_insert(table)
                .on_conflict_do_nothing()
                .returning(table.c.kind, table.c.oauth_id, table.c.key)
            )
        return self._statement

    @staticmethod
    def _replace_expired(connection: Any, statement: Any, row: dict[str, Any], now: float) -> bool:
        """Inside the claim's transaction: swap an expired row for ``row``; False if unexpired."""
        expired = connection.execute(
            _delete_exactly(row).where(SeenKey.expires_at <= datetime.fromtimestamp(now, UTC))
        )
        if not expired.rowcount:
            return False
        return bool(connection.execute(statement, [row]).first())

    def _claim_chain_portably(self, rows: list[dict[str, Any]], now: float) -> int:
        """Other databases: plain INSERTs in one transaction, a clash rolls back to a savepoint."""
        with self.store.engine.begin() as connection:
            for claimed, row in enumerate(rows):
                try:
                    with connection.begin_nested():
                        connection.execute(insert(SeenKey), row)
                    continue
                except IntegrityError:
                    pass
                try:
                    with connection.begin_nested():
                        gone = connection.execute(
                            _delete_exactly(row).where(
                                SeenKey.expires_at <= datetime.fromtimestamp(now, UTC)
                            )
                        )
                        if gone.rowcount:
                            connection.execute(insert(SeenKey), row)
                            continue
                except IntegrityError:
                    pass  # another worker re-claimed the expired key first
                return claimed
        return len(rows)

    def purge(self) -> int:
        """Delete every expired key; returns how many went."""
        cutoff = datetime.fromtimestamp(self._clock(), UTC)
        with self.store.session() as session:
            result = session.execute(delete(SeenKey).where(SeenKey.expires_at <= cutoff))
        return int(result.rowcount or 0)

    def _maybe_purge(self, now: float) -> None:
        with self._lock:
            if now < self._next_purge:
                return
            self._next_purge = now + PURGE_INTERVAL
        self.purge()


class RedisOnce:
    """Seen keys in Redis (``ADDON_REDIS_URL``), each expiring with its own deadline."""

    def __init__(self, client: redis.Redis, prefix: str = "addon:") -> None:
        self.redis = client
        self.prefix = prefix
        self._script = client.register_script(_CLAIM_CHAIN_LUA)

    def claim(self, kind: str, oauth_id: str, key: str, expires_at: float) -> bool:
        """``SET NX PX``: only the first setter of an unexpired key gets True."""
        ttl_ms = max(1, int((expires_at - time.time()) * 1000))
        name = f"{self.prefix}seen:{kind}:{oauth_id}:{_bounded(key)}"
        return bool(self.redis.set(name, b"1", nx=True, px=ttl_ms))

    def claim_chain(self, keys: Sequence[OnceKey]) -> int:
        """One script call: ``SET NX PX`` per key in order, stopping at the first one seen."""
        if not keys:
            return 0
        now = time.time()
        names = [f"{self.prefix}seen:{k.kind}:{k.oauth_id}:{_bounded(k.key)}" for k in keys]
        ttls = [max(1, int((k.expires_at - now) * 1000)) for k in keys]
        return int(self._script(keys=names, args=ttls))


def once_store() -> OnceStore:
    """The current app's OnceStore: Redis when ADDON_REDIS_URL is set, else the database."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        from addon.extension import runtime

        rt = runtime()
        if rt.settings.redis_url:
            client = redis.Redis.from_url(rt.settings.redis_url)
            found = RedisOnce(client, rt.settings.redis_prefix)
        else:
            found = DatabaseOnce(rt.store)
        found = app.extensions.setdefault(EXTENSION_KEY, found)
    return found
