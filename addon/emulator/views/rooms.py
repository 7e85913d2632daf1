"""Rooms (HIPCHAT.md §6.3): list, create, get, update, delete, topic, participants, statistics,
avatar and invite. Room identifiers in paths are an id or a (URL-encoded) room name."""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, jsonify, redirect, request
from flask.typing import ResponseReturnValue

from addon.emulator import validation as v
from addon.emulator.exceptions import ValidationError
from addon.emulator.state import Room
from addon.emulator.web.auth import check_room_access, current_auth, emulator, requires, shaper
from addon.emulator.web.paging import collection
from addon.emulator.web.params import expand_param, json_body, query_bool
from addon.emulator.web.responses import created, no_content

bp = Blueprint("rooms", __name__)


def load_room(ident: str) -> Room:
    """The room named in the path (id or name), checked against room-limited tokens."""
    return check_room_access(emulator().get_room(ident))


def decode_image(body: dict[str, object], key: str) -> bytes:
    """A required base64 image field (avatar/photo); 400 when missing or not base64."""
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"Missing required field: '{key}'")
    try:
        return base64.b64decode(value.strip(), validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValidationError(f"Field '{key}' must be base64 encoded") from exc


@bp.get("/v2/room")
@requires("view_group")
def list_rooms() -> ResponseReturnValue:
    """GET /room: room briefs (full rooms with expand=items)."""
    state = emulator()
    rooms = state.list_rooms(
        include_private=query_bool("include-private", True),
        include_archived=query_bool("include-archived", False),
    )
    expand = expand_param()
    render = shaper()
    with state.lock:
        if "items" in expand:
            return jsonify(collection(rooms, lambda r: render.room(r, expand.child("items"))))
        return jsonify(collection(rooms, render.room_brief))


@bp.post("/v2/room")
@requires("manage_rooms")
def create_room() -> ResponseReturnValue:
    """POST /room: 201 ``{"id", "links": {"self"}}``."""
    room = emulator().create_room(json_body(required=True), current_auth().user)
    link = shaper().room_link(room.id)
    return created({"id": room.id, "links": {"self": link}}, link)


@bp.get("/v2/room/<ident>")
@requires("view_group", "view_room")
def get_room(ident: str) -> ResponseReturnValue:
    """GET /room/{room}: the full room; expands owner, participants, statistics."""
    state = emulator()
    with state.lock:
        return jsonify(shaper().room(load_room(ident), expand_param()))


@bp.put("/v2/room/<ident>")
@requires("admin_room", "manage_rooms")
def update_room(ident: str) -> ResponseReturnValue:
    """PUT /room/{room}: full replacement, 204."""
    body = json_body(required=True)
    emulator().update_room(load_room(ident), body, current_auth().user)
    return no_content()


@bp.delete("/v2/room/<ident>")
@requires("manage_rooms")
def delete_room(ident: str) -> ResponseReturnValue:
    """DELETE /room/{room}: 204."""
    emulator().delete_room(load_room(ident), current_auth().user)
    return no_content()


@bp.put("/v2/room/<ident>/topic")
@requires("admin_room")
def set_topic(ident: str) -> ResponseReturnValue:
    """PUT /room/{room}/topic ``{"topic"}``: 204."""
    topic = v.topic(json_body(required=True))
    emulator().set_topic(load_room(ident), topic, current_auth().user)
    return no_content()


@bp.get("/v2/room/<ident>/participant")
@requires("view_group", "view_room")
def participants(ident: str) -> ResponseReturnValue:
    """GET /room/{room}/participant: present users (plus members with include-offline)."""
    state = emulator()
    with state.lock:
        room = load_room(ident)
        ids = list(room.participants)
        if query_bool("include-offline", False):
            ids += [uid for uid in sorted(room.members) if uid not in ids]
        users = [u for u in (state.find_user(uid) for uid in ids) if u is not None]
        render = shaper()
        full = "items" in expand_param()
        return jsonify(collection(users, render.user if full else render.user_brief))


@bp.get("/v2/room/<ident>/statistics")
@requires("view_group", "view_room")
def statistics(ident: str) -> ResponseReturnValue:
    """GET /room/{room}/statistics."""
    state = emulator()
    with state.lock:
        return jsonify(shaper().statistics(load_room(ident)))


@bp.get("/v2/room/<ident>/avatar")
@requires("view_group", "view_room")
def get_avatar(ident: str) -> ResponseReturnValue:
    """GET /room/{room}/avatar: 302 to the image."""
    room = load_room(ident)
    return redirect(f"{request.host_url}emulator/avatars/room/{room.id}?v={room.version}", 302)


@bp.put("/v2/room/<ident>/avatar")
@requires("admin_room")
def put_avatar(ident: str) -> ResponseReturnValue:
    """PUT /room/{room}/avatar ``{"avatar": base64}``: 204."""
    avatar = decode_image(json_body(required=True), "avatar")
    emulator().set_room_avatar(load_room(ident), avatar)
    return no_content()


@bp.delete("/v2/room/<ident>/avatar")
@requires("admin_room")
def delete_avatar(ident: str) -> ResponseReturnValue:
    """DELETE /room/{room}/avatar: 204."""
    emulator().set_room_avatar(load_room(ident), None)
    return no_content()


@bp.post("/v2/room/<ident>/invite/<user>")
@requires("admin_room")
def invite(ident: str, user: str) -> ResponseReturnValue:
    """POST /room/{room}/invite/{user} ``{"reason"}``: 204; the user becomes a member."""
    body = json_body()
    v.text(body, "reason", max_len=250)
    state = emulator()
    room = load_room(ident)
    with state.transaction():
        invited = state.get_user(user)
        if invited.id not in room.members:
            state.add_member(room, invited, None)
    return no_content()
