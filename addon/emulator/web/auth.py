"""Authenticating /v2 requests (HIPCHAT.md §6.0): Bearer header or ``auth_token`` query, scopes.

``@requires("view_group", "view_room")`` accepts a token holding any one of the scopes. No token
-> 401 "Authenticated requests only...", a bad or expired one -> 401 "Invalid OAuth session",
a missing scope -> 403 "This action requires one of the following scopes: [...]". With
``auth_test=true`` the action is skipped and 202 returned once the token passed those checks.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import current_app, g, jsonify, request

from addon.emulator.exceptions import ForbiddenError, UnauthorizedError
from addon.emulator.shapes import Shaper
from addon.emulator.state import Emulator, OAuthClient, Room, Token, User

F = TypeVar("F", bound=Callable[..., Any])

NO_TOKEN = (
    "Authenticated requests only. See https://www.hipchat.com/docs/apiv2/auth for more information."
)


@dataclass(frozen=True)
class Auth:
    """Who is calling: the token, the user it acts as, and its OAuth client (if any)."""

    token: Token
    user: User | None
    client: OAuthClient | None

    @property
    def key(self) -> str:
        """The rate-limit / flood-control key for this caller."""
        return "token:" + self.token.access_token


def emulator() -> Emulator:
    """The app's ``Emulator``."""
    return cast(Emulator, current_app.extensions["emulator"])


def shaper() -> Shaper:
    """A JSON shaper whose links use the scheme and host this request arrived on."""
    return emulator().shaper(request.host_url)


def token_from_request() -> str | None:
    """The access token from ``Authorization: Bearer`` or the ``auth_token`` parameter."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    token = request.args.get("auth_token") or (
        request.form.get("auth_token") if request.mimetype.endswith("form-urlencoded") else None
    )
    return token.strip() if token and token.strip() else None


def authenticate() -> Auth:
    """Resolve the caller's token or raise UnauthorizedError (401)."""
    raw = token_from_request()
    if raw is None:
        raise UnauthorizedError(NO_TOKEN)
    state = emulator()
    with state.lock:
        token = state.authenticate(raw)
        auth = Auth(token, state.acting_user(token), state.clients.get(token.client_id or ""))
    g.auth = auth
    return auth


def check_scopes(auth: Auth, scopes: tuple[str, ...]) -> None:
    """403 unless the token holds at least one of ``scopes``."""
    if scopes and not set(scopes) & set(auth.token.scopes):
        listed = ", ".join(scopes)
        raise ForbiddenError(f"This action requires one of the following scopes: [{listed}]")


def requires(*scopes: str) -> Callable[[F], F]:
    """Decorator: authenticate, check scopes, honour ``auth_test`` (202), then run the view."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            auth = authenticate()
            check_scopes(auth, scopes)
            if request.args.get("auth_test", "").lower() in ("true", "1"):
                body = {
                    "success": {
                        "code": 202,
                        "type": "Accepted",
                        "message": "This auth_token has access to use this method.",
                    }
                }
                return jsonify(body), 202
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def current_auth() -> Auth:
    """The Auth of the current request (set by ``requires``)."""
    return cast(Auth, g.auth)


def acting_user() -> User:
    """The user a user-style action (message, reply, private message) is attributed to: the
    token's user, else the add-on's installer or the group owner; 403 when there is none."""
    user = current_auth().user
    if user is None:
        raise ForbiddenError("This action needs a token that can act as a user")
    return user


def check_room_access(room: Room) -> Room:
    """403 when a room-limited token (room installation) touches another room."""
    token = current_auth().token
    if token.room_id is not None and token.room_id != room.id:
        raise ForbiddenError(f"This token can only be used in room {token.room_id}")
    return room
