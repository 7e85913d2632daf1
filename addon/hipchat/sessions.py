"""OAuth sessions: mint tokens at the token endpoint, inspect or revoke one (HIPCHAT.md §3).

``create`` sends a JSON body like the PHP seed; ``create_oauth`` authenticates the add-on with
HTTP Basic ``oauth_id:secret`` and a form body, as HipChat's docs show (§3.1).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from addon.hipchat.resource import Resource
from addon.hipchat.response import Response

GRANT_FIELDS = frozenset(
    {
        "username",
        "user_id",
        "code",
        "client_name",
        "redirect_uri",
        "scope",
        "password",
        "group_id",
        "refresh_token",
    }
)
"""Body fields of the token endpoint besides ``grant_type`` (§3.2)."""


def scope_string(scope: str | Iterable[str] | None) -> str | None:
    """Scopes as HipChat wants them: one space-separated string."""
    if scope is None or isinstance(scope, str):
        return scope
    return " ".join(str(s) for s in scope)


def grant_body(grant_type: str, options: dict[str, Any]) -> dict[str, Any]:
    """Validate and assemble a token-endpoint body; unknown fields raise TypeError."""
    if not grant_type:
        raise ValueError("grant_type is required")
    unknown = set(options) - GRANT_FIELDS
    if unknown:
        raise TypeError(f"unknown token fields: {', '.join(sorted(unknown))}")
    body = {"grant_type": grant_type, **options}
    body["scope"] = scope_string(body.get("scope"))
    return {key: value for key, value in body.items() if value is not None}


@dataclass(frozen=True)
class SessionResource(Resource):
    """A handle on one OAuth session (``id`` = its access token) or on the token endpoint."""

    noun = "oauth/token"

    def base_path(self) -> str:
        """``oauth/token``."""
        return "oauth/token"

    def get(self) -> Response:
        """Session info: ``GET oauth/token/{token}``.

        Authenticates with the client's token, or with the session's own when the client has
        none (HipChat accepts a token asking about itself).
        """
        return self.client.request(
            "GET", self.item_path(), params=self.expand_params(), token=self._caller_token()
        )

    def delete(self) -> Response:
        """Revoke the token: ``DELETE oauth/token/{token}`` -> 204."""
        return self.client.request("DELETE", self.item_path(), token=self._caller_token())

    def create(self, grant_type: str, **options: Any) -> Response:
        """Generate a token with a JSON body: ``POST oauth/token`` -> 200.

        ``options``: username, user_id, code, client_name, redirect_uri, scope (str or list),
        password, group_id, refresh_token.
        """
        return self.send_json("POST", self.base_path(), grant_body(grant_type, options))

    def create_oauth(
        self,
        oauth_id: str,
        secret: str,
        grant_type: str = "client_credentials",
        *,
        scope: str | Iterable[str] | None = None,
        token_url: str | None = None,
        **options: Any,
    ) -> Response:
        """Generate a token as an add-on: Basic ``oauth_id:secret``, form body -> 200.

        POSTs to ``token_url`` (the capabilities document's ``tokenUrl``) when given, else to
        ``{base_url}oauth/token``. ``.data`` has access_token, expires_in, scope, group_id, ...
        """
        if not oauth_id or not secret:
            raise ValueError("oauth_id and secret are required")
        form = grant_body(grant_type, {**options, "scope": scope})
        return self.client.request(
            "POST",
            token_url or self.base_path(),
            data={key: str(value) for key, value in form.items()},
            auth=(oauth_id, secret),
        )

    def _caller_token(self) -> str | None:
        return self.client.token or (str(self.id) if self.id is not None else None)
