"""Add-on pages HipChat shows in an iframe (configure page, §1.6 and §4.3), behind a JWT.

A ``Page`` is what a page function receives: the verified installation and user, and a fresh
``signed_request`` the page can put in its own links and forms to call the add-on back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from flask import Request

from addon import auth
from addon.store import Installation

if TYPE_CHECKING:
    from addon.extension import Runtime


@dataclass(frozen=True)
class Page:
    """The verified context of a page request."""

    installation: Installation
    claims: auth.Claims
    signed_request: str

    @property
    def user_id(self) -> str | None:
        """The HipChat user looking at the page (``sub``, else ``prn``)."""
        return self.claims.user_id

    @property
    def room_id(self) -> int | None:
        """The room the page was opened in, from the JWT's context; None outside a room."""
        return self.claims.room_id or self.installation.room_id

    @classmethod
    def from_request(cls, request: Request, rt: Runtime) -> Page:
        """Verify the request's JWT; raises auth.JWTError (400/401) when it does not hold."""
        token = auth.find_jwt(request)
        if token is None:
            raise auth.JWTError("this page needs a signed_request from HipChat", status=401)
        installation, claims = auth.verify_for_installation(
            token, rt.installation, rt.store.box.decrypt, leeway=rt.settings.jwt_leeway
        )
        secret = rt.store.box.decrypt(installation.oauth_secret_encrypted)
        fresh = auth.sign_jwt(
            installation.oauth_id, secret, sub=claims.user_id, context=claims.context
        )
        return cls(installation=installation, claims=claims, signed_request=fresh)
