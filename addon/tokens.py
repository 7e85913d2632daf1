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

import requests
from sqlalchemy import delete, select

from addon.hipchat import HipChat, HipChatError, UnauthorizedError
from addon.store import Installation, Store, Token, scope_key

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
    """Hands out valid tokens for installations; one per app, shared by its threads."""

    def __init__(
        self,
        store: Store,
        http: requests.Session,
        *,
        timeout: float = 10.0,
        verify: bool | str = True,
        margin: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.http = http
        self.timeout = timeout
        self.verify = verify
        self.margin = margin
        self.clock = clock
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
            cached = self._fresh(key) or self._from_database(key)
            if cached:
                return cached
            return self._mint_and_keep(installation, key)

    def remember(self, oauth_id: str, grant: Grant) -> None:
        """Keep a token minted elsewhere (the install proof) so it is not minted again."""
        expires_at = self.clock() + grant.expires_in
        self._save((oauth_id, grant.scopes), grant.access_token, expires_at)

    def forget(self, oauth_id: str) -> None:
        """Drop this process's memory of an installation's tokens (the rows cascade away)."""
        with self._guard:
            for key in [k for k in self._memory if k[0] == oauth_id]:
                del self._memory[key]

    def invalidate(self, installation: Installation, scopes: Iterable[str] | None = None) -> None:
        """Forget one token everywhere, e.g. after HipChat answered 401 to it."""
        key = (installation.oauth_id, scope_key(scopes or installation.scope_list))
        with self._guard:
            self._memory.pop(key, None)
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

    def _from_database(self, key: tuple[str, str]) -> str | None:
        with self.store.session() as session:
            row = session.scalar(
                select(Token).where(Token.oauth_id == key[0], Token.scopes == key[1])
            )
            if row is None:
                return None
            expires_at = row.expires_at.timestamp()
            if expires_at - self.margin <= self.clock():
                return None
            token = self.store.box.decrypt(row.access_token_encrypted)
        with self._guard:
            self._memory[key] = (token, expires_at)
        return token

    def _mint_and_keep(self, installation: Installation, key: tuple[str, str]) -> str:
        try:
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
        except UnauthorizedError:
            log.warning(
                "token endpoint refused installation=%s: HipChat no longer knows it; deleting it",
                installation.oauth_id,
            )
            with self.store.session() as session:
                session.execute(
                    delete(Installation).where(Installation.oauth_id == installation.oauth_id)
                )
            self.forget(installation.oauth_id)
            raise InstallationGoneError(installation.oauth_id) from None
        log.info("minted token installation=%s scopes=%s", installation.oauth_id, key[1])
        self._save(key, grant.access_token, self.clock() + grant.expires_in)
        return grant.access_token

    def _save(self, key: tuple[str, str], token: str, expires_at: float) -> None:
        encrypted = self.store.box.encrypt(token)
        when = datetime.fromtimestamp(expires_at, UTC)
        with self.store.session() as session:
            row = session.scalar(
                select(Token).where(Token.oauth_id == key[0], Token.scopes == key[1])
            )
            if row is None:
                session.add(
                    Token(
                        oauth_id=key[0],
                        scopes=key[1],
                        access_token_encrypted=encrypted,
                        expires_at=when,
                    )
                )
            else:
                row.access_token_encrypted = encrypted
                row.expires_at = when
        with self._guard:
            self._memory[key] = (token, expires_at)
