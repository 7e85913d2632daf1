"""OAuth clients (one per add-on installation) and access tokens with scopes (HIPCHAT.md §3).

Client-credentials tokens are limited to the client's scopes (and room, for room installs);
deleting a client makes its credentials and tokens invalid at once.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from addon.emulator import validation as v
from addon.emulator.exceptions import UnauthorizedError, ValidationError
from addon.emulator.state.messages import MessageOps
from addon.emulator.state.models import (
    DEFAULT_USER_SCOPES,
    SCOPES,
    OAuthClient,
    Token,
    User,
    new_secret,
    utcnow,
)

INVALID_SESSION = "Invalid OAuth session"


class OAuthOps(MessageOps):
    """OAuth clients, token issuing, token authentication and revocation."""

    def create_client(
        self,
        scopes: list[str] | tuple[str, ...] | str,
        group_id: int | None = None,
        room_id: int | None = None,
        name: str = "Add-on",
        descriptor: dict[str, Any] | None = None,
        installer: User | int | str | None = None,
    ) -> tuple[str, str]:
        """Register an OAuth client (an installation) allowed ``scopes``; returns
        ``(oauth_id, secret)``. ``room_id`` makes it a room installation whose tokens only work
        in that room; ``installer`` is the user that acts for the add-on's user-style calls."""
        allowed = v.scopes(scopes)
        with self.transaction():
            if group_id is not None and int(group_id) != self.group.id:
                raise ValidationError(f"Unknown group {group_id}")
            if room_id is not None:
                room_id = self.get_room(int(room_id)).id
            installer_user = self.get_user(installer) if installer is not None else None
            client = OAuthClient(
                oauth_id=str(uuid.uuid4()),
                secret=new_secret(40),
                name=name,
                group_id=self.group.id,
                scopes=allowed,
                room_id=room_id,
                descriptor=descriptor,
                installer_id=installer_user.id if installer_user else None,
            )
            self.clients[client.oauth_id] = client
            return client.oauth_id, client.secret

    def get_client(self, oauth_id: str) -> OAuthClient | None:
        """The client with this oauth_id, or None."""
        with self.lock:
            return self.clients.get(oauth_id)

    def delete_client(self, oauth_id: str) -> bool:
        """Delete a client, its tokens and the webhooks it created; False if it did not exist."""
        with self.transaction():
            client = self.clients.pop(oauth_id, None)
            if client is None:
                return False
            for token in [t for t in self.tokens.values() if t.client_id == oauth_id]:
                del self.tokens[token.access_token]
            for hook in [h for h in self.webhooks.values() if h.oauth_client_id == oauth_id]:
                del self.webhooks[hook.id]
            return True

    def authenticate_client(self, oauth_id: str, secret: str) -> OAuthClient:
        """The client matching Basic-auth credentials; UnauthorizedError (401) otherwise."""
        with self.lock:
            client = self.clients.get(oauth_id)
            if client is None or client.secret != secret:
                raise UnauthorizedError("Invalid client credentials")
            return client

    def issue_client_token(self, client: OAuthClient, scopes: Any = None) -> Token:
        """A client-credentials token; ``scopes`` must be a subset of the client's (400 if not);
        omitted scopes mean all of the client's scopes."""
        wanted = v.scopes(scopes) or list(client.scopes)
        outside = sorted(set(wanted) - set(client.scopes))
        if outside:
            raise ValidationError(
                f"The client is not allowed the requested scope(s): {', '.join(outside)}"
            )
        return self._issue(wanted, client_id=client.oauth_id, room_id=client.room_id)

    def issue_user_token(
        self, user: User, scopes: Any = None, *, client: OAuthClient | None = None
    ) -> Token:
        """A personal/password-grant token acting as ``user`` (with a refresh token)."""
        wanted = v.scopes(scopes) or list(DEFAULT_USER_SCOPES)
        ttl = int(self.config["EMULATOR_PERSONAL_TOKEN_TTL"])
        return self._issue(
            wanted,
            user_id=user.id,
            ttl=ttl,
            refresh=True,
            client_id=client.oauth_id if client else None,
        )

    def refresh_user_token(self, refresh_token: str, scopes: Any = None) -> Token:
        """Exchange a refresh token for a new access token (the old one stays valid)."""
        with self.transaction():
            old = next((t for t in self.tokens.values() if t.refresh_token == refresh_token), None)
            if old is None or old.user_id is None:
                raise UnauthorizedError("Invalid refresh token")
            user = self.get_user(old.user_id)
            wanted = v.scopes(scopes) or list(old.scopes)
            if set(wanted) - set(old.scopes):
                raise ValidationError("A refreshed token cannot gain scopes")
            token = self.issue_user_token(user, wanted)
            token.refresh_token = refresh_token
            old.refresh_token = None
            return token

    def mint_token(
        self,
        scopes: Any = None,
        user: User | int | str | None = None,
        *,
        ttl: int | None = None,
        room: Any = None,
    ) -> Token:
        """Admin-API token: any scopes (default all nine), optionally acting as ``user`` and
        limited to ``room``."""
        wanted = v.scopes(scopes) if scopes is not None else sorted(SCOPES)
        with self.transaction():
            owner = self.get_user(user) if user is not None else None
            room_id = self.get_room(room).id if room is not None else None
            return self._issue(
                wanted, user_id=owner.id if owner else None, ttl=ttl, room_id=room_id
            )

    def authenticate(self, access_token: str) -> Token:
        """The live token for ``access_token``; 401 "Invalid OAuth session" when unknown,
        revoked or expired."""
        with self.lock:
            token = self.tokens.get(access_token)
            if token is None:
                raise UnauthorizedError(INVALID_SESSION)
            if token.is_expired():
                del self.tokens[access_token]
                raise UnauthorizedError(INVALID_SESSION)
            return token

    def revoke(self, access_token: str) -> bool:
        """Delete a token; False when it did not exist."""
        with self.transaction():
            return self.tokens.pop(access_token, None) is not None

    def acting_user(self, token: Token) -> User | None:
        """Who a token acts as for user-style actions: its user, else its client's installer,
        else the group owner (HIPCHAT.md is silent on this: an emulator choice)."""
        with self.lock:
            if token.user_id is not None:
                return self.find_user(token.user_id)
            client = self.clients.get(token.client_id or "")
            if client is not None and client.installer_id is not None:
                installer = self.find_user(client.installer_id)
                if installer is not None:
                    return installer
            return self.group_owner()

    def _issue(
        self,
        scopes: list[str],
        *,
        client_id: str | None = None,
        user_id: int | None = None,
        room_id: int | None = None,
        ttl: int | None = None,
        refresh: bool = False,
    ) -> Token:
        lifetime = int(ttl if ttl is not None else self.config["EMULATOR_TOKEN_TTL"])
        with self.transaction():
            token = Token(
                access_token=new_secret(40),
                scopes=sorted(scopes),
                expires_at=utcnow() + timedelta(seconds=lifetime),
                group_id=self.group.id,
                client_id=client_id,
                user_id=user_id,
                room_id=room_id,
                refresh_token=new_secret(40) if refresh else None,
            )
            self.tokens[token.access_token] = token
            return token
