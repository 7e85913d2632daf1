"""Add-on tokens: ``client_credentials`` tokens per (installation, scope set), minted once, reused.

HipChat's token endpoint is rate limited like the rest of the API, so a token is minted once and
kept until ``expires_in`` minus a margin (HIPCHAT.md §3.1). Three layers, cheapest first: this
process's memory; the database (shared by every worker and host); HipChat. A lock per key makes
concurrent demand in one process mint a single token. A 401 from the token endpoint means HipChat
no longer knows the installation's credentials: the installation is deleted (§2.4).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NoReturn

import requests
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from addon.hipchat import HipChat, HipChatError, UnauthorizedError
from addon.store import Installation, Store, Token, scope_key
from addon.store.redis_cache import CacheUnavailableError, RedisTokenCache
from addon.store.upsert import upsert

log = logging.getLogger("addon.tokens")


class InstallationGoneError(Exception):
    """HipChat refused the installation's credentials: it was uninstalled on HipChat's side."""

    def __init__(self, oauth_id: str) -> None:
        super().__init__(f"installation {oauth_id} is no longer known to HipChat")
        self.oauth_id = oauth_id


@dataclass(frozen=True)
class Grant:
    """A minted token and what HipChat said about it."""

    access_token: str
    expires_in: int
    scopes: str
    group_id: int | None = None
    group_name: str | None = None


def mint(
    *,
    oauth_id: str,
    secret: str,
    token_url: str,
    api_url: str,
    scopes: Iterable[str],
    http: requests.Session,
    timeout: float,
    verify: bool | str = True,
) -> Grant:
    """Ask HipChat for a client_credentials token; raises the client's typed errors."""
    hc = HipChat(base_url=api_url, timeout=timeout, max_retries=2, verify=verify, session=http)
    key = scope_key(scopes)
    response = hc.session().create_oauth(
        oauth_id, secret, "client_credentials", scope=key.split(), token_url=token_url
    )
    data = response.data if isinstance(response.data, dict) else {}
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise HipChatError(
            "the token endpoint answered without an access_token",
            status=response.status_code,
            response=response,
        )
    expires_in = data.get("expires_in")
    group_id = data.get("group_id")
    return Grant(
        access_token=token,
        expires_in=int(expires_in) if isinstance(expires_in, int | float) else 3600,
        scopes=key,
        group_id=int(group_id) if isinstance(group_id, int) else None,
        group_name=data.get("group_name") if isinstance(data.get("group_name"), str) else None,
    )


class TokenManager:
    """Hands out valid tokens for installations; one per app, shared by its threads.

    Minting is serialised per (installation, scope set) across processes: with Redis by a Redis
    lock, otherwise by a database lock (``SELECT ... FOR UPDATE`` on the installation row on
    PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) held around the check-then-mint.
    """

    def __init__(
        self,
        store: Store,
        http: requests.Session,
        *,
        timeout: float = 10.0,
        verify: bool | str = True,
        margin: int = 60,
        clock: Callable[[], float] = time.time,
        cache: RedisTokenCache | None = None,
    ) -> None:
        self.store = store
        self.http = http
        self.timeout = timeout
        self.verify = verify
        self.margin = margin
        self.clock = clock
        self.cache = cache
        self._memory: dict[tuple[str, str], tuple[str, float]] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def token(self, installation: Installation, scopes: Iterable[str] | None = None) -> str:
        """A token for ``installation`` with ``scopes`` (default: all it was granted)."""
        key = (installation.oauth_id, scope_key(scopes or installation.scope_list))
        cached = self._fresh(key)
        if cached:
            return cached
        with self._lock_for(key):
            cached = self._fresh(key) or self._shared(key)
            if cached:
                return cached
            if self.cache is not None:
                try:
                    with self.cache.lock(key):
                        cached = self._shared(key)
                        if cached:
                            return cached
                        grant = self._mint_or_forget(installation, key)
                        self._save(key, grant.access_token, self.clock() + grant.expires_in)
                        return grant.access_token
                except CacheUnavailableError as exc:
                    log.warning("%s; locking in the database instead", exc)
            return self._mint_under_database_lock(installation, key)

    def remember(self, oauth_id: str, grant: Grant) -> None:
        """Keep a token minted elsewhere (the install proof) so it is not minted again."""
        expires_at = self.clock() + grant.expires_in
        self._save((oauth_id, grant.scopes), grant.access_token, expires_at)

    def forget(self, oauth_id: str) -> None:
        """Drop the cached tokens of an installation (the database rows cascade away)."""
        with self._guard:
            for key in [k for k in self._memory if k[0] == oauth_id]:
                del self._memory[key]
        if self.cache is not None:
            self.cache.forget(oauth_id)

    def invalidate(self, installation: Installation, scopes: Iterable[str] | None = None) -> None:
        """Forget one token everywhere, e.g. after HipChat answered 401 to it."""
        key = (installation.oauth_id, scope_key(scopes or installation.scope_list))
        with self._guard:
            self._memory.pop(key, None)
        if self.cache is not None:
            self.cache.delete(key)
        with self.store.session() as session:
            session.execute(delete(Token).where(Token.oauth_id == key[0], Token.scopes == key[1]))

    def _lock_for(self, key: tuple[str, str]) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def _fresh(self, key: tuple[str, str]) -> str | None:
        entry = self._memory.get(key)
        if entry is not None and entry[1] - self.margin > self.clock():
            return entry[0]
        return None

    def _keep_in_memory(self, key: tuple[str, str], token: str, expires_at: float) -> None:
        with self._guard:
            self._memory[key] = (token, expires_at)

    def _shared(self, key: tuple[str, str]) -> str | None:
        """A fresh token from Redis (when configured), else from the database."""
        if self.cache is not None:
            entry = self.cache.get(key)
            if entry is not None and entry[1] - self.margin > self.clock():
                self._keep_in_memory(key, *entry)
                return entry[0]
        with self.store.session() as session:
            found = self._from_row(session, key)
        if found is not None and self.cache is not None:
            self.cache.put(key, found[0], found[1], self.clock())
        return found[0] if found else None

    def _from_row(self, session: Session, key: tuple[str, str]) -> tuple[str, float] | None:
        row = session.scalar(select(Token).where(Token.oauth_id == key[0], Token.scopes == key[1]))
        if row is None:
            return None
        expires_at = row.expires_at.timestamp()
        if expires_at - self.margin <= self.clock():
            return None
        token = self.store.box.decrypt(row.access_token_encrypted)
        self._keep_in_memory(key, token, expires_at)
        return token, expires_at

    def _mint_under_database_lock(self, installation: Installation, key: tuple[str, str]) -> str:
        gone = False
        with self.store.session() as session:
            lock_installation(session, key[0])
            found = self._from_row(session, key)
            if found is not None:
                return found[0]
            try:
                grant = self._mint(installation, key)
            except UnauthorizedError:
                session.execute(delete(Installation).where(Installation.oauth_id == key[0]))
                gone = True
            else:
                expires_at = self.clock() + grant.expires_in
                self._write_row(session, key, grant.access_token, expires_at)
        if gone:
            self._gone(installation.oauth_id)
        self._keep_in_memory(key, grant.access_token, expires_at)
        return grant.access_token

    def _mint_or_forget(self, installation: Installation, key: tuple[str, str]) -> Grant:
        try:
            return self._mint(installation, key)
        except UnauthorizedError:
            with self.store.session() as session:
                session.execute(
                    delete(Installation).where(Installation.oauth_id == installation.oauth_id)
                )
            self._gone(installation.oauth_id)

    def _gone(self, oauth_id: str) -> NoReturn:
        log.warning(
            "token endpoint refused installation=%s: HipChat no longer knows it; deleted it",
            oauth_id,
        )
        self.forget(oauth_id)
        raise InstallationGoneError(oauth_id) from None

    def _mint(self, installation: Installation, key: tuple[str, str]) -> Grant:
        grant = mint(
            oauth_id=installation.oauth_id,
            secret=self.store.box.decrypt(installation.oauth_secret_encrypted),
            token_url=installation.token_url,
            api_url=installation.api_url,
            scopes=key[1].split(),
            http=self.http,
            timeout=self.timeout,
            verify=self.verify,
        )
        log.info("minted token installation=%s scopes=%s", installation.oauth_id, key[1])
        return grant

    def _write_row(
        self, session: Session, key: tuple[str, str], token: str, expires_at: float
    ) -> None:
        upsert(
            session,
            Token,
            {
                "oauth_id": key[0],
                "scopes": key[1],
                "access_token_encrypted": self.store.box.encrypt(token),
                "expires_at": datetime.fromtimestamp(expires_at, UTC),
            },
            conflict=("oauth_id", "scopes"),
        )

    def _save(self, key: tuple[str, str], token: str, expires_at: float) -> None:
        with self.store.session() as session:
            self._write_row(session, key, token, expires_at)
        if self.cache is not None:
            self.cache.put(key, token, expires_at, self.clock())
        self._keep_in_memory(key, token, expires_at)


def lock_installation(session: Session, oauth_id: str) -> None:
    """Serialise writers on one installation across processes until ``session`` ends.

    PostgreSQL locks the installation's row (``SELECT ... FOR UPDATE``); SQLite has no row
    locks, so the transaction takes the database's write lock at once (``BEGIN IMMEDIATE``).
    """
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")
    else:
        session.execute(
            select(Installation.oauth_id).where(Installation.oauth_id == oauth_id).with_for_update()
        )
