"""Room messaging (HIPCHAT.md §6.3): notification, user message, reply, share link, history.

Sends are flood-controlled per token and room and answer with X-FloodControl-* headers.
"""

from __future__ import annotations

from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from addon.emulator import validation as v
from addon.emulator.exceptions import ValidationError
from addon.emulator.shapes import iso
from addon.emulator.views.rooms import load_room
from addon.emulator.web.auth import acting_user, current_auth, emulator, requires
from addon.emulator.web.history import history_collection, latest_collection, single_message
from addon.emulator.web.hooks import flood_check
from addon.emulator.web.params import json_body
from addon.emulator.web.responses import created, no_content

bp = Blueprint("room_messages", __name__)


@bp.post("/v2/room/<ident>/notification")
@requires("send_notification")
def send_notification(ident: str) -> ResponseReturnValue:
    """POST /room/{room}/notification (§6.3.1): 204."""
    body = json_body(required=True)
    v.notification(body)
    room = load_room(ident)
    flood_check(f"room:{room.id}")
    auth = current_auth()
    from_name = auth.user.name if auth.user else ""
    if auth.client is not None:
        from_name = auth.client.name
    emulator().post_notification(
        room, body, from_name, client_id=auth.client.oauth_id if auth.client else None
    )
    return no_content()


@bp.post("/v2/room/<ident>/message")
@requires("send_message")
def send_message(ident: str) -> ResponseReturnValue:
    """POST /room/{room}/message ``{"message"}`` (1-1000): 201 ``{"id", "timestamp"}``."""
    text = v.room_message(json_body(required=True))
    room = load_room(ident)
    flood_check(f"room:{room.id}")
    message = emulator().post_user_message(room, acting_user(), text)
    return created({"id": message.id, "timestamp": iso(message.date)})


@bp.post("/v2/room/<ident>/reply")
@requires("send_message")
def reply(ident: str) -> ResponseReturnValue:
    """POST /room/{room}/reply ``{"parentMessageId" | "parent_message_id", "message"}``: 204."""
    body = json_body(required=True)
    parent = body.get("parentMessageId") or body.get("parent_message_id")
    if not isinstance(parent, str) or not parent:
        raise ValidationError("Missing required field: 'parentMessageId'")
    text = v.room_message(body)
    room = load_room(ident)
    flood_check(f"room:{room.id}")
    emulator().post_user_message(room, acting_user(), text, parent_message_id=parent)
    return no_content()


@bp.post("/v2/room/<ident>/share/link")
@requires("send_message")
def share_link(ident: str) -> ResponseReturnValue:
    """POST /room/{room}/share/link ``{"link", "message"?}``: 204."""
    body = json_body(required=True)
    link, text = v.share_link(body, v.ROOM_MESSAGE_MAX)
    room = load_room(ident)
    flood_check(f"room:{room.id}")
    emulator().share_link(room, acting_user(), link, text)
    return no_content()


@bp.get("/v2/room/<ident>/history")
@requires("view_messages")
def history(ident: str) -> ResponseReturnValue:
    """GET /room/{room}/history: paged; ``date`` (ISO or ``recent``), ``end-date``,
    ``reverse``, ``expand=items.from``."""
    state = emulator()
    with state.lock:
        return jsonify(history_collection(state.room_history(load_room(ident))))


@bp.get("/v2/room/<ident>/history/latest")
@requires("view_messages")
def latest(ident: str) -> ResponseReturnValue:
    """GET /room/{room}/history/latest: ``max-results`` newest, ``not-before``."""
    state = emulator()
    with state.lock:
        return jsonify(latest_collection(state.room_history(load_room(ident))))


@bp.get("/v2/room/<ident>/history/<message_id>")
@requires("view_messages")
def one_message(ident: str, message_id: str) -> ResponseReturnValue:
    """GET /room/{room}/history/{id}: ``{"message": {...}}``."""
    state = emulator()
    with state.lock:
        return jsonify(single_message(state.room_history(load_room(ident)), message_id))
