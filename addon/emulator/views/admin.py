"""The emulator's admin API under ``/emulator/api/`` (unauthenticated JSON, for tests and tools).

Tokens with any scopes, OAuth clients, fault injection, reset, the request journal, a state
summary, and user actions (enter/exit a room, say something) that publish room events.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from addon.emulator import validation as v
from addon.emulator.exceptions import NotFoundError, ValidationError
from addon.emulator.shapes import iso
from addon.emulator.web.auth import emulator
from addon.emulator.web.params import json_body
from addon.emulator.web.responses import created, no_content

bp = Blueprint("admin", __name__, url_prefix="/emulator/api")


def _user_ref(body: dict[str, Any], key: str = "user", *, required: bool = False) -> Any:
    value = body.get(key)
    if value is None:
        if required:
            raise ValidationError(f"Missing required field: '{key}'")
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError(f"Field '{key}' must be a user id, email or @mention")
    return value


@bp.post("/tokens")
def mint_token() -> ResponseReturnValue:
    """``{"scopes": [...], "user": id|"@mention"|email, "ttl": s, "room": id}`` -> 201 token."""
    body = json_body()
    ttl = body.get("ttl")
    if ttl is not None and (isinstance(ttl, bool) or not isinstance(ttl, int) or ttl < 1):
        raise ValidationError("Field 'ttl' must be a positive number of seconds")
    token = emulator().mint_token(
        body.get("scopes"), _user_ref(body), ttl=ttl, room=body.get("room")
    )
    return created(
        {
            "access_token": token.access_token,
            "expires_in": token.expires_in(),
            "scopes": list(token.scopes),
            "token_type": "bearer",
            "user_id": token.user_id,
            "room_id": token.room_id,
        }
    )


@bp.post("/clients")
def create_client() -> ResponseReturnValue:
    """``{"scopes", "room_id"?, "name"?, "installer"?}`` -> 201 with oauthId/oauthSecret."""
    body = json_body()
    state = emulator()
    name = v.text(body, "name", max_len=100) or "Add-on"
    oauth_id, secret = state.create_client(
        body.get("scopes") or [],
        room_id=body.get("room_id"),
        name=name,
        installer=_user_ref(body, "installer"),
    )
    client = state.get_client(oauth_id)
    return created(
        {
            "oauthId": oauth_id,
            "oauthSecret": secret,
            "groupId": state.group.id,
            "roomId": client.room_id if client else None,
            "scopes": list(client.scopes) if client else [],
            "capabilitiesUrl": request.host_url + "v2/capabilities",
        }
    )


@bp.delete("/clients/<oauth_id>")
def delete_client(oauth_id: str) -> ResponseReturnValue:
    """Delete a client (its tokens stop working, the token endpoint answers 401)."""
    if not emulator().delete_client(oauth_id):
        raise NotFoundError("Client not found")
    return no_content()


@bp.post("/faults")
def add_fault() -> ResponseReturnValue:
    """``{"path": regex, "status"?, "count"?: 1, "delay"?: s, "method"?, "message"?}``."""
    return created(emulator().add_fault(json_body(required=True)).to_json())


@bp.get("/faults")
def list_faults() -> ResponseReturnValue:
    """Fault rules that still have uses left."""
    state = emulator()
    with state.lock:
        return jsonify({"items": [f.to_json() for f in state.faults.all()]})


@bp.delete("/faults")
def clear_faults() -> ResponseReturnValue:
    """Remove every fault rule."""
    state = emulator()
    with state.lock:
        state.faults.clear()
    return no_content()


@bp.post("/reset")
def reset() -> ResponseReturnValue:
    """Back to the seed (or empty) state."""
    emulator().reset()
    return no_content()


@bp.get("/requests")
def list_requests() -> ResponseReturnValue:
    """The /v2 request journal, oldest first."""
    return jsonify({"items": emulator().requests()})


@bp.delete("/requests")
def clear_requests() -> ResponseReturnValue:
    """Empty the journal."""
    state = emulator()
    with state.lock:
        state.journal.clear()
    return no_content()


@bp.get("/state")
def state_summary() -> ResponseReturnValue:
    """Users, rooms, webhooks, clients, emoticons, faults and counts."""
    return jsonify(emulator().summary())


@bp.get("/seed")
def seed_info() -> ResponseReturnValue:
    """What the seed created (users with their passwords, rooms, emoticons)."""
    return jsonify(emulator().seed_info)


@bp.post("/rooms/<ident>/enter")
def enter_room(ident: str) -> ResponseReturnValue:
    """``{"user"}``: the user enters the room (publishes room_enter)."""
    emulator().enter_room(ident, _user_ref(json_body(), required=True))
    return no_content()


@bp.post("/rooms/<ident>/exit")
def exit_room(ident: str) -> ResponseReturnValue:
    """``{"user"}``: the user leaves the room (publishes room_exit)."""
    emulator().exit_room(ident, _user_ref(json_body(), required=True))
    return no_content()


@bp.post("/rooms/<ident>/messages")
def say(ident: str) -> ResponseReturnValue:
    """``{"user", "message"}``: the user posts a message (publishes room_message)."""
    body = json_body(required=True)
    user = _user_ref(body, required=True)
    text = v.text(body, "message", required=True, min_len=1, max_len=10000) or ""
    message = emulator().post_user_message(ident, user, text)
    return created({"id": message.id, "timestamp": iso(message.date)})


@bp.post("/rooms/<ident>/notifications")
def notify(ident: str) -> ResponseReturnValue:
    """A §6.3.1 body plus optional ``from_name``: posts a notification (room_notification)."""
    body = json_body(required=True)
    from_name = v.text(body, "from_name", max_len=100)
    message = emulator().post_notification(ident, body, from_name)
    return created({"id": message.id, "timestamp": iso(message.date)})
