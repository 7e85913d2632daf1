"""Keys that may be used once until they expire: replayed JWT ids and duplicate deliveries.

``claim(kind, oauth_id, key, expires_at)`` records a key and says whether it was new. The first
claim wins, atomically, across threads, workers and hosts: in the database the primary key
(kind, oauth_id, key) decides, in Redis ``SET NX`` does. Expired keys may be claimed again;
the database purges them now and then, Redis lets them expire.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

import redis
from flask import current_app
from sqlalchemy import delete, insert
from sqlalchemy.exc import IntegrityError

from addon.store import Store
from addon.store.models import SeenKey

EXTENSION_KEY = "addon.once"
_MAX_KEY = 128
#: purge expired rows at most this often (seconds), from whichever request comes along
PURGE_INTERVAL = 60.0


class OnceStore(Protocol):
    """Where seen keys live."""

    def claim(self, kind: str, oauth_id: str, key: str, expires_at: float) -> bool:
        """Record ``key``; True if it was not already recorded and unexpired."""
        ...  # pragma: no cover


def _bounded(key: str) -> str:
    """Keys longer than the column are replaced by their SHA-256 (the same key, the same hash)."""
    if len(key) <= _MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class DatabaseOnce:
    """Seen keys in the ``addon_seen_key`` table."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self._clock = clock
        self._next_purge = 0.0
        self._lock = threading.Lock()

    def claim(self, kind: str, oauth_id: str, key: str, expires_at: float) -> bool:
        """Insert the key; a primary-key clash with an unexpired row means it was seen."""
        key = _bounded(key)
        now = self._clock()
        self._maybe_purge(now)
        row = {
            "kind": kind,
            "oauth_id": oauth_id,
            "key": key,
            "expires_at": datetime.fromtimestamp(expires_at, UTC),
        }
        # The common case, a new key, is one INSERT in one short transaction (Core, no ORM
        # unit of work: this runs twice per webhook). Only a clash looks for an expired row.
        try:
            with self.store.engine.begin() as connection:
                connection.execute(insert(SeenKey), row)
            return True
        except IntegrityError:
            pass
        try:
            with self.store.engine.begin() as connection:
                expired = connection.execute(
                    delete(SeenKey).where(
                        SeenKey.kind == kind,
                        SeenKey.oauth_id == oauth_id,
                        SeenKey.key == key,
                        SeenKey.expires_at <= datetime.fromtimestamp(now, UTC),
                    )
                )
                if not expired.rowcount:
                    return False
                connection.execute(insert(SeenKey), row)
        except IntegrityError:
            return False  # another worker re-claimed the expired key first
        return True

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

    def claim(self, kind: str, oauth_id: str, key: str, expires_at: float) -> bool:
        """``SET NX PX``: only the first setter of an unexpired key gets True."""
        ttl_ms = max(1, int((expires_at - time.time()) * 1000))
        name = f"{self.prefix}seen:{kind}:{oauth_id}:{_bounded(key)}"
        return bool(self.redis.set(name, b"1", nx=True, px=ttl_ms))


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
