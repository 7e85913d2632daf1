"""The shared token cache and lock on Redis (``ADDON_REDIS_URL``), for many workers and hosts.

Workers on several hosts read a token from Redis without touching the database, and take a
Redis lock around minting so that one token is minted per (installation, scope set) however many
processes ask at once. Tokens are stored encrypted with the store's secret box, with a Redis
expiry at the token's own expiry, under a key prefix so several add-ons can share one Redis.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import redis
from redis.exceptions import RedisError

from addon.store.secrets import SecretBox, SecretError

TokenKey = tuple[str, str]
log = logging.getLogger("addon.store.redis_cache")


class CacheUnavailableError(RuntimeError):
    """Redis could not be reached; callers fall back to the database."""


class RedisTokenCache:
    """Tokens by (oauth_id, scope key) in Redis, plus a cross-process mint lock per key."""

    def __init__(
        self,
        url: str,
        box: SecretBox,
        *,
        prefix: str = "addon:",
        lock_timeout: float = 30.0,
        client: redis.Redis | None = None,
    ) -> None:
        self.redis = client if client is not None else redis.Redis.from_url(url)
        self.box = box
        self.prefix = prefix
        self.lock_timeout = lock_timeout

    def _key(self, kind: str, key: TokenKey) -> str:
        return f"{self.prefix}{kind}:{key[0]}:{key[1].replace(' ', ',')}"

    def get(self, key: TokenKey) -> tuple[str, float] | None:
        """The cached (token, expires_at epoch seconds) for ``key``; None if absent or Redis is
        down (the database still has it)."""
        try:
            raw = self.redis.get(self._key("token", key))
        except RedisError as exc:
            log.warning("token cache unavailable (%s); using the database", type(exc).__name__)
            return None
        if raw is None:
            return None
        expires_at, _, encrypted = raw.decode().partition("|")
        try:
            return self.box.decrypt(encrypted), float(expires_at)
        except (SecretError, ValueError):
            return None  # written under a key since dropped from ADDON_SECRET_KEY: a miss

    def put(self, key: TokenKey, token: str, expires_at: float, now: float) -> None:
        """Cache ``token`` until ``expires_at``; an already expired token is not stored."""
        ttl = int(expires_at - now)
        if ttl <= 0:
            return
        value = f"{expires_at}|{self.box.encrypt(token)}"
        try:
            self.redis.set(self._key("token", key), value, ex=ttl)
        except RedisError as exc:
            log.warning("token cache unavailable (%s); not cached", type(exc).__name__)

    def delete(self, key: TokenKey) -> None:
        """Forget one cached token (a warning when Redis is down: it expires by itself)."""
        try:
            self.redis.delete(self._key("token", key))
        except RedisError as exc:
            log.warning("token cache unavailable (%s); not forgotten", type(exc).__name__)

    def forget(self, oauth_id: str) -> None:
        """Forget every cached token of an installation."""
        pattern = f"{self.prefix}token:{oauth_id}:*"
        try:
            keys = list(self.redis.scan_iter(match=pattern, count=500))
            if keys:
                self.redis.delete(*keys)
        except RedisError as exc:
            log.warning("token cache unavailable (%s); not forgotten", type(exc).__name__)

    def purge(self) -> int:
        """Forget every cached token under this prefix; returns how many were dropped."""
        keys = list(self.redis.scan_iter(match=f"{self.prefix}token:*", count=500))
        return int(self.redis.delete(*keys)) if keys else 0

    @contextmanager
    def lock(self, key: TokenKey) -> Iterator[None]:
        """Hold the cross-process mint lock for ``key`` (expires by itself if a worker dies)."""
        lock = self.redis.lock(
            self._key("lock", key),
            timeout=self.lock_timeout,
            blocking_timeout=self.lock_timeout,
        )
        try:
            acquired = lock.acquire()
        except RedisError as exc:
            raise CacheUnavailableError(f"Redis lock unavailable: {type(exc).__name__}") from None
        if not acquired:
            raise TimeoutError(f"could not take the token lock for installation {key[0]}")
        try:
            yield
        finally:
            # A lock that expired while minting has nothing left to release.
            with suppress(RedisError):  # LockError included
                lock.release()
