"""The OAuth token endpoint and session endpoints (HIPCHAT.md §3).

``POST /v2/oauth/token`` takes its parameters from a form body, a JSON body or the query string
(all three are seen in real clients); client credentials come by HTTP Basic auth.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify, request
from flask.typing import ResponseReturnValue

from addon.emulator.exceptions import (
    ForbiddenError,
    NotFoundError,
    UnauthorizedError,
    ValidationError,
)
from addon.emulator.state import OAuthClient, Token
from addon.emulator.web.auth import NO_TOKEN, current_auth, emulator, requires, shaper
from addon.emulator.web.params import expand_param, parse_body
from addon.emulator.web.responses import no_content

bp = Blueprint("oauth", __name__)

USER_GRANTS = ("password", "personal")


def token_params() -> dict[str, Any]:
    """Grant parameters merged from the query string, then the form or JSON body."""
    params: dict[str, Any] = {key: request.args.get(key) for key in request.args}
    body = parse_body()
    if isinstance(body, dict):
        params.update({key: value for key, value in body.items() if value is not None})
    elif body is not None:
        raise ValidationError("The request body must be a form or a JSON object")
    return params


def basic_client() -> OAuthClient | None:
    """The client named by HTTP Basic credentials; None without them, 401 when wrong."""
    credentials = request.authorization
    if credentials is None or credentials.type != "basic":
        return None
    return emulator().authenticate_client(credentials.username or "", credentials.password or "")


def token_response(token: Token) -> Response:
    """The 200 token response: access_token, expires_in, group, scope, token_type."""
    state = emulator()
    body: dict[str, Any] = {
        "access_token": token.access_token,
        "expires_in": token.expires_in(),
        "group_id": state.group.id,
        "group_name": state.group.name,
        "scope": " ".join(token.scopes),
        "token_type": "bearer",
    }
    if token.refresh_token:
        body["refresh_token"] = token.refresh_token
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/v2/oauth/token")
def generate_token() -> ResponseReturnValue:
    """POST /v2/oauth/token: client_credentials, password/personal and refresh_token grants."""
    params = token_params()
    grant = str(params.get("grant_type") or "").strip()
    if not grant:
        raise ValidationError("Missing required field: 'grant_type'")
    state = emulator()
    client = basic_client()
    if grant == "client_credentials":
        if client is None:
            raise UnauthorizedError(NO_TOKEN)
        return token_response(state.issue_client_token(client, params.get("scope")))
    if grant in USER_GRANTS:
        username, password = params.get("username"), params.get("password")
        if not username or not password:
            raise ValidationError("The password grant needs 'username' and 'password'")
        user = state.check_password(str(username), str(password))
        if user is None:
            raise UnauthorizedError("Invalid username or password")
        return token_response(state.issue_user_token(user, params.get("scope"), client=client))
    if grant == "refresh_token":
        refresh = params.get("refresh_token")
        if not refresh:
            raise ValidationError("Missing required field: 'refresh_token'")
        return token_response(state.refresh_user_token(str(refresh), params.get("scope")))
    raise ValidationError(f"Unsupported grant_type: '{grant}'")


def _session_token(access_token: str) -> Token:
    """The token named in the path, if the caller may see it (same token, client or user,
    or an admin_group token)."""
    state = emulator()
    with state.lock:
        token = state.tokens.get(access_token)
        if token is None or token.is_expired():
            raise NotFoundError("Token not found")
        caller = current_auth().token
        related = (
            caller.access_token == token.access_token
            or (caller.client_id is not None and caller.client_id == token.client_id)
            or (caller.user_id is not None and caller.user_id == token.user_id)
            or "admin_group" in caller.scopes
        )
        if not related:
            raise ForbiddenError("This token belongs to another client or user")
        return token


@bp.get("/v2/oauth/token/<access_token>")
@requires()
def get_session(access_token: str) -> ResponseReturnValue:
    """GET /v2/oauth/token/{token}: the session (§3.3); expands owner and client.room."""
    token = _session_token(access_token)
    with emulator().lock:
        return jsonify(shaper().session(token, expand_param()))


@bp.delete("/v2/oauth/token/<access_token>")
@requires()
def delete_session(access_token: str) -> ResponseReturnValue:
    """DELETE /v2/oauth/token/{token}: revoke, 204."""
    token = _session_token(access_token)
    emulator().revoke(token.access_token)
    return no_content()
